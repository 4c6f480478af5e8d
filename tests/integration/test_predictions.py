"""Predictions for calibration from a real multi-worker `mlflow server`: proxied artifacts come
through the file fetcher, other artifact stores through MLflow's client."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from mlflow import MlflowClient

from tests.helpers.mlflow_server import MlflowServer
from tracking import keys
from tracking.predictions import load_predictions


def log_predictions(client: MlflowClient, experiment_id: str, seed: int) -> str:
    run_id = str(client.create_run(experiment_id).info.run_id)
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / keys.PREDICTIONS_FILE
        np.savez(path, proba=rng.random((50, 3)).astype("float32"),
                 labels=rng.integers(0, 3, 50))
        client.log_artifact(run_id, str(path), keys.ARTIFACT_DIR)
    return run_id


def test_predictions_from_proxied_and_local_artifacts_alike(tmp_path: Path) -> None:
    server = MlflowServer(tmp_path, workers=2)
    server.start()
    try:
        client = MlflowClient(server.uri)
        proxied = client.create_experiment("proxied")  # mlflow-artifacts: roots
        local = client.create_experiment("local", (tmp_path / "local").as_uri())
        ids = [log_predictions(client, proxied, seed) for seed in range(5)]
        ids.append(log_predictions(client, local, 5))
        ids.append(str(client.create_run(proxied).info.run_id))  # logged no predictions
        done: list[int] = []
        found = load_predictions(server.uri, ids, progress=done.append)
        assert done == list(range(1, 8))
        assert sorted(found) == sorted(ids[:6])
        for seed, run_id in enumerate(ids[:6]):
            rng = np.random.default_rng(seed)
            np.testing.assert_array_equal(found[run_id][0], rng.random((50, 3)).astype("float32"))
            np.testing.assert_array_equal(found[run_id][1], rng.integers(0, 3, 50))
        # MLflow's own session waits on the multi-worker server's delayed ACKs; ours does not
        started = time.perf_counter()
        for run_id in ids[:5]:
            client.download_artifacts(run_id, keys.PREDICTIONS_ARTIFACT, str(tmp_path))
        mlflow_seconds = time.perf_counter() - started
        started = time.perf_counter()
        assert len(load_predictions(server.uri, ids[:5])) == 5
        ours = time.perf_counter() - started
    finally:
        server.stop()
    assert ours < mlflow_seconds / 4, (mlflow_seconds, ours)  # a ratio in one run, not a time
