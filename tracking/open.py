"""`open_reader(uri)`: the reader for a tracking URI."""

from __future__ import annotations

from collections.abc import Callable

from tracking.reader import ReaderBase, RunReader


def open_reader(uri: str, progress: Callable[[int, int], None] | None = None, *,
                artifacts_uri: str | None = None) -> RunReader:
    """The reader for `uri`: SQL for database stores (whatever MLflow version wrote them; it is
    the only path there, since MLflow's own store object would migrate them), the REST reader
    for http(s) servers, MLflow's client for anything else. The last two call
    `progress(done, total)` as histories arrive. Artifacts (predictions) come from
    `artifacts_uri` if given: a tracking server, when `uri` is its database."""
    reader = _open(uri, progress)
    reader.artifacts_uri = artifacts_uri
    return reader


def _open(uri: str, progress: Callable[[int, int], None] | None) -> ReaderBase:
    from tracking import sql_reader  # the others import MLflow: only when needed

    if sql_reader.supports(uri):
        return sql_reader.SqlReader(uri)
    if uri.startswith(("http://", "https://")):
        from tracking.rest_reader import RestReader

        return RestReader(uri, progress=progress)
    from tracking.client_reader import ClientReader

    return ClientReader(uri, progress=progress)
