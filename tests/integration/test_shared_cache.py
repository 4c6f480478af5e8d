"""Two CachedReaders (as two gunicorn workers) over one SQLite store, sharing a real Redis."""

from __future__ import annotations

import logging
import math
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis
from mlflow import MlflowClient
from mlflow.entities import Metric

from analysis import frames as f
from analysis.calibration import Predictions
from dashboard.settings import DashboardSettings
from dashboard.wsgi import build_reader
from tests.helpers import stores
from tests.helpers.stores import REDIS_URL
from tracking import keys
from tracking.cache import CachedReader
from tracking.reader import RunsData
from tracking.settings import SettingsError
from tracking.shared_cache import (
    DEFAULT_TTL_SECONDS,
    RedisHistoryCache,
    history_key,
    namespace,
    predictions_key,
)
from tracking.sql_reader import SqlReader

EXPERIMENT = "shared"
ORDER = [f.RUN_ID, f.KEY, f.STEP, f.TIMESTAMP, f.VALUE]


class RecordingReader(SqlReader):
    """The real SQL reader, noting which histories and predictions it was asked for."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.calls: list[tuple[tuple[str, ...], int | None]] = []
        self.predicted: list[tuple[str, ...]] = []

    def read_history(self, runs: RunsData, *, run_ids: Collection[str] | None = None,
                     extra_keys: tuple[str, ...] = (), since: int | None = None) -> pd.DataFrame:
        self.calls.append((tuple(sorted(run_ids or ())), since))
        return super().read_history(runs, run_ids=run_ids, extra_keys=extra_keys, since=since)

    def predictions(self, runs: pd.DataFrame) -> dict[str, Predictions]:
        self.predicted.append(tuple(sorted(runs[f.RUN_ID])))
        return super().predictions(runs)


@dataclass
class Store:
    uri: str
    done: list[str]  # FINISHED (with predictions), FAILED (NaN, +/-inf), KILLED (no metrics)
    live: str
    client: MlflowClient


@pytest.fixture
def redis_url() -> str:
    return stores.redis_url()


@pytest.fixture
def store(sqlite_uri: str, tmp_path: Path, redis_url: str) -> Iterator[Store]:
    """Three finished runs and a live one; their keys are removed from Redis afterwards."""
    client = MlflowClient(sqlite_uri)
    experiment = client.create_experiment(EXPERIMENT)
    now = int(time.time() * 1000)

    def run(name: str, losses: list[float], status: str | None) -> str:
        run_id: str = client.create_run(experiment, run_name=name).info.run_id
        client.log_batch(run_id, metrics=[
            Metric(key, value, now + step, step) for step, loss in enumerate(losses, start=1)
            for key, value in (("val_loss", loss), ("val_accuracy", 0.5 + step / 10))])
        if status:
            client.set_terminated(run_id, status)
        return run_id

    done = [run("plain", [0.9, 0.5, 0.3], "FINISHED"),
            run("extremes", [math.nan, math.inf, -math.inf, 0.4], "FAILED"),
            run("empty", [], "KILLED")]
    log_predictions(client, done[0], tmp_path)
    made = Store(sqlite_uri, done, run("live", [0.8, 0.6], None), client)
    yield made
    server = redis.Redis.from_url(redis_url)
    for run_id in [*made.done, made.live]:
        for key in server.scan_iter(f"lossboard:*:{run_id}"):
            server.delete(key)


def log_predictions(client: MlflowClient, run_id: str, folder: Path) -> None:
    path = folder / "val_predictions.npz"
    np.savez(path, proba=np.array([[0.1, 0.9], [0.7, 0.3]], np.float32),
             labels=np.array([1, 1], np.int64))
    client.log_artifact(run_id, str(path), artifact_path="lossboard")
    client.set_tag(run_id, keys.TAG_PREDICTIONS, keys.PREDICTIONS_ARTIFACT)


def rows(store: Store, run_ids: list[str]) -> pd.DataFrame:
    """The runs frame's rows of `run_ids`, as the page has them when it asks for predictions."""
    runs = SqlReader(store.uri).read_runs(EXPERIMENT).runs
    return runs[runs[f.RUN_ID].isin(run_ids)]


def worker(store: Store, url: str = REDIS_URL, **options: float) -> CachedReader:
    """What one gunicorn worker holds: its own reader and cache, the shared Redis."""
    return CachedReader(RecordingReader(store.uri), RedisHistoryCache(url, store.uri, **options))


def asked(reader: CachedReader) -> RecordingReader:
    """The store behind a worker's cache, and what it was asked."""
    recording = reader._reader
    assert isinstance(recording, RecordingReader)
    return recording


def calls(reader: CachedReader) -> list[tuple[tuple[str, ...], int | None]]:
    return asked(reader).calls


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.sort_values(ORDER).reset_index(drop=True),
                                  b.sort_values(ORDER).reset_index(drop=True))


def test_the_second_worker_reads_no_finished_history_from_the_store(store: Store) -> None:
    first, second = worker(store), worker(store)
    history = first.read(EXPERIMENT).history
    assert calls(first) == [(tuple(sorted(store.done)), None), ((store.live,), None)]

    shared = second.read(EXPERIMENT).history
    assert calls(second) == [((store.live,), None)]  # live runs: always the store
    same(shared, history)
    same(shared, SqlReader(store.uri).read(EXPERIMENT).history)
    values = shared.loc[shared[f.KEY] == "val_loss", f.VALUE]
    assert values.isna().any() and np.isposinf(values).any() and np.isneginf(values).any()

    server, space = redis.Redis.from_url(REDIS_URL), namespace(store.uri)
    assert all(0 < server.ttl(history_key(space, r)) <= DEFAULT_TTL_SECONDS for r in store.done)
    assert not server.exists(history_key(space, store.live))


def test_a_run_that_finishes_is_read_from_the_store_once_for_all_workers(store: Store) -> None:
    first, second = worker(store), worker(store)
    first.read(EXPERIMENT), second.read(EXPERIMENT)
    calls(first).clear(), calls(second).clear()
    store.client.set_terminated(store.live)

    history = first.read(EXPERIMENT).history
    assert calls(first) == [((store.live,), None)]
    same(second.read(EXPERIMENT).history, history)
    assert calls(second) == []


def test_other_extra_keys_are_another_namespace(store: Store) -> None:
    first, second = worker(store), worker(store)
    first.read(EXPERIMENT)
    second.read(EXPERIMENT, extra_keys=("lr",))
    assert calls(second)[0] == (tuple(sorted(store.done)), None)


def test_predictions_are_shared(store: Store) -> None:
    first, second = worker(store), worker(store)
    wanted = rows(store, [store.done[0], store.done[1]])  # the second run logged none
    found = first.predictions(wanted)
    assert asked(first).predicted == [(store.done[0],)]  # only the run tagged as having them

    shared = second.predictions(wanted)
    assert asked(second).predicted == []
    assert list(shared) == list(found) == [store.done[0]]
    for mine, theirs in zip(shared[store.done[0]], found[store.done[0]], strict=True):
        assert mine.dtype == theirs.dtype
        np.testing.assert_array_equal(mine, theirs)


def test_a_corrupt_value_is_a_miss_and_is_read_again(store: Store,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    first, second = worker(store), worker(store)
    history = first.read(EXPERIMENT).history
    server, key = redis.Redis.from_url(REDIS_URL), history_key(namespace(store.uri), store.done[1])
    server.set(key, b"\x00 not arrow")
    server.set(predictions_key(namespace(store.uri), store.done[0]), b"not numpy")

    with caplog.at_level(logging.WARNING, logger="lossboard.tracking"):
        same(second.read(EXPERIMENT).history, history)
        assert len(second.predictions(rows(store, [store.done[0]]))) == 1
    assert calls(second) == [((store.done[1],), None), ((store.live,), None)]
    assert asked(second).predicted == [(store.done[0],)]
    assert key in caplog.text
    third = worker(store)  # the values were put back, whole
    same(third.read(EXPERIMENT).history, history)
    assert calls(third) == [((store.live,), None)]
    assert list(third.predictions(rows(store, [store.done[0]]))) == [store.done[0]]
    assert asked(third).predicted == []


def test_unreachable_redis_means_reads_from_the_store_and_one_warning(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    down = "redis://:s3cret@127.0.0.1:1/0"  # nothing listens on port 1
    reader = worker(store, down, retry_after=0.0)  # tried again on every call
    with caplog.at_level(logging.WARNING, logger="lossboard.tracking"):
        for _ in range(3):
            same(reader.read(EXPERIMENT).history, SqlReader(store.uri).read(EXPERIMENT).history)
        assert list(reader.predictions(rows(store, [store.done[0]]))) == [store.done[0]]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = warning.getMessage()
    assert "127.0.0.1:1" in message and "from the store directly" in message
    assert "s3cret" not in caplog.text


def test_build_reader_shares_through_the_settings_redis(store: Store, redis_url: str) -> None:
    settings = DashboardSettings(tracking_uri=store.uri, redis_url=redis_url)
    build_reader(settings).read(EXPERIMENT)
    server, space = redis.Redis.from_url(redis_url), namespace(store.uri)
    assert all(server.exists(history_key(space, r)) for r in store.done)

    with pytest.raises(SettingsError, match="LOSSBOARD_REDIS_URL='http://:\\*\\*\\*@cache/0'"):
        build_reader(DashboardSettings(tracking_uri=store.uri, redis_url="http://:pw@cache/0"))


def test_without_a_redis_url_redis_is_never_imported(store: Store) -> None:
    code = ("import sys; from dashboard.settings import DashboardSettings; "
            "from dashboard.wsgi import build_reader; "
            f"build_reader(DashboardSettings(tracking_uri={store.uri!r})).read({EXPERIMENT!r}); "
            "assert 'redis' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
