"""A reader that remembers: finished runs are fetched once, live runs only for new points.

Each `read` asks the store for the run list (cheap: runs, params, tags), then fetches the history
of runs it has not seen finish, and for runs still RUNNING only the points stamped at or after
the newest one it holds. A run that finishes is fetched whole once more, then never again.
(A point written with a timestamp older than the newest one already read, by another writer
than Lossboard's logger, reaches the cache when its run finishes.)

With a `SharedCache` (tracking.shared_cache: Redis), finished runs' histories and predictions read
by one process are there for the others: each looks there before asking the store, and puts there
what it had to read. Live runs are never shared.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from analysis import frames as f
from analysis.calibration import Predictions
from analysis.series import assign_epochs
from tracking.reader import ExperimentData, ReaderBase, RunReader, RunsData

FINISHED_STATUSES = frozenset({"FINISHED", "FAILED", "KILLED"})
_POINT = [f.RUN_ID, f.KEY, f.STEP, f.TIMESTAMP, f.VALUE]


class SharedCache(Protocol):
    """Finished runs' histories and predictions, shared between processes; never fails."""

    def get(self, run_ids: Sequence[str],
            extra_keys: Collection[str] = ()) -> tuple[pd.DataFrame, set[str]]:
        """The histories held for `run_ids`, and the runs they are of."""
        ...

    def put(self, history: pd.DataFrame, run_ids: Collection[str],
            extra_keys: Collection[str] = ()) -> None: ...

    def get_predictions(self, run_ids: Sequence[str]) -> dict[str, Predictions]: ...

    def put_predictions(self, predictions: Mapping[str, Predictions]) -> None: ...


@dataclass
class _Entry:
    finished: pd.DataFrame = field(default_factory=f.empty_history)
    finished_ids: set[str] = field(default_factory=set)
    live: dict[str, pd.DataFrame] = field(default_factory=dict)


class CachedReader(ReaderBase):
    """Wraps any `RunReader`; safe to share between threads. With `shared`, finished runs
    another process has read already come from there, not from the store."""

    def __init__(self, reader: RunReader, shared: SharedCache | None = None) -> None:
        self.uri = reader.uri
        self._reader = reader
        self._shared = shared
        self._entries: dict[tuple[object, ...], _Entry] = {}
        self._predictions: dict[str, Predictions] = {}
        self._lock = threading.Lock()

    def experiment_names(self) -> list[str]:
        return self._reader.experiment_names()

    def read_runs(self, experiment: str, *, filter_string: str | None = None,
                  include_deleted: bool = False) -> RunsData:
        return self._reader.read_runs(experiment, filter_string=filter_string,
                                      include_deleted=include_deleted)

    def read_history(self, runs: RunsData, *, run_ids: Collection[str] | None = None,
                     extra_keys: tuple[str, ...] = (), since: int | None = None) -> pd.DataFrame:
        return self._reader.read_history(runs, run_ids=run_ids, extra_keys=extra_keys,
                                         since=since)

    def predictions(self, runs: pd.DataFrame) -> dict[str, Predictions]:
        """Fetched once per run (logged once, at a run's end)."""
        from tracking.predictions import with_predictions

        logged = with_predictions(runs)
        missing = logged[~logged[f.RUN_ID].isin(list(self._predictions))]
        if not missing.empty:
            ids = list(missing[f.RUN_ID])
            found = self._shared.get_predictions(ids) if self._shared else {}
            rest = missing[~missing[f.RUN_ID].isin(list(found))]
            fetched = self._reader.predictions(rest) if not rest.empty else {}
            if self._shared and fetched:
                self._shared.put_predictions(fetched)
            with self._lock:
                self._predictions.update(found | fetched)
        return {r: self._predictions[r] for r in logged[f.RUN_ID] if r in self._predictions}

    def read(self, experiment: str, *, filter_string: str | None = None,
             include_deleted: bool = False, extra_keys: tuple[str, ...] = ()) -> ExperimentData:
        runs = self.read_runs(experiment, filter_string=filter_string,
                              include_deleted=include_deleted)
        with self._lock:
            entry = self._entries.setdefault(
                (runs.experiment_id, filter_string, include_deleted, extra_keys), _Entry())
            history = self._refresh(entry, runs, extra_keys)
        return ExperimentData(runs.experiment_id, runs.name, runs.runs, history)

    def _refresh(self, entry: _Entry, runs: RunsData, extra: tuple[str, ...]) -> pd.DataFrame:
        table = runs.runs
        present = set(table[f.RUN_ID])
        done = set(table.loc[table[f.STATUS].isin(FINISHED_STATUSES), f.RUN_ID])
        if entry.finished_ids - present:  # deleted, or filtered out since
            entry.finished = entry.finished[entry.finished[f.RUN_ID].isin(present)]
            entry.finished_ids &= present
        newly_done = done - entry.finished_ids
        if newly_done:
            fetched = self._read_finished(runs, sorted(newly_done), extra)
            entry.finished = pd.concat([entry.finished, fetched], ignore_index=True)
            entry.finished_ids |= newly_done
        entry.live = {r: h for r, h in entry.live.items() if r in present - done}
        self._refresh_live(entry, runs, sorted(present - done), extra)
        if not entry.live:
            return entry.finished
        return pd.concat([entry.finished, *entry.live.values()], ignore_index=True)

    def _read_finished(self, runs: RunsData, run_ids: list[str],
                       extra: tuple[str, ...]) -> pd.DataFrame:
        """Histories of finished runs: the shared cache's where it has them, else the store's
        (then shared)."""
        if self._shared is None:
            return self.read_history(runs, run_ids=run_ids, extra_keys=extra)
        shared, held = self._shared.get(run_ids, extra)
        missing = [r for r in run_ids if r not in held]
        if not missing:
            return shared
        fetched = self.read_history(runs, run_ids=missing, extra_keys=extra)
        self._shared.put(fetched, missing, extra)
        return fetched if not held else pd.concat([shared, fetched], ignore_index=True)

    def _refresh_live(self, entry: _Entry, runs: RunsData, live: list[str],
                      extra: tuple[str, ...]) -> None:
        known = [r for r in live if r in entry.live and not entry.live[r].empty]
        new = [r for r in live if r not in known]
        if new:
            fetched = self.read_history(runs, run_ids=new, extra_keys=extra)
            for run_id in new:
                entry.live[run_id] = fetched[fetched[f.RUN_ID] == run_id]
        if known:
            since = int(min(entry.live[r][f.TIMESTAMP].max() for r in known))
            fetched = self.read_history(runs, run_ids=known, extra_keys=extra, since=since)
            for run_id in known:
                merged = pd.concat([entry.live[run_id], fetched[fetched[f.RUN_ID] == run_id]])
                # re-map epochs over the whole run: new epoch marks may cover earlier steps
                entry.live[run_id] = assign_epochs(merged.drop_duplicates(_POINT))
