"""EpochLogger against real MLflow stores: a local SQLite file, or a port nobody listens on."""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

from tests.helpers.mlflow_server import free_port
from tracking import EpochLogger, TrackingSettings, keys, replay_spool
from tracking.retry import Backoff


def settings_for(uri: str, tmp_path: Path, flush_timeout: float = 30.0) -> TrackingSettings:
    return TrackingSettings(uri, request_timeout=2.0, flush_timeout=flush_timeout,
                            spool_dir=tmp_path / "unsent")


def history(uri: str, run_id: str, key: str) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in MlflowClient(uri).get_metric_history(run_id, key))


def runs_of(uri: str, experiment: str) -> list:
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    return [] if found is None else client.search_runs([found.experiment_id])


def test_each_epoch_is_logged_under_the_convention_at_step_epoch(
    sqlite_uri: str, tmp_path: Path
) -> None:
    with EpochLogger("exp", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
        for epoch in (1, 2, 3):
            run.log_epoch(epoch, train_loss=1 / epoch, train_accuracy=0.5 + epoch / 10,
                          val_loss=2 / epoch, val_accuracy=0.4 + epoch / 10, lr=0.1 * epoch)
    assert run.report is not None and run.report.complete
    assert history(sqlite_uri, run.run_id, "val_loss") == [(1, 2.0), (2, 1.0), (3, 2 / 3)]
    assert history(sqlite_uri, run.run_id, "train_accuracy") == [(1, 0.6), (2, 0.7), (3, 0.8)]
    assert [s for s, _ in history(sqlite_uri, run.run_id, "lr")] == [1, 2, 3]
    stored = MlflowClient(sqlite_uri).get_run(run.run_id)
    assert stored.info.status == "FINISHED"
    assert set(stored.data.metrics) == {"train_loss", "train_accuracy", "val_loss",
                                        "val_accuracy", "lr"}


def test_params_tags_and_class_balance(sqlite_uri: str, tmp_path: Path) -> None:
    with EpochLogger("exp", "r", params={"lr": 0.01, "layers": "64x64"},
                     tags={keys.TAG_DATASET: "toy"},
                     settings=settings_for(sqlite_uri, tmp_path)) as run:
        baseline = run.log_class_balance([0, 0, 0, 1, 1, 2], [0, 1, 0, 2])
    assert baseline == 0.5  # the training majority (0) is right on 2 of 4 validation labels
    data = MlflowClient(sqlite_uri).get_run(run.run_id).data
    assert data.params == {"lr": "0.01", "layers": "64x64"}
    assert data.tags[keys.TAG_DATASET] == "toy"
    assert data.tags[keys.TAG_N_CLASSES] == "3"
    assert data.tags[keys.TAG_N_VAL] == "4"
    assert json.loads(data.tags[keys.TAG_CLASS_COUNTS]) == {"0": 3, "1": 2, "2": 1}
    assert float(data.tags[keys.TAG_MAJORITY_BASELINE]) == 0.5


def test_predictions_artifact_round_trips(sqlite_uri: str, tmp_path: Path) -> None:
    proba = np.array([[0.9, 0.1], [0.3, 0.7], [0.5, 0.5]])
    with EpochLogger("exp", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
        run.log_predictions(proba, [0, 1, 1])
    local = MlflowClient(sqlite_uri).download_artifacts(
        run.run_id, keys.PREDICTIONS_ARTIFACT, str(tmp_path))
    with np.load(local) as saved:
        assert saved["proba"].dtype == np.float32
        np.testing.assert_allclose(saved["proba"], proba, rtol=1e-7)
        assert saved["labels"].tolist() == [0, 1, 1]


def test_a_logged_model_loads_back_and_can_be_promoted(sqlite_uri: str, tmp_path: Path) -> None:
    import mlflow
    from sklearn.datasets import load_breast_cancer
    from sklearn.neural_network import MLPClassifier

    from tracking.review import ReviewWriter

    x, y = load_breast_cancer(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(x, y)
    with EpochLogger("exp", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
        run.log_model(model)
    promotion = ReviewWriter(sqlite_uri).promote(run.run_id, "mlp")
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(sqlite_uri)
    try:
        loaded = mlflow.sklearn.load_model("models:/mlp@champion")
    finally:
        mlflow.set_tracking_uri(before)
    assert str(promotion) == "model 'mlp' version 1, alias 'champion'"
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_nan_is_stored_as_nan(sqlite_uri: str, tmp_path: Path) -> None:
    with EpochLogger("exp", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
        run.log_epoch(1, val_loss=math.nan, val_accuracy=0.5)
    [(step, value)] = history(sqlite_uri, run.run_id, "val_loss")
    assert step == 1 and math.isnan(value)


@pytest.mark.parametrize(
    ("error", "status"),
    [(RuntimeError("diverged"), "FAILED"), (KeyboardInterrupt(), "KILLED"),
     (SystemExit(1), "KILLED"), (SystemExit(0), "FINISHED")],
)
def test_how_training_ends_sets_the_run_status(
    sqlite_uri: str, tmp_path: Path, error: BaseException, status: str
) -> None:
    with pytest.raises(type(error)):
        with EpochLogger("exp", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
            run.log_epoch(1, val_loss=0.5)
            raise error
    stored = MlflowClient(sqlite_uri).get_run(run.run_id)
    assert stored.info.status == status
    assert history(sqlite_uri, run.run_id, "val_loss") == [(1, 0.5)]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda run: run.log_epoch(-1, val_loss=0.1), ValueError),
        (lambda run: run.log_epoch("3", val_loss=0.1), ValueError),
        (lambda run: run.log_epoch(True, val_loss=0.1), ValueError),
        (lambda run: run.log_epoch(1, val_loss="low"), TypeError),
        (lambda run: run.log_epoch(1, **{"bad?key": 0.1}), ValueError),
        (lambda run: run.log_epoch(1, **{"val_loss\n": 0.1}), ValueError),
        (lambda run: run.log_epoch(2**63, val_loss=0.1), ValueError),
        (lambda run: run.log_epoch(np.uint64(2**63), val_loss=0.1), ValueError),
        (lambda run: run.log_epoch(1, val_loss=10**400), ValueError),
        (lambda run: run.log_epoch(1, val_loss=1 + 2j), TypeError),
        (lambda run: run.log_params({"lr\n": 1}), ValueError),
        (lambda run: run.log_params({"": 1}), ValueError),
        (lambda run: run.log_predictions(np.ones((3, 2)), [0, 1]), ValueError),
    ],
)
def test_bad_input_is_refused_before_anything_is_queued(
    sqlite_uri: str, tmp_path: Path, call, error: type[Exception]
) -> None:
    with EpochLogger("exp", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
        run.log_epoch(1, val_loss=0.3)
        with pytest.raises(error):
            call(run)
    assert MlflowClient(sqlite_uri).get_run(run.run_id).data.metrics == {"val_loss": 0.3}


def test_out_of_range_values_are_named_and_the_largest_step_is_stored(
    sqlite_uri: str, tmp_path: Path
) -> None:
    with EpochLogger("exp", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
        with pytest.raises(ValueError, match=r"val_loss=1000000000.*too large"):
            run.log_epoch(1, val_loss=10**400)
        with pytest.raises(ValueError, match=r"epoch must be .* got 9223372036854775808"):
            run.log_epoch(2**63, val_loss=0.1)
        run.log_epoch(2**63 - 1, val_loss=0.2)
    assert run.report is not None and run.report.complete
    assert history(sqlite_uri, run.run_id, "val_loss") == [(2**63 - 1, 0.2)]


def test_logging_after_finish_is_an_error(sqlite_uri: str, tmp_path: Path) -> None:
    run = EpochLogger("exp", "r", settings=settings_for(sqlite_uri, tmp_path))
    report = run.finish()
    assert run.finish() is report
    with pytest.raises(RuntimeError, match="already finished"):
        run.log_epoch(1, val_loss=0.1)


def test_locked_sqlite_store_buffers_then_writes_every_epoch_once(
    sqlite_uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lock = sqlite3.connect(tmp_path / "mlflow.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    run = EpochLogger("locked", "r", settings=settings_for(sqlite_uri, tmp_path))
    for epoch in range(1, 6):
        run.log_epoch(epoch, val_loss=epoch / 10)
    deadline = time.monotonic() + 60
    while "buffering and retrying" not in caplog.text:  # the sender tried and met the lock
        assert time.monotonic() < deadline, "the sender never tried to write"
        time.sleep(0.05)
    assert lock.execute("SELECT COUNT(*) FROM metrics").fetchone() == (0,)  # nothing got in
    lock.execute("COMMIT")
    lock.close()
    report = run.finish()
    assert report.complete and report.status == "FINISHED"
    assert [s for s, _ in history(sqlite_uri, run.run_id, "val_loss")] == [1, 2, 3, 4, 5]
    assert len(runs_of(sqlite_uri, "locked")) == 1


def test_unreachable_store_saves_everything_and_replay_sends_it_once(
    sqlite_uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = settings_for(dead, tmp_path, flush_timeout=1.0)
    with caplog.at_level(logging.WARNING, logger="lossboard.tracking"):
        with EpochLogger("offline", "r", params={"lr": 0.1}, settings=settings,
                         backoff=Backoff(initial=0.1)) as run:
            for epoch in (1, 2, 3):
                run.log_epoch(epoch, val_loss=epoch / 10, val_accuracy=0.5)
            run.log_predictions([[0.2, 0.8]], [1])
    report = run.report
    assert report is not None and not report.complete and report.run_id is None
    assert report.unsent_epochs == 3 and report.spool is not None
    assert f"lossboard replay {report.spool}" in caplog.text
    assert "buffering and retrying" in caplog.text

    replayed = replay_spool(report.spool, settings_for(sqlite_uri, tmp_path))
    assert replayed.complete and not report.spool.exists()
    [stored] = runs_of(sqlite_uri, "offline")
    assert stored.info.status == "FINISHED" and stored.data.params == {"lr": "0.1"}
    assert history(sqlite_uri, stored.info.run_id, "val_loss") == [(1, 0.1), (2, 0.2), (3, 0.3)]
    artifacts = MlflowClient(sqlite_uri).list_artifacts(stored.info.run_id, keys.ARTIFACT_DIR)
    assert sorted(a.path for a in artifacts) == [keys.HISTORY_ARTIFACT, keys.PREDICTIONS_ARTIFACT]


def test_deleted_experiment_is_refused_at_once_with_a_clear_reason(
    sqlite_uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = MlflowClient(sqlite_uri)
    client.delete_experiment(client.create_experiment("gone"))
    with EpochLogger("gone", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
        run.log_epoch(1, val_loss=0.1)
    assert run.report is not None and run.report.spool is not None
    assert "is deleted: restore it" in caplog.text
    assert "buffering and retrying" not in caplog.text  # refused at once, never retried


def test_a_history_file_the_store_cannot_take_does_not_keep_the_run_from_ending(
    sqlite_uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = MlflowClient(sqlite_uri)  # artifacts behind a server this SQLite store cannot reach
    client.create_experiment("proxied", artifact_location="mlflow-artifacts:/elsewhere")
    with caplog.at_level(logging.WARNING, logger="lossboard.tracking"):
        with EpochLogger("proxied", "r", settings=settings_for(sqlite_uri, tmp_path)) as run:
            run.log_epoch(1, val_loss=0.5, val_accuracy=0.7)
    assert run.report is not None and run.report.complete
    stored = client.get_run(str(run.run_id))
    assert stored.info.status == "FINISHED" and keys.TAG_HISTORY_FILE not in stored.data.tags
    assert "history file not written" in caplog.text
