"""A logger's MLflow client, made once its store is set up, one process at a time on SQLite.

On a new database MLflow's store creates the tables and runs every migration when it is first
opened. Several training processes starting together on one new SQLite file run those at once
and collide: "table runs already exists", and with six or more, alembic's "Online migration
expected to match one row" on a half-migrated schema. A lock file beside the database (`flock`,
released by the OS even if the process dies) lets one set it up while the others wait; on
PostgreSQL and MySQL, set up by whoever comes first, the collision is retried
(`tracking.retry.is_schema_race`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from mlflow import MlflowClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger("lossboard.tracking")


def sqlite_file(uri: str) -> Path | None:
    """The database file of a `sqlite:` URI; None for other stores and in-memory SQLite."""
    if not uri.startswith("sqlite:"):
        return None
    try:
        database = make_url(uri).database
    except ArgumentError:
        return None
    return Path(database) if database and database != ":memory:" else None


@contextlib.contextmanager
def setup_lock(uri: str) -> Iterator[None]:
    """Held around the first opening of a SQLite store (`<database>.lossboard-lock`); a no-op
    for other stores, or where the lock file cannot be made (the race is retried anyway)."""
    database = sqlite_file(uri)
    try:
        import fcntl

        handle = open(f"{database}.lossboard-lock", "a") if database else None  # noqa: SIM115
    except (ImportError, OSError) as error:
        log.debug("no set-up lock for %s: %s", uri, error)
        handle = None
    if handle is None:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_client(uri: str) -> MlflowClient:
    """A client whose store is open: tables created and migrated if the database was new."""
    with setup_lock(uri):
        client = MlflowClient(uri)  # MLflow 3 opens the store here already
        client.search_experiments(max_results=1)
    return client
