"""Where loss and accuracy disagree across runs: quadrants against the experiment's medians."""

from __future__ import annotations

import pandas as pd

HIGH_ACC_HIGH_LOSS = "high-accuracy/high-loss"  # overconfident: right often, wrong confidently
LOW_ACC_LOW_LOSS = "low-accuracy/low-loss"  # hedging: wrong more often, never confidently
HIGH_ACC_LOW_LOSS = "high-accuracy/low-loss"  # better on both
LOW_ACC_HIGH_LOSS = "low-accuracy/high-loss"  # worse on both
QUADRANTS = (HIGH_ACC_HIGH_LOSS, LOW_ACC_LOW_LOSS, HIGH_ACC_LOW_LOSS, LOW_ACC_HIGH_LOSS)


def quadrants(
    loss: pd.Series,
    accuracy: pd.Series,
    loss_threshold: float | None = None,
    accuracy_threshold: float | None = None,
) -> pd.Series:
    """Quadrant name per run; thresholds default to the medians of the runs that have both.

    A value equal to its threshold counts as high. Runs missing either value get <NA>.
    """
    both = loss.notna() & accuracy.notna()
    loss_cut = loss[both].median() if loss_threshold is None else loss_threshold
    accuracy_cut = accuracy[both].median() if accuracy_threshold is None else accuracy_threshold
    high_loss = loss >= loss_cut
    high_accuracy = accuracy >= accuracy_cut
    names = (
        high_accuracy.map({True: "high-accuracy", False: "low-accuracy"})
        + "/"
        + high_loss.map({True: "high-loss", False: "low-loss"})
    )
    return names.where(both, pd.NA).astype("string")
