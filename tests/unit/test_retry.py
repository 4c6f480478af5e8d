import os

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos import databricks_pb2 as codes

from tracking.retry import Backoff, is_transient, single_attempt


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_up_to_the_maximum_and_resets() -> None:
    clock = FakeClock()
    backoff = Backoff(initial=1.0, maximum=4.0, clock=clock)
    assert backoff.due()
    waits = []
    for _ in range(4):
        backoff.failed()
        waits.append(backoff.seconds_until_due())
        assert not backoff.due()
        clock.now += waits[-1]
        assert backoff.due()
    assert waits == [1.0, 2.0, 4.0, 4.0]
    assert backoff.failures == 4
    backoff.succeeded()
    assert backoff.failures == 0 and backoff.due()
    backoff.failed()
    assert backoff.seconds_until_due() == 1.0


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (MlflowException("server down", error_code=codes.INTERNAL_ERROR), True),
        (MlflowException("locked", error_code=codes.TEMPORARILY_UNAVAILABLE), True),
        (MlflowException("slow down", error_code=codes.REQUEST_LIMIT_EXCEEDED), True),
        (MlflowException("bad name", error_code=codes.INVALID_PARAMETER_VALUE), False),
        (MlflowException("no such run", error_code=codes.RESOURCE_DOES_NOT_EXIST), False),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (ValueError("bug"), False),
    ],
)
def test_transient_errors_are_told_apart(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_single_attempt_sets_and_restores_mlflow_http_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "7")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT", raising=False)
    with single_attempt(2.5):
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
        assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "3"
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "7"
    assert "MLFLOW_HTTP_REQUEST_TIMEOUT" not in os.environ


def test_overlapping_single_attempts_restore_the_environment_once_all_are_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    first, second = single_attempt(1), single_attempt(1)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"  # second is still sending
    second.__exit__(None, None, None)
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ


@pytest.mark.parametrize(("message", "transient"), [
    ("table runs already exists", True),
    ('relation "experiments" already exists', True),
    ("duplicate column name: step", True),
    ("no such table: runs", False),
])
def test_schema_set_up_collisions_are_transient(message: str, transient: bool) -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    error = ProgrammingError("CREATE TABLE runs (...)", {}, Exception(message))
    assert is_transient(error) is transient
    assert is_transient(OperationalError("SELECT 1", {}, Exception(message))) is True
    assert is_transient(ValueError(message)) is False
