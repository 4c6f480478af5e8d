"""Comparisons are reused while the data is the same, and recomputed as soon as it is not."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import frames as f
from dashboard.analysis.series import tidy_history
from dashboard.comparisons import ComparisonCache
from tracking.reader import ExperimentData


def experiment(status: str = "FINISHED", points: int = 3) -> ExperimentData:
    runs = pd.DataFrame({f.RUN_ID: ["a", "b"], f.RUN_NAME: ["a", "b"], f.STATUS: [status] * 2})
    raw = pd.DataFrame([(r, k, s, v, 1000 + s) for r in ("a", "b") for s in range(points)
                        for k, v in (("val_loss", 1 / (s + 1)), ("val_accuracy", s / 10))],
                       columns=[f.RUN_ID, f.KEY, f.STEP, f.VALUE, f.TIMESTAMP])
    return ExperimentData("1", "e", runs, tidy_history(raw))


def test_same_data_same_comparison_changed_data_new_one() -> None:
    cache = ComparisonCache(size=2)
    first = cache.compare(experiment(), None, None)
    assert cache.compare(experiment(), None, None) is first
    assert cache.compare(experiment(status="RUNNING"), None, None) is not first
    longer = cache.compare(experiment(points=4), None, None)
    assert longer is not first and int(longer.table["epochs"].max()) == 4
    assert cache.compare(experiment(), "val_accuracy", None) is not first  # other keys
    assert cache.compare(experiment(), None, None) is not first  # evicted: size 2
