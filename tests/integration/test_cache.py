"""CachedReader on a real store: finished runs fetched once, live runs only for new points."""

from __future__ import annotations

import time
from collections.abc import Collection

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric

from analysis import frames as f
from tracking.cache import CachedReader
from tracking.reader import RunsData
from tracking.sql_reader import SqlReader


class RecordingReader(SqlReader):
    """The real SQL reader, noting which histories it was asked for and how many rows came."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.calls: list[tuple[tuple[str, ...], int | None, int]] = []

    def read_history(self, runs: RunsData, *, run_ids: Collection[str] | None = None,
                     extra_keys: tuple[str, ...] = (), since: int | None = None) -> pd.DataFrame:
        got = super().read_history(runs, run_ids=run_ids, extra_keys=extra_keys, since=since)
        self.calls.append((tuple(sorted(run_ids or ())), since, len(got)))
        return got


def log_epochs(client: MlflowClient, run_id: str, epochs: range) -> None:
    now = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric(k, 1.0 / e, now + e, e) for e in epochs
                                      for k in ("val_loss", "val_accuracy")])


def same_as_fresh(uri: str, cached: pd.DataFrame) -> None:
    fresh = SqlReader(uri).read("cached").history
    order = [f.RUN_ID, f.KEY, f.STEP, f.TIMESTAMP, f.VALUE]
    pd.testing.assert_frame_equal(cached.sort_values(order).reset_index(drop=True),
                                  fresh.sort_values(order).reset_index(drop=True))


def test_finished_runs_once_live_runs_incrementally(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    experiment = client.create_experiment("cached")
    done = [client.create_run(experiment, run_name=f"done-{i}").info.run_id for i in range(2)]
    for run_id in done:
        log_epochs(client, run_id, range(1, 11))
        client.set_terminated(run_id)
    live = client.create_run(experiment, run_name="live").info.run_id
    log_epochs(client, live, range(1, 4))
    reader = RecordingReader(sqlite_uri)
    cached = CachedReader(reader)

    same_as_fresh(sqlite_uri, cached.read("cached").history)
    assert [(ids, since) for ids, since, _ in reader.calls] == [(tuple(sorted(done)), None),
                                                                 ((live,), None)]
    reader.calls.clear()
    log_epochs(client, live, range(4, 6))
    same_as_fresh(sqlite_uri, cached.read("cached").history)
    [(ids, since, rows)] = reader.calls  # only the live run, only from its newest point
    assert ids == (live,) and since is not None and rows == 2 * 3  # epochs 3 (newest seen)-5

    reader.calls.clear()
    client.set_terminated(live)
    same_as_fresh(sqlite_uri, cached.read("cached").history)
    assert [(ids, since) for ids, since, _ in reader.calls] == [((live,), None)]  # once, whole
    reader.calls.clear()
    same_as_fresh(sqlite_uri, cached.read("cached").history)
    assert reader.calls == []  # everything finished and held: the store is not asked again

    client.delete_run(done[0])
    history = cached.read("cached").history
    assert done[0] not in set(history[f.RUN_ID])
    same_as_fresh(sqlite_uri, history)
