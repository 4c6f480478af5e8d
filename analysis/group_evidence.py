"""Is a lead between seed groups real? Against seed noise, tested on the groups' runs.

Two groups are compared by Welch's t-test (unequal variances) on their runs' final validation
loss and accuracy: the question is whether a configuration's mean beats another's by more than
a different seed moves it. With two or three seeds a group's spread is itself rough, so a
p-value here is a warning, not a proof; with no spread at all (every seed scored the same),
there is nothing to test against and p is unknown (NaN). Single runs on shared validation
samples are tested in `analysis.verdict`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis import frames as f
from analysis.summary import ACCURACY, LOSS
from analysis.tradeoff import (
    OBJECTIVES,
    Recommendation,
    disagreements,
    recommend,
    runner_up,
)

SIGNIFICANCE = 0.05
MEASURE = {LOSS: f.FINAL_LOSS, ACCURACY: f.FINAL_ACCURACY}


@dataclass(frozen=True)
class GroupVersus:
    """Group a against group b over their seeds, a minus b throughout."""

    a: str
    b: str
    n_a: int
    n_b: int
    accuracy_diff: float
    accuracy_p: float  # Welch's t-test on the runs' final accuracy; NaN when untestable
    loss_diff: float
    loss_p: float

    def as_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "n_a": self.n_a, "n_b": self.n_b,
                "accuracy_diff": self.accuracy_diff, "accuracy_p": self.accuracy_p,
                "loss_diff": self.loss_diff, "loss_p": self.loss_p, "test": "welch"}


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p of Welch's t-test; NaN with fewer than two values a side or no spread."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return math.nan
    with warnings.catch_warnings():  # one side without spread: scipy's cancellation warning
        warnings.simplefilter("ignore", RuntimeWarning)  # is about a variance that is 0 anyway
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def group_versus(a: str, b: str, table: pd.DataFrame, members: pd.Series) -> GroupVersus:
    """Groups `a` and `b` (ids in `members`: group id per run id) from the runs' `table`."""
    values = {g: table.loc[members.index[members == g], list(MEASURE.values())]
              .astype("float64") for g in (a, b)}
    diff = {k: float(values[a][c].mean() - values[b][c].mean()) for k, c in MEASURE.items()}
    p = {k: welch_p(values[a][c].to_numpy(), values[b][c].to_numpy())
         for k, c in MEASURE.items()}
    return GroupVersus(a, b, len(values[a]), len(values[b]), diff[ACCURACY], p[ACCURACY],
                       diff[LOSS], p[LOSS])


def seed_noise_clause(result: GroupVersus, objective: str, runner_up_name: str) -> str:
    """What the winning group's lead over the runner-up is worth against seed noise."""
    p = result.accuracy_p if objective == ACCURACY else result.loss_p
    gap = result.accuracy_diff if objective == ACCURACY else -result.loss_diff
    seeds = f"{result.n_a} vs {result.n_b} seeds"
    if math.isnan(p):
        return (f"the {objective} gap over {runner_up_name} is {gap:.4f} ({seeds}, "
                "no spread over seeds to test it against)")
    verdict = "beyond seed noise" if p < SIGNIFICANCE else "within seed noise"
    return (f"the {objective} gap over {runner_up_name} is {gap:.4f} ({seeds}, "
            f"Welch p = {p:.2g}): {verdict}")


def group_picks(summary: pd.DataFrame, table: pd.DataFrame, members: pd.Series
                ) -> dict[str, Recommendation | None]:
    """A group per objective among the groups' means, its sentence ending with the seed noise
    of its lead over the runner-up group."""
    loss, accuracy = summary["final_loss_mean"], summary["final_accuracy_mean"]
    names = summary["name"] + " (" + summary["n"].astype(str) + " seeds)"
    picks: dict[str, Recommendation | None] = {}
    for objective in OBJECTIVES:
        pick = recommend(loss, accuracy, names, objective)
        runner = runner_up(loss, accuracy, objective) if pick else None
        if pick is not None and runner is not None:
            versus = group_versus(pick.run_id, runner, table, members)
            clause = seed_noise_clause(versus, objective, str(names[runner]))
            p = versus.accuracy_p if objective == ACCURACY else versus.loss_p
            pick = replace(pick, reason=f"{pick.reason.rstrip('.')}; {clause}.",
                           settled=None if math.isnan(p) else bool(p < SIGNIFICANCE))
        picks[objective] = pick
    return picks


def group_disagreements(summary: pd.DataFrame, table: pd.DataFrame, members: pd.Series
                        ) -> list[GroupVersus]:
    """Each overconfident group against each hedging group it beats on accuracy and loses to
    on loss (by the groups' means), tested against seed noise."""
    pairs = disagreements(summary["final_loss_mean"], summary["final_accuracy_mean"])
    return [group_versus(a, b, table, members) for a, b in pairs]
