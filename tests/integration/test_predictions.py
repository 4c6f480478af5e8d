"""Predictions for calibration: fetched only for runs tagged as having them, from where the
run's artifact root says (a real multi-worker `mlflow server` proxying them, a local folder, a
SQLite store's own artifacts), never through an MLflow tracking store object."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from mlflow import MlflowClient

from analysis import frames as f
from tests.helpers.mlflow_server import MlflowServer
from tracking import EpochLogger, TrackingSettings, keys
from tracking.predictions import PREDICTIONS_TAG, load_predictions, with_predictions
from tracking.rest_reader import RestReader
from tracking.sql_reader import SqlReader


def arrays(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((50, 3)).astype("float32"), rng.integers(0, 3, 50)


def log_predictions(client: MlflowClient, experiment_id: str, seed: int, *,
                    tag: bool = True, file: bool = True) -> str:
    """A run with the predictions file and the tag the logger sets once it is stored."""
    run_id = str(client.create_run(experiment_id).info.run_id)
    if file:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / keys.PREDICTIONS_FILE
            proba, labels = arrays(seed)
            np.savez(path, proba=proba, labels=labels)
            client.log_artifact(run_id, str(path), keys.ARTIFACT_DIR)
    if tag:
        client.set_tag(run_id, keys.TAG_PREDICTIONS, keys.PREDICTIONS_ARTIFACT)
    return run_id


def assert_loaded(found: dict[str, tuple[np.ndarray, np.ndarray]], seeds: dict[str, int]) -> None:
    assert sorted(found) == sorted(seeds)
    for run_id, seed in seeds.items():
        for got, expected in zip(found[run_id], arrays(seed), strict=True):
            np.testing.assert_array_equal(got, expected)


def test_predictions_from_proxied_and_local_roots_and_only_for_tagged_runs(
        tmp_path: Path) -> None:
    server = MlflowServer(tmp_path, workers=2)
    server.start()
    try:
        client = MlflowClient(server.uri)
        proxied = client.create_experiment("proxied")  # mlflow-artifacts: roots
        local = client.create_experiment("local", (tmp_path / "local").as_uri())
        seeds = {log_predictions(client, proxied, seed): seed for seed in range(5)}
        seeds[log_predictions(client, local, 5)] = 5
        untagged = log_predictions(client, proxied, 6, tag=False)  # an older logger's run
        lost = log_predictions(client, proxied, 7, file=False)  # tagged, file gone
        reader = RestReader(server.uri)
        runs = pd.concat([reader.read_runs("proxied").runs, reader.read_runs("local").runs])
        assert set(with_predictions(runs)[f.RUN_ID]) == {*seeds, lost}
        done: list[int] = []
        found = load_predictions(runs, server.uri, progress=done.append)
    finally:
        server.stop()
    assert done == list(range(1, 8))  # the untagged run is not asked for
    assert untagged not in found and lost not in found
    assert_loaded(found, seeds)


def test_a_sqlite_stores_runs_read_their_own_artifacts(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    experiment = client.create_experiment("local")
    seeds = {log_predictions(client, experiment, seed): seed for seed in range(2)}
    plain = client.create_run(experiment).info.run_id
    runs = SqlReader(sqlite_uri).read_runs("local").runs
    assert_loaded(load_predictions(runs, sqlite_uri), seeds)
    assert plain not in SqlReader(sqlite_uri).predictions(runs)


def test_the_logger_tags_a_run_once_its_predictions_are_stored(sqlite_uri: str) -> None:
    settings = TrackingSettings(tracking_uri=sqlite_uri)
    proba, labels = arrays(0)
    with EpochLogger("tagged", "with", settings=settings) as run:
        run.log_epoch(1, val_loss=0.5, val_accuracy=0.7)
        run.log_predictions(proba, labels)
    with EpochLogger("tagged", "without", settings=settings) as run:
        run.log_epoch(1, val_loss=0.5, val_accuracy=0.7)
    runs = SqlReader(sqlite_uri).read_runs("tagged").runs.set_index(f.RUN_NAME)
    assert runs.loc["with", PREDICTIONS_TAG] == keys.PREDICTIONS_ARTIFACT
    assert pd.isna(runs.loc["without", PREDICTIONS_TAG])
    found = load_predictions(runs.reset_index(), sqlite_uri)
    assert list(found) == [runs.loc["with", f.RUN_ID]]
