"""`open_reader(uri)`: the reader for a tracking URI."""

from __future__ import annotations

import logging
from collections.abc import Callable

from tracking.reader import ReaderBase, RunReader

log = logging.getLogger("lossboard.tracking")


def open_reader(uri: str, progress: Callable[[int, int], None] | None = None, *,
                artifacts_uri: str | None = None) -> RunReader:
    """The fastest reader for `uri`: SQL for database stores MLflow's schema matches, else
    MLflow's client API (http(s) servers, file stores, unknown schema revisions), which call
    `progress(done, total)` as histories arrive. Artifacts (predictions) come from
    `artifacts_uri` if given: a tracking server, when `uri` is its database."""
    reader = _open(uri, progress)
    reader.artifacts_uri = artifacts_uri
    return reader


def _open(uri: str, progress: Callable[[int, int], None] | None) -> ReaderBase:
    from tracking import sql_reader  # the others import MLflow: only when needed

    if sql_reader.supports(uri):
        try:
            return sql_reader.SqlReader(uri)
        except sql_reader.FastPathUnavailable as unavailable:
            log.warning("%s; reading through MLflow's client instead (slower)", unavailable)
    if uri.startswith(("http://", "https://")):
        from tracking.rest_reader import RestReader

        return RestReader(uri, progress=progress)
    from tracking.client_reader import ClientReader

    return ClientReader(uri, progress=progress)
