"""History files over a real `mlflow server`: written by the logger, read by the REST reader,
and never trusted when they disagree with the run."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric

from analysis import frames as f
from tests.helpers.lossy_proxy import LossyProxy
from tests.helpers.mlflow_server import MlflowServer
from tests.helpers.stores import EXPERIMENT, write_awkward_experiment
from tests.integration.test_readers import assert_same
from tests.integration.test_server_http import assert_acknowledged_at_once
from tracking import EpochLogger, TrackingSettings, keys
from tracking.history_file import decode, encode, log_history_file
from tracking.reader import StoreUnreachable
from tracking.rest_reader import RestReader, history_file_endpoint
from tracking.run_records import from_entity
from tracking.server_http import ServerSession, host_creds
from tracking.sql_reader import SqlReader

ENDED_WITH_METRICS = ("plain", "extremes", "duplicates", "no-accuracy")


def awkward_with_files(server: MlflowServer) -> dict[str, str]:
    """The awkward experiment, each ended run given its history file as the logger does."""
    ids = write_awkward_experiment(server.uri)
    client = MlflowClient(server.uri)
    for name in (*ENDED_WITH_METRICS, "no-metrics"):
        log_history_file(client, ids[name])
    return ids


def replace_file(client: MlflowClient, run_id: str, data: bytes, tmp_path: Path) -> None:
    path = tmp_path / run_id / keys.HISTORY_FILE
    path.parent.mkdir()
    path.write_bytes(data)
    client.log_artifact(run_id, str(path), keys.ARTIFACT_DIR)


def test_the_logger_writes_the_history_as_stored_and_tags_the_run(
        mlflow_server: MlflowServer, tmp_path: Path) -> None:
    settings = TrackingSettings(mlflow_server.uri, request_timeout=5.0, flush_timeout=30.0,
                                spool_dir=tmp_path)
    with EpochLogger("logged", "r", settings=settings) as run:
        for epoch in (1, 2, 3):
            run.log_epoch(epoch, val_loss=1 / epoch, val_accuracy=math.nan if epoch == 2 else 0.5)
    client = MlflowClient(mlflow_server.uri)
    stored = client.get_run(str(run.run_id))
    assert stored.data.tags[keys.TAG_HISTORY_FILE] == keys.HISTORY_ARTIFACT
    saved = decode(Path(client.download_artifacts(stored.info.run_id, keys.HISTORY_ARTIFACT,
                                                  str(tmp_path))).read_bytes())
    in_file = {(str(saved.keys[i]), int(s), float(v), int(t)) for i, s, v, t in zip(
        saved.key_index, saved.step, saved.value, saved.timestamp, strict=True)}
    in_store = {(m.key, m.step, m.value, m.timestamp) for key in ("val_loss", "val_accuracy")
                for m in client.get_metric_history(stored.info.run_id, key)}
    assert {p for p in in_file if not math.isnan(p[2])} == {
        p for p in in_store if not math.isnan(p[2])}
    assert len(in_file) == len(in_store) == 6


def test_a_file_that_agrees_with_the_run_is_what_the_reader_returns(
        mlflow_server: MlflowServer, tmp_path: Path) -> None:
    ids = awkward_with_files(mlflow_server)
    client = MlflowClient(mlflow_server.uri)
    run_id = ids["no-accuracy"]
    stored = [(m.key, m.step, m.value, m.timestamp) for key in ("val_loss", "lr")
              for m in client.get_metric_history(run_id, key)]
    # an earlier point only the file has: the run's latest values still agree with it
    replace_file(client, run_id, encode([*stored, ("val_loss", 0, 7.0, 1)]), tmp_path)
    history = RestReader(mlflow_server.uri).read(EXPERIMENT).history
    assert 7.0 in set(history[history[f.RUN_ID] == run_id][f.VALUE])  # the file's, not the store's
    bulk = RestReader(mlflow_server.uri, history_files=False).read(EXPERIMENT).history
    assert 7.0 not in set(bulk[f.VALUE])


def test_files_give_the_bulk_endpoints_frames_and_bad_ones_fall_back_to_it(
        mlflow_server: MlflowServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ids = awkward_with_files(mlflow_server)
    local = SqlReader(mlflow_server.backend_uri)
    assert_same(RestReader(mlflow_server.uri).read(EXPERIMENT), local.read(EXPERIMENT))
    assert_same(RestReader(mlflow_server.uri, history_files=False).read(EXPERIMENT),
                local.read(EXPERIMENT))
    # a point logged after the file, a corrupt file, a pickled one, a tag with no file
    client = MlflowClient(mlflow_server.uri)
    client.log_batch(ids["plain"], metrics=[Metric("val_loss", 0.05, 1, 4)])
    replace_file(client, ids["extremes"], b"not a zip file", tmp_path)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, keys=np.array([{"x": 1}], dtype=object), key_index=[0], step=[1],
             value=[0.5], timestamp=[1])
    replace_file(client, ids["duplicates"], pickled.read_bytes(), tmp_path)
    late = client.create_run(client.get_experiment_by_name(EXPERIMENT).experiment_id)
    client.log_metric(late.info.run_id, "val_loss", 0.5, step=1)
    client.set_tag(late.info.run_id, keys.TAG_HISTORY_FILE, keys.HISTORY_ARTIFACT)  # no file
    client.set_terminated(late.info.run_id)
    with caplog.at_level(logging.WARNING, logger="lossboard.tracking"):
        assert_same(RestReader(mlflow_server.uri).read(EXPERIMENT), local.read(EXPERIMENT))
    assert "4 of 5 history files were missing, unreadable or older than" in caplog.text


def test_lost_file_responses_are_retried_and_a_dead_end_is_a_clear_error(
        mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = awkward_with_files(mlflow_server)
    run = from_entity(MlflowClient(mlflow_server.uri).get_run(ids["plain"]))
    path = history_file_endpoint(run)
    assert path is not None
    proxy = LossyProxy(mlflow_server.port, drop={path: 2})
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    try:
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
        via_proxy = RestReader(proxy.uri).read(EXPERIMENT)
        assert proxy.dropped == [path] * 2  # two lost answers, the third attempt got through
        local = SqlReader(mlflow_server.backend_uri).read(EXPERIMENT)
        assert_same(via_proxy, local)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        proxy.to_drop[path] = 1
        with pytest.raises(StoreUnreachable, match=f"cannot read {proxy.uri}: .*Connection"):
            RestReader(proxy.uri).read(EXPERIMENT)
    finally:
        proxy.close()


def test_files_from_several_server_workers_come_without_the_delayed_ack_wait(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mlflow server`'s default, several uvicorn workers, leaves Nagle's algorithm on: a plain
    keep-alive session waits about 40 ms for every answer's body (uvicorn issue #3149). The
    reader's connections acknowledge at once, so its files come at the server's own pace."""
    server = MlflowServer(tmp_path, workers=2)
    server.start()
    try:
        ids = awkward_with_files(server)
        assert_same(RestReader(server.uri).read(EXPERIMENT),
                    SqlReader(server.backend_uri).read(EXPERIMENT))
        path = history_file_endpoint(from_entity(MlflowClient(server.uri).get_run(ids["plain"])))
        assert path is not None
        plain, fetcher = requests.Session(), ServerSession(host_creds(server.uri))
        assert_acknowledged_at_once(lambda: plain.get(server.uri + path).content,
                                    lambda: fetcher.get_file(path, 1 << 20), monkeypatch)
    finally:
        server.stop()
