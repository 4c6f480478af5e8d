"""`open_reader(uri)`: the reader for a tracking URI."""

from __future__ import annotations

from pathlib import Path

from tracking.reader import Progress, ReaderBase, RunReader


def open_reader(uri: str, progress: Progress | None = None, *,
                artifacts_uri: str | None = None, cache_dir: Path | None = None) -> RunReader:
    """The reader for `uri`: SQL for database stores (whatever MLflow version wrote them; it is
    the only path there, since MLflow's own store object would migrate them), the REST reader
    for http(s) servers, the file reader for `./mlruns` folders (file: URIs and plain paths,
    which MLflow 3 refuses without MLFLOW_ALLOW_FILE_STORE, and whose store object writes as it
    opens), MLflow's client for anything else. The REST and client readers call
    `progress(done, total)` as histories arrive. Artifacts (predictions) come from
    `artifacts_uri` if given: a tracking server, when `uri` is its database. With `cache_dir`,
    finished runs read from a tracking server are kept there for the next process."""
    reader = _open(uri, progress, cache_dir)
    reader.artifacts_uri = artifacts_uri
    return reader


def _open(uri: str, progress: Progress | None,
          cache_dir: Path | None) -> ReaderBase:
    from tracking import file_reader, sql_reader  # the others import MLflow: only when needed

    if sql_reader.supports(uri):
        return sql_reader.SqlReader(uri)
    if uri.startswith(("http://", "https://")):
        from tracking.disk_cache import DiskHistoryCache
        from tracking.rest_reader import RestReader

        cache = DiskHistoryCache(cache_dir, uri) if cache_dir else None
        return RestReader(uri, progress=progress, cache=cache)
    if file_reader.supports(uri):
        return file_reader.FileReader(uri)
    from tracking.client_reader import ClientReader

    return ClientReader(uri, progress=progress)
