"""Final and best validation values per run, read from a `curves` frame."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from analysis.frames import (
    BASELINE_LIFT,
    BEST_ACCURACY,
    BEST_ACCURACY_EPOCH,
    BEST_LOSS,
    BEST_LOSS_EPOCH,
    EPOCH,
    EPOCHS,
    FINAL_ACCURACY,
    FINAL_LOSS,
    KEY,
    METRIC,
    RUN_ID,
    SPLIT,
    VALUE,
)
from analysis.metric_keys import EPOCH_KEY

VAL: Final = "val"
LOSS: Final = "loss"
ACCURACY: Final = "accuracy"

SUMMARY_COLUMNS: Final = [EPOCHS, FINAL_LOSS, FINAL_ACCURACY, BEST_LOSS, BEST_LOSS_EPOCH,
                          BEST_ACCURACY, BEST_ACCURACY_EPOCH]


def validation_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """The validation rows of `curves` that name a run."""
    # isin, not ==: on a string column == yields <NA>, which cannot index
    return curves[curves[SPLIT].isin([VAL]) & curves[RUN_ID].notna()]


def _final(val: pd.DataFrame, metric: str) -> pd.Series:
    """Value at each run's highest epoch for `metric`; NaN kept, it means the run diverged."""
    rows = val[val[METRIC].isin([metric])].sort_values(EPOCH, kind="stable")
    # groupby().last() would skip NaN and report a pre-divergence value as final
    last = rows.drop_duplicates(RUN_ID, keep="last")
    return last.set_index(RUN_ID)[VALUE]


def _best(val: pd.DataFrame, metric: str, lower_is_better: bool) -> pd.DataFrame:
    """Best non-NaN value per run and its epoch; ties go to the earliest epoch."""
    rows = val[val[METRIC].isin([metric]) & val[VALUE].notna()]
    rows = rows.sort_values([VALUE, EPOCH], ascending=[lower_is_better, True], kind="stable")
    best = rows.drop_duplicates(RUN_ID, keep="first").set_index(RUN_ID)
    return best[[VALUE, EPOCH]]


def final_and_best(curves: pd.DataFrame) -> pd.DataFrame:
    """One row per run with any validation point: epoch count, final and best loss/accuracy.

    Final values sit at the run's highest epoch for that metric, NaN included; best values
    ignore NaN (+inf loss is simply the worst). A metric the run never logged gives NaN.
    """
    val = validation_curves(curves)
    runs = pd.Index(val[RUN_ID].drop_duplicates().astype("string").sort_values(), name=RUN_ID)
    best_loss = _best(val, LOSS, lower_is_better=True)
    best_accuracy = _best(val, ACCURACY, lower_is_better=False)
    out = pd.DataFrame({
        EPOCHS: val.groupby(RUN_ID)[EPOCH].nunique(),
        FINAL_LOSS: _final(val, LOSS),
        FINAL_ACCURACY: _final(val, ACCURACY),
        BEST_LOSS: best_loss[VALUE],
        BEST_LOSS_EPOCH: best_loss[EPOCH],
        BEST_ACCURACY: best_accuracy[VALUE],
        BEST_ACCURACY_EPOCH: best_accuracy[EPOCH],
    }, index=runs, columns=SUMMARY_COLUMNS, dtype="float64")
    out[EPOCHS] = out[EPOCHS].fillna(0).astype("int64")
    return out


def baseline_lift(final_accuracy: pd.Series, baseline: pd.Series) -> pd.Series:
    """Accuracy above the majority-class baseline, aligned on run_id; NaN where either is unknown.

    The result covers the union of both indexes, so a run missing from one side shows as NaN
    rather than silently disappearing.
    """
    lift = final_accuracy.astype("float64").sub(baseline.astype("float64"))
    return lift.rename(BASELINE_LIFT).rename_axis(RUN_ID)


def epochs_reached(history: pd.DataFrame) -> pd.Series:
    """Training epochs each run reached, from its `epoch` metric, for the runs that log one
    (HF Trainer, Lightning: their steps are global steps). HF counts progress (0.5, 1.0, ...,
    3.0): the highest value. Lightning logs the epoch's index, whole numbers from 0: the highest
    plus one. Whole epochs only: a run stopped at 2.46 reached 2."""
    rows = history[history[KEY].isin([EPOCH_KEY]) & np.isfinite(history[VALUE])]
    values, run = rows[VALUE].astype("float64"), rows[RUN_ID]
    top = values.groupby(run, observed=True).max()
    counts_from_zero = values.groupby(run, observed=True).min() == 0
    fractional = (values % 1 != 0).groupby(run, observed=True).any()
    reached = top.where(fractional | ~counts_from_zero, top + 1)
    whole: pd.Series = np.floor(reached + 1e-9)
    return whole.rename(EPOCHS).rename_axis(RUN_ID)
