"""The last few comparisons, so a click (select, switch objective, smooth) re-draws without
re-analysing: keyed by the experiment, the key overrides and a fingerprint of its data."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd

from analysis import frames as f
from analysis.report import Comparison, compare
from tracking.reader import ExperimentData

Key = tuple[object, ...]


def fingerprint(data: ExperimentData) -> Key:
    """Changes whenever anything `compare` reads changes: points (count, newest timestamp),
    run names, statuses, majority baselines and parent runs."""
    history = data.history
    newest = int(history[f.TIMESTAMP].max()) if len(history) else 0
    columns = [c for c in (f.RUN_ID, f.RUN_NAME, f.STATUS, f.BASELINE_TAG, f.PARENT_RUN_TAG)
               if c in data.runs]
    runs = int(pd.util.hash_pandas_object(data.runs[columns].astype("string"), index=False).sum())
    return len(history), newest, runs


class ComparisonCache:
    """Thread-safe; a comparison asked for while another thread computes it is waited for,
    not computed twice (the start-up warm-up and the first page ask for the same one)."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._entries: OrderedDict[Key, Comparison] = OrderedDict()
        self._computing: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()

    def compare(self, data: ExperimentData, loss_key: str | None,
                accuracy_key: str | None) -> Comparison:
        key = (data.experiment_id, loss_key, accuracy_key, *fingerprint(data))
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key]
            try:
                found = compare(data.runs, data.history, loss_key=loss_key,
                                accuracy_key=accuracy_key)
                with self._lock:
                    self._entries[key] = found
                    while len(self._entries) > self._size:
                        self._entries.popitem(last=False)
            finally:  # after storing: a thread arriving now finds the entry, not a new lock
                with self._lock:
                    self._computing.pop(key, None)
        return found
