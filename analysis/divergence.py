"""When validation loss and accuracy started to disagree: loss rising while accuracy holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from analysis.frames import DIVERGENCE_EPOCH, EPOCH, METRIC, RUN_ID, VALUE
from analysis.groups import codes, group_starts, position_in_group
from analysis.summary import ACCURACY, LOSS, validation_curves


def _smooth(series: pd.Series, window: int) -> pd.Series:
    """Trailing rolling median by epoch, NaN dropped first; the first window-1 epochs drop out.

    Trailing rather than centred so the value at an epoch never looks at later epochs: the
    detector then reports what could have been known at that point, one-ish epoch late.
    """
    clean = series.astype("float64").sort_index().dropna()
    return clean.rolling(window, min_periods=window).median().dropna()


def divergence_epoch(
    val_loss: pd.Series,
    val_accuracy: pd.Series,
    window: int = 3,
    persistence: int = 3,
    tolerance: float = 1e-12,
) -> float | None:
    """First epoch from which smoothed validation loss rises while smoothed accuracy holds.

    Both series are indexed by epoch and smoothed with a trailing median of `window` points.
    A step rises when smoothed loss grows by more than `tolerance`, strictly: a plateau never
    counts, so a noisy but flat or falling loss does not trigger. Accuracy holds when it does not
    fall by more than `tolerance` on each of the same steps (pass one validation sample's worth,
    1/n, to forgive a single flipped prediction). The answer is the epoch the first run of
    `persistence` such steps starts from, on the epochs both smoothed series share; None if none.
    """
    if window < 1 or persistence < 1:
        raise ValueError(f"window and persistence must be >= 1, got {window} and {persistence}")
    both = pd.concat([_smooth(val_loss, window), _smooth(val_accuracy, window)], axis=1,
                     join="inner")
    if len(both) <= persistence:
        return None
    steps = np.diff(both.to_numpy(float), axis=0)
    ok = (steps[:, 0] > tolerance) & (steps[:, 1] >= -tolerance)
    streak = np.convolve(ok.astype(int), np.ones(persistence, dtype=int), mode="valid")
    hits = np.flatnonzero(streak == persistence)
    if hits.size == 0:
        return None
    return float(both.index[hits[0]])


def _smoothed_by_run(val: pd.DataFrame, runs: np.ndarray, metric: str,
                     window: int) -> pd.DataFrame:
    """`_smooth` of every run's series at once: run code (`runs`, one per row of `val`),
    epoch and trailing rolling median, ordered by run and epoch."""
    wanted = (val[METRIC].isin([metric]) & val[VALUE].notna()).to_numpy()
    rows, run = val[wanted], runs[wanted]
    epoch = rows[EPOCH].to_numpy(dtype="float64")
    order = np.lexsort((epoch, run))
    run, epoch, value = run[order], epoch[order], rows[VALUE].to_numpy(dtype="float64")[order]
    smoothed = np.full(len(value), np.nan)
    if len(value) >= window:
        smoothed[window - 1:] = np.median(sliding_window_view(value, window), axis=1)
    smoothed[position_in_group(group_starts(run)) < window - 1] = np.nan  # reached another run
    found = pd.DataFrame({"run": run, EPOCH: epoch, metric: smoothed})
    return found[found[metric].notna()]


def divergence_by_run(
    curves: pd.DataFrame, window: int = 3, persistence: int = 3, tolerance: float = 1e-12
) -> pd.Series:
    """divergence_epoch of each run's validation curves: run_id -> epoch, NaN when none.

    The same answer as `divergence_epoch` run by run, computed for all runs at once in numpy
    (1000 runs: ~0.03 s rather than ~7 s). A run without validation accuracy never diverges.
    """
    if window < 1 or persistence < 1:
        raise ValueError(f"window and persistence must be >= 1, got {window} and {persistence}")
    val = validation_curves(curves)
    found, runs = codes(val[RUN_ID])
    both = _smoothed_by_run(val, found, LOSS, window).merge(  # the epochs both series share
        _smoothed_by_run(val, found, ACCURACY, window), on=["run", EPOCH])
    epochs = np.full(len(runs), np.nan)
    run, start = _first_streaks(both, persistence, tolerance)
    epochs[run] = start
    return pd.Series(epochs, index=runs.astype("string").rename(RUN_ID), name=DIVERGENCE_EPOCH)


def _first_streaks(both: pd.DataFrame, persistence: int,
                   tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """(run, epoch) where each run's first streak of `persistence` steps of rising loss and
    holding accuracy starts; `both` holds smoothed loss and accuracy by run and epoch."""
    run, epoch = both["run"].to_numpy(), both[EPOCH].to_numpy()
    position = position_in_group(group_starts(run))
    ok = np.zeros(len(both), dtype=int)
    ok[1:] = ((np.diff(both[LOSS].to_numpy()) > tolerance)
              & (np.diff(both[ACCURACY].to_numpy()) >= -tolerance) & (position[1:] > 0))
    total = np.concatenate([[0], np.cumsum(ok)])
    streak = total[persistence:] - total[:-persistence]  # steps into rows i - persistence + 1..i
    hit = np.flatnonzero(streak == persistence) + persistence - 1
    hit = hit[position[hit] >= persistence]  # the streak's first step starts inside the run
    first = group_starts(run[hit])
    return run[hit][first], epoch[hit - persistence][first]
