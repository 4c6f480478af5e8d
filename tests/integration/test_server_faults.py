"""A real `mlflow server` failing under a training run: every epoch lands exactly once."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.helpers.lossy_proxy import LossyProxy
from tests.helpers.mlflow_server import MlflowServer
from tracking import EpochLogger, TrackingSettings, keys
from tracking.retry import Backoff
from training.datasets import load_split
from training.loop import Scores, fit_and_log
from training.sweep import REGIMES

CONFIG = replace(REGIMES[0], epochs=12)
EPOCH_KEYS = {keys.TRAIN_LOSS, keys.TRAIN_ACCURACY, keys.VAL_LOSS, keys.VAL_ACCURACY}


def settings(uri: str, tmp_path: Path) -> TrackingSettings:
    return TrackingSettings(uri, request_timeout=5, flush_timeout=60, spool_dir=tmp_path / "s")


def quick_backoff() -> Backoff:
    return Backoff(initial=0.2, maximum=1.0)


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def assert_each_epoch_once(uri: str, experiment: str, epochs: int) -> None:
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None
    [run] = client.search_runs([found.experiment_id])  # one run per training
    assert run.info.status == "FINISHED"
    for key in EPOCH_KEYS:
        steps = [m.step for m in client.get_metric_history(run.info.run_id, key)]
        assert sorted(steps) == list(range(1, epochs + 1)), key
    artifacts = client.list_artifacts(run.info.run_id, keys.ARTIFACT_DIR)
    assert sorted(a.path for a in artifacts) == [keys.HISTORY_ARTIFACT, keys.PREDICTIONS_ARTIFACT]


@pytest.fixture
def caplog_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.WARNING, logger="lossboard.tracking"):
        yield caplog


def test_server_stopped_mid_training_and_restarted(
    mlflow_server: MlflowServer, tmp_path: Path, caplog_warnings: pytest.LogCaptureFixture
) -> None:
    split = load_split(CONFIG.dataset)
    with EpochLogger("restart", "r", settings=settings(mlflow_server.uri, tmp_path),
                     backoff=quick_backoff()) as run:

        def on_epoch(epoch: int, val: Scores) -> None:
            if epoch == 3:
                assert run.wait_until_sent(30)  # epochs 1-3 are in before the crash
                mlflow_server.stop(signal.SIGKILL)
            if epoch == 6:  # training went on while the sender failed against the dead server
                wait_for(lambda: "buffering and retrying" in caplog_warnings.text, "a failure")
            if epoch == 8:
                mlflow_server.start()

        fit_and_log(CONFIG, split, 0, run, on_epoch)
    assert run.report is not None and run.report.complete
    assert "reachable again" in caplog_warnings.text
    assert_each_epoch_once(mlflow_server.uri, "restart", CONFIG.epochs)


def test_server_down_when_training_starts(
    mlflow_server: MlflowServer, tmp_path: Path, caplog_warnings: pytest.LogCaptureFixture
) -> None:
    mlflow_server.stop()
    split = load_split(CONFIG.dataset)
    with EpochLogger("late-server", "r", settings=settings(mlflow_server.uri, tmp_path),
                     backoff=quick_backoff()) as run:

        def on_epoch(epoch: int, val: Scores) -> None:
            if epoch == 2:
                wait_for(lambda: "buffering and retrying" in caplog_warnings.text, "a failure")
                assert run.run_id is None  # the run itself is still waiting to be created
            if epoch == 5:
                mlflow_server.start()

        fit_and_log(CONFIG, split, 0, run, on_epoch)
    assert run.report is not None and run.report.complete
    assert_each_epoch_once(mlflow_server.uri, "late-server", CONFIG.epochs)


def test_lost_responses_never_duplicate_runs_or_points(
    mlflow_server: MlflowServer, tmp_path: Path
) -> None:
    proxy = LossyProxy(mlflow_server.port, drop={
        "/api/2.0/mlflow/runs/create": 1, "/api/2.0/mlflow/runs/log-batch": 2})
    try:
        split = load_split(CONFIG.dataset)
        with EpochLogger("lossy", "r", settings=settings(proxy.uri, tmp_path),
                         backoff=quick_backoff()) as run:
            fit_and_log(CONFIG, split, 0, run)
    finally:
        proxy.close()
    # the faults really happened: the server acted on requests whose answers were lost
    assert proxy.dropped.count("/api/2.0/mlflow/runs/create") == 1
    assert proxy.dropped.count("/api/2.0/mlflow/runs/log-batch") == 2
    assert run.report is not None and run.report.complete
    assert_each_epoch_once(mlflow_server.uri, "lossy", CONFIG.epochs)
