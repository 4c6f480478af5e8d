"""Comparisons are reused while the data is the same, and recomputed as soon as it is not."""

from __future__ import annotations

import pandas as pd

from analysis import frames as f
from analysis.series import tidy_history
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


def test_a_comparison_asked_twice_at_once_is_computed_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from dashboard import comparisons

    calls: list[int] = []
    started, release = threading.Event(), threading.Event()
    real = comparisons.compare

    def slow_compare(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        started.set()
        release.wait(5)  # the second caller arrives while this one computes
        return real(*args, **kwargs)

    monkeypatch.setattr(comparisons, "compare", slow_compare)
    cache, answers = ComparisonCache(), []
    threads = [threading.Thread(target=lambda: answers.append(
        cache.compare(experiment(), None, None))) for _ in range(2)]
    threads[0].start()
    started.wait(5)
    threads[1].start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len(answers) == 2 and answers[0] is answers[1]
