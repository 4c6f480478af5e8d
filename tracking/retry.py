"""When and how the logger retries: back-off, transient-or-not, MLflow's HTTP knobs."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_RETRYABLE_STATUS = {408, 429}
_SCHEMA_RACE_WORDS = ("already exists", "duplicate column")  # SQLite, PostgreSQL, MySQL


def is_transient(error: BaseException) -> bool:
    """True when trying the same request again later may succeed (server down, DB locked, a
    schema another process is creating...)."""
    from mlflow.exceptions import MlflowException  # here: the SQL read path never loads MLflow

    if isinstance(error, MlflowException):
        status: int = error.get_http_status_code()  # type: ignore[no-untyped-call]
        return status >= 500 or status in _RETRYABLE_STATUS
    from sqlalchemy.exc import OperationalError

    # OperationalError: the database's side (locked, busy, disconnected, a schema being set up)
    # as MLflow's store raises it while it opens; retried, and spooled if it lasts
    return isinstance(error, OSError | TimeoutError | OperationalError) or is_schema_race(error)


def is_schema_race(error: BaseException) -> bool:
    """Whether `error` is MLflow's store set-up colliding with another process's on a new
    database: both create the tables and run the migrations, and the slower one is told a table
    or column "already exists". Once the other is done, the same write succeeds."""
    from sqlalchemy.exc import DBAPIError

    text = str(getattr(error, "orig", error)).lower()
    return isinstance(error, DBAPIError) and any(s in text for s in _SCHEMA_RACE_WORDS)


class Backoff:
    """Exponential back-off that never sleeps by itself: callers ask whether an attempt is due."""

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._initial = initial
        self._maximum = maximum
        self._clock = clock
        self._delay = initial
        self._next_attempt = 0.0
        self.failures = 0

    def due(self) -> bool:
        return self._clock() >= self._next_attempt

    def seconds_until_due(self) -> float:
        return max(0.0, self._next_attempt - self._clock())

    def failed(self) -> None:
        self.failures += 1
        self._next_attempt = self._clock() + self._delay
        self._delay = min(self._delay * 2, self._maximum)

    def succeeded(self) -> None:
        self.failures = 0
        self._delay = self._initial
        self._next_attempt = 0.0


class _SavedPolicy:
    """What the first overlapping `single_attempt` found, restored by the last one out."""

    lock = threading.Lock()
    users = 0
    environment: dict[str, str | None] = {}
    sql_errors_disabled = False


@contextmanager
def single_attempt(timeout: float, retries: int = 0) -> Iterator[None]:
    """Within the block, MLflow's client makes one attempt per request with `timeout` seconds
    (`retries` more for reads, which are safe to repeat).

    MLflow retries failed requests itself for minutes, POSTs included, so a lost response to
    `create_run` can make a second run. The logger retries on its own, idempotently, so MLflow's
    retries are turned off here (MLflow reads these variables at request time). MLflow's
    traceback for each failed SQL attempt is silenced too: the logger reports failures itself.
    Senders of several runs may overlap: the first one in saves the environment, the last one
    out restores it.
    """
    saved = _SavedPolicy
    wanted = {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(retries),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, math.ceil(timeout))),
    }
    sql_errors = logging.getLogger("mlflow.store.db.utils")
    with saved.lock:
        if saved.users == 0:
            saved.environment = {name: os.environ.get(name) for name in wanted}
            saved.sql_errors_disabled = sql_errors.disabled
        saved.users += 1
        os.environ.update(wanted)
        sql_errors.disabled = True
    try:
        yield
    finally:
        with saved.lock:
            saved.users -= 1
            if saved.users == 0:
                sql_errors.disabled = saved.sql_errors_disabled
                for name, value in saved.environment.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
