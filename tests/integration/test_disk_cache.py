"""Finished runs read from a real `mlflow server` are kept on disk and trusted only while they
agree with the runs' latest metrics; damaged, foreign or stale files are read again."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from analysis import frames as f
from tests.helpers.mlflow_server import MlflowServer
from tests.integration.test_readers import assert_same
from tracking.disk_cache import DiskHistoryCache
from tracking.rest_reader import RestReader
from tracking.run_records import RunRecord

EXPERIMENT = "cached"
pytestmark = pytest.mark.integration


class RecordingReader(RestReader):
    """The real REST reader, noting which runs it had to ask the server for."""

    def __init__(self, uri: str, cache: DiskHistoryCache | None) -> None:
        super().__init__(uri, cache=cache)
        self.asked: list[set[str]] = []

    def _fetched(self, runs: list[RunRecord], wanted: list[str]) -> pd.DataFrame:
        self.asked.append({r.run_id for r in runs})
        return super()._fetched(runs, wanted)


def log_runs(uri: str) -> dict[str, str]:
    """Three ended runs (one of them with no metrics) and one still running: name -> id."""
    client = MlflowClient(uri)
    experiment = client.create_experiment(EXPERIMENT)
    now = int(time.time() * 1000)
    ids = {}
    for name, status in (("a", "FINISHED"), ("b", "FAILED"), ("empty", "KILLED"),
                         ("live", None)):
        run_id = client.create_run(experiment, run_name=name).info.run_id
        if name != "empty":
            client.log_batch(run_id, metrics=[
                Metric(key, 0.5 / step, now + step, step) for step in range(1, 6)
                for key in ("val_loss", "val_accuracy", "lr")])
        if status:
            client.set_terminated(run_id, status)
        ids[name] = run_id
    return ids


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MlflowServer]:
    (tmp_path / "server").mkdir()
    server = MlflowServer(tmp_path / "server")
    server.start()
    yield server
    server.stop()


def test_a_second_reader_takes_ended_runs_from_disk(server: MlflowServer, tmp_path: Path) -> None:
    ids = log_runs(server.uri)
    first = RecordingReader(server.uri, DiskHistoryCache(tmp_path, server.uri))
    expected = first.read(EXPERIMENT)
    assert first.asked == [set(ids.values())]
    second = RecordingReader(server.uri, DiskHistoryCache(tmp_path, server.uri))
    assert_same(second.read(EXPERIMENT), expected)
    assert second.asked == [{ids["live"]}]  # only the live run goes to the server
    assert_same(RestReader(server.uri).read(EXPERIMENT), expected)  # uncached: the same
    with_lr = RecordingReader(server.uri, DiskHistoryCache(tmp_path, server.uri))
    data = with_lr.read(EXPERIMENT, extra_keys=("lr",))  # a key the files do not hold
    assert "lr" in set(data.history[f.KEY])
    assert with_lr.asked == [{ids["a"], ids["b"], ids["live"]}]  # "empty" has nothing to add


def test_a_point_logged_after_a_run_was_kept_is_read_again(server: MlflowServer,
                                                         tmp_path: Path) -> None:
    ids = log_runs(server.uri)
    RecordingReader(server.uri, DiskHistoryCache(tmp_path, server.uri)).read(EXPERIMENT)
    MlflowClient(server.uri).log_metric(ids["a"], "val_loss", 0.01, step=6)
    again = RecordingReader(server.uri, DiskHistoryCache(tmp_path, server.uri))
    history = again.read(EXPERIMENT).history
    assert again.asked == [{ids["a"], ids["live"]}]
    assert 0.01 in set(history[(history[f.RUN_ID] == ids["a"])][f.VALUE])


def test_damaged_or_foreign_files_are_one_warning_and_read_again(
        server: MlflowServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ids = log_runs(server.uri)
    cache = DiskHistoryCache(tmp_path, server.uri)
    expected = RecordingReader(server.uri, cache).read(EXPERIMENT)
    (cache.folder / f"{ids['a']}.arrow").write_bytes(b"\x00 not a zip")
    (cache.folder / f"{ids['empty']}.arrow").write_bytes(
        (cache.folder / f"{ids['b']}.arrow").read_bytes())  # b's file under another run's name
    again = RecordingReader(server.uri, DiskHistoryCache(tmp_path, server.uri))
    with caplog.at_level(logging.WARNING, logger="lossboard.tracking"):
        assert_same(again.read(EXPERIMENT), expected)
    assert again.asked == [{ids["a"], ids["empty"], ids["live"]}]
    assert len([r for r in caplog.records if "history cache" in r.getMessage()]) == 1
    third = RecordingReader(server.uri, DiskHistoryCache(tmp_path, server.uri))
    third.read(EXPERIMENT)
    assert third.asked == [{ids["live"]}]  # rewritten whole


def test_processes_share_the_folder_and_no_cache_keeps_nothing(server: MlflowServer,
                                                             tmp_path: Path) -> None:
    log_runs(server.uri)
    command = [sys.executable, "-m", "dashboard.cli", "compare", "--experiment", EXPERIMENT,
               "--tracking-uri", server.uri, "--format", "json"]
    env = {"LOSSBOARD_CACHE_DIR": str(tmp_path / "shared"), "PATH": "/usr/bin:/bin"}
    started = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
               for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in started]
    assert all(p.returncode == 0 for p in started) and len(set(outputs)) == 1
    assert len(list((tmp_path / "shared").glob("*/*.arrow"))) == 3
    assert not list((tmp_path / "shared").glob("*/*.tmp"))
    env["LOSSBOARD_CACHE_DIR"] = str(tmp_path / "unused")
    subprocess.run([*command, "--no-cache"], env=env, check=True, capture_output=True)
    assert not (tmp_path / "unused").exists()
