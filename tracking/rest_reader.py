"""Path for http(s) tracking servers: history files, else MLflow's bulk history endpoint.

A finished run that Lossboard's logger wrote has its whole history in one artifact (see
`tracking.history_file`): where the server proxies artifacts (`mlflow-artifacts:` run roots,
`mlflow server`'s default), that one file is fetched and checked against the run's latest
values. Every other run (autologged, still running, a stale or unreadable file) is read from
the bulk endpoint: one request per key and batch of up to 100 runs, several in flight at once.
That endpoint answers at most 25,000 points: a batch that comes back full is split and asked
again, and a single run with more points than that is read with paged per-run calls.
Timeouts and retries follow MLflow's client settings (see `tracking.retry.single_attempt`).
Nothing here imports MLflow (`tracking.rest_api` speaks its REST API): a second `lossboard
compare` over REST, its runs in the history cache, is otherwise mostly MLflow's import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis import frames as f
from analysis.metric_keys import relevant_keys
from tracking import keys, rest_api
from tracking.disk_cache import DiskHistoryCache
from tracking.history_file import History, agrees_with, decode
from tracking.reader import Progress, StoreUnreachable, describe_failure
from tracking.rest_api import Point, TrackingServer
from tracking.run_records import RecordReader, RunRecord
from tracking.server_http import proxied_artifact_endpoint

ENDED = frozenset({"FINISHED", "FAILED", "KILLED"})
FILE_THREADS = 4  # 1000 files, one-worker server: 1 thread 3.9 s, 2 threads 2.9 s, 4 threads 3.4 s
# (four workers: 2, 4 and 8 threads alike); the server sets the pace
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_RUNS_PER_CALL = 100
log = logging.getLogger("lossboard.tracking")


def history_file_endpoint(run: RunRecord) -> str | None:
    """Where the server serves `run`'s history file; None if the run has none, has not ended,
    or its artifacts are not proxied by this server."""
    if keys.TAG_HISTORY_FILE not in run.tags or run.status not in ENDED:
        return None
    return proxied_artifact_endpoint(run.artifact_uri, keys.HISTORY_ARTIFACT)


def points_frame(read: list[tuple[str, History]], wanted: list[str]) -> pd.DataFrame:
    """Raw (run_id, key, step, value, timestamp) rows of `wanted` keys from history files."""
    keeps = [np.isin(h.keys, wanted)[h.key_index] for _, h in read]
    counts = [int(keep.sum()) for keep in keeps]
    pairs = list(zip(read, keeps, strict=True))

    def column(pick: Callable[[History], NDArray[Any]]) -> NDArray[Any]:
        return np.concatenate([pick(h)[keep] for (_, h), keep in pairs] or [np.array([])])

    return pd.DataFrame({
        f.RUN_ID: np.repeat(np.array([run_id for run_id, _ in read], dtype=object), counts),
        f.KEY: column(lambda h: h.keys[h.key_index]).astype(object),
        f.STEP: column(lambda h: h.step), f.VALUE: column(lambda h: h.value),
        f.TIMESTAMP: column(lambda h: h.timestamp)})


class _Counter:
    """Reports (done, total) to a progress callback as requests complete."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def advance(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def batches(runs: list[RunRecord], key: str) -> Iterator[list[str]]:
    """Run ids in groups the endpoint can answer whole: at most 100 runs, and about 20,000
    points judging by each run's latest step (a full answer is split again anyway)."""
    batch: list[str] = []
    points = 0
    for run in runs:
        latest = run.latest.get(key)
        if latest is None:
            continue
        estimate = latest[0] + 1
        if batch and (len(batch) == MAX_RUNS_PER_CALL or points + estimate > 20_000):
            yield batch
            batch, points = [], 0
        batch.append(run.run_id)
        points += estimate
    if batch:
        yield batch


class RestReader(RecordReader):
    """`RunReader` for tracking servers: runs by search, histories from history files where
    runs have them (`history_files=False` to never use them) and the bulk endpoint otherwise."""

    # Two bulk requests in flight: the server's ORM work bounds that path (measured on a 2-core
    # machine: 2 threads 14.9 s, 4 threads 18.1 s, 8 threads 19.5 s for 1000 x 100 x 4).
    def __init__(self, uri: str, threads: int = 2, progress: Progress | None = None, *,
                 history_files: bool = True, cache: DiskHistoryCache | None = None) -> None:
        self.uri = uri
        self._server = TrackingServer(uri)
        self._threads = threads
        self._progress = progress
        self._history_files = history_files
        self._cache = cache

    def experiment_names(self) -> list[str]:
        return self._server.experiment_names()

    def find_experiment(self, experiment: str) -> tuple[str, str]:
        return self._server.find_experiment(experiment)

    def _search(self, experiment_id: str, filter_string: str | None,
                include_deleted: bool) -> Iterator[RunRecord]:
        return self._server.search_runs(experiment_id, filter_string, include_deleted)

    def _points_of(self, runs: list[RunRecord], extra: tuple[str, ...]) -> pd.DataFrame:
        """Ended runs from the disk cache where it holds them; the rest from the server (ended
        ones then kept)."""
        wanted = relevant_keys({k for r in runs for k in r.latest}, extra)
        if self._cache is None:
            return self._fetched(runs, wanted)
        ended = [r for r in runs if r.status in ENDED]
        held, held_ids = self._cache.get(ended, wanted)
        missing = [r for r in runs if r.run_id not in held_ids]
        fetched = self._fetched(missing, wanted)
        by_run = dict(tuple(fetched.groupby(f.RUN_ID, sort=False))) if len(fetched) else {}
        for run in (r for r in ended if r.run_id not in held_ids):
            self._cache.put(run, by_run.get(run.run_id, fetched.iloc[0:0]))
        log.debug("%d of %d ended runs came from the history cache", len(held_ids), len(ended))
        return pd.concat([held, fetched], ignore_index=True) if held_ids else fetched

    def _fetched(self, runs: list[RunRecord], wanted: list[str]) -> pd.DataFrame:
        """Raw points of `wanted` keys from the server: history files, else the bulk endpoint."""
        endpoints = [history_file_endpoint(r) if self._history_files else None for r in runs]
        filed = [(r, e) for r, e in zip(runs, endpoints, strict=True) if e is not None]
        others = [r for r, e in zip(runs, endpoints, strict=True) if e is None]
        jobs = [(key, batch) for key in wanted for batch in batches(others, key)]
        counter = _Counter(self._progress, len(filed) + len(jobs))
        from_files, unread = self._read_files(filed, wanted, counter)
        jobs += [(key, batch) for key in wanted for batch in batches(unread, key)]
        counter.total = len(filed) + len(jobs)
        rows: list[Point] = []
        with ThreadPoolExecutor(self._threads) as pool:
            for points in pool.map(self._fetch, jobs):
                rows += points
                counter.advance()
        bulk = pd.DataFrame(rows, columns=[f.RUN_ID, f.KEY, f.STEP, f.VALUE, f.TIMESTAMP])
        return pd.concat([from_files, bulk], ignore_index=True) if filed else bulk

    def _read_files(self, filed: list[tuple[RunRecord, str]], wanted: list[str],
                    counter: _Counter) -> tuple[pd.DataFrame, list[RunRecord]]:
        """Points of `wanted` keys from the runs' history files (run, endpoint), and the runs
        whose file failed."""
        read: list[tuple[str, History]] = []
        unread: list[RunRecord] = []
        with ThreadPoolExecutor(FILE_THREADS) as pool:
            for (run, _), history in zip(filed, pool.map(self._history_of, filed), strict=True):
                if history is None:
                    unread.append(run)
                else:
                    read.append((run.run_id, history))
                counter.advance()
        log.debug("%d of %d ended runs read from their history files", len(read), len(filed))
        if unread:
            log.warning("%d of %d history files were missing, unreadable or older than their "
                        "run's latest metrics; those runs are read through MLflow's bulk "
                        "endpoint instead", len(unread), len(filed))
        return points_frame(read, wanted), unread

    def _history_of(self, job: tuple[RunRecord, str]) -> History | None:
        """The run's history file if it can be fetched, read and agrees with the run."""
        run, endpoint = job
        data = self._download(endpoint)
        if data is None:
            return None
        try:
            history = decode(data)
        except ValueError:
            return None
        return history if agrees_with(history, run.latest) else None

    def _download(self, endpoint: str) -> bytes | None:
        try:
            return self._server.session.get_file(endpoint, MAX_FILE_BYTES)
        except Exception as error:
            raise StoreUnreachable(describe_failure(self.uri, error)) from None

    def _fetch(self, job: tuple[str, list[str]]) -> list[Point]:
        key, run_ids = job
        answer = self._server.bulk_history(key, run_ids)
        if len(answer) < rest_api.MAX_POINTS_PER_CALL:
            return answer
        if len(run_ids) == 1:  # one run with more points than the endpoint returns
            return self._server.metric_history(run_ids[0], key)
        half = len(run_ids) // 2
        return self._fetch((key, run_ids[:half])) + self._fetch((key, run_ids[half:]))
