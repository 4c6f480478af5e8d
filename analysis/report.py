"""The comparison of an experiment's runs: everything `lossboard compare` reports, in one place.

The JSON form is a stable contract (see README, "lossboard compare"):
{"experiment", "objective", "runs": [{RUN_FIELDS...}], "recommended": {"loss", "accuracy"},
 "disagreements": [[run_id, run_id], ...]}, with null wherever a value is unknown.

A sweep's parent run (one another run names in `mlflow.parentRunId`) is listed but is never a
peer: it often re-logs its best child's values once, and as a candidate it would shift the
medians and tie with that child on the Pareto front. Its children are compared as runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis import frames as f
from analysis.divergence import divergence_by_run
from analysis.series import build_curves, choose_keys_per_run
from analysis.summary import epochs_reached, final_and_best
from analysis.tradeoff import (
    OBJECTIVES,
    Recommendation,
    disagreements,
    pareto_front,
    quadrants,
    recommend,
)

RUN_FIELDS = [f.RUN_ID, f.RUN_NAME, f.STATUS, f.PARENT_RUN_ID, f.CHILD_RUNS, f.LOSS_KEY,
              f.ACCURACY_KEY, f.ACCURACY_DERIVED_FROM, f.ACCURACY_SCALE, f.EPOCHS,
              f.EVALUATIONS, f.FINAL_LOSS, f.FINAL_ACCURACY, f.BEST_LOSS, f.BEST_LOSS_EPOCH,
              f.BEST_ACCURACY, f.BEST_ACCURACY_EPOCH, f.QUADRANT, f.PARETO, f.DIVERGENCE_EPOCH,
              f.BASELINE_ACCURACY, f.ECE, f.CALIBRATED_LOSS]


@dataclass(frozen=True)
class Calibration:
    ece: float
    calibrated_loss: float  # validation NLL after temperature scaling


@dataclass(frozen=True)
class Comparison:
    table: pd.DataFrame  # one row per run, RUN_FIELDS columns, indexed by run_id
    recommended: dict[str, Recommendation | None]  # objective -> pick
    disagreements: list[tuple[str, str]]
    curves: pd.DataFrame  # the `curves` frame the table was computed from

    @property
    def has_metrics(self) -> bool:
        """Whether any run has both a validation loss and an accuracy series."""
        return bool(self.table[f.LOSS_KEY].notna().any() and
                    self.table[f.ACCURACY_KEY].notna().any())


def _baseline(runs: pd.DataFrame) -> pd.Series:
    if f.BASELINE_TAG not in runs:
        return pd.Series(math.nan, index=runs.index, dtype="float64")
    return pd.to_numeric(runs[f.BASELINE_TAG], errors="coerce").astype("float64")


def family(runs: pd.DataFrame) -> pd.DataFrame:
    """Per run (indexed by run_id): `parent_run_id` (its mlflow.parentRunId tag, or None) and
    `children` (how many runs here name it their parent)."""
    parents = (runs[f.PARENT_RUN_TAG] if f.PARENT_RUN_TAG in runs
               else pd.Series(None, index=runs.index, dtype="object"))
    parents = pd.Series(parents.to_numpy(), index=runs[f.RUN_ID].to_numpy(), dtype="object")
    children = parents.dropna().value_counts().reindex(parents.index, fill_value=0)
    return pd.DataFrame({f.PARENT_RUN_ID: parents.where(parents.notna(), None),
                         f.CHILD_RUNS: children.astype("int64")}).rename_axis(f.RUN_ID)


def _epochs(table: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Evaluations counted from the curves; epochs from the `epoch` metric where logged."""
    table[f.EVALUATIONS] = table[f.EPOCHS].astype("Int64")
    reached = epochs_reached(history).reindex(table.index)
    table[f.EPOCHS] = reached.fillna(table[f.EPOCHS]).astype("float64").round().astype("Int64")
    return table


def compare(runs: pd.DataFrame, history: pd.DataFrame, *, loss_key: str | None = None,
            accuracy_key: str | None = None,
            calibration: Mapping[str, Calibration] | None = None) -> Comparison:
    """Summarise, place and rank every run; pick a run per objective."""
    choices = choose_keys_per_run(history, loss_key, accuracy_key)
    curves = build_curves(history, choices)
    base = runs.set_index(f.RUN_ID)
    table = (base[[f.RUN_NAME, f.STATUS]].join(family(runs)).join(choices)
             .join(final_and_best(curves)))
    table = _epochs(table, history)
    peers = table[f.CHILD_RUNS] == 0  # a sweep's parent is never a candidate
    loss, accuracy = table[f.FINAL_LOSS][peers], table[f.FINAL_ACCURACY][peers]
    table[f.QUADRANT] = quadrants(loss, accuracy).reindex(table.index)
    table[f.PARETO] = pareto_front(loss, accuracy).reindex(table.index, fill_value=False)
    table[f.DIVERGENCE_EPOCH] = divergence_by_run(curves)
    table[f.BASELINE_ACCURACY] = _baseline(base)
    known = calibration or {}
    table[f.ECE] = table.index.map(lambda r: known[r].ece if r in known else math.nan)
    table[f.CALIBRATED_LOSS] = table.index.map(
        lambda r: known[r].calibrated_loss if r in known else math.nan)
    table.insert(0, f.RUN_ID, table.index)
    names = table[f.RUN_NAME].fillna(table[f.RUN_ID])
    picks = {o: recommend(loss, accuracy, names, o) for o in OBJECTIVES}
    return Comparison(table[RUN_FIELDS], picks, disagreements(loss, accuracy), curves)


def json_value(value: Any) -> Any:
    """JSON-ready: None for missing or non-finite numbers, Python scalars otherwise."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(comparison: Comparison, experiment: str, objective: str) -> dict[str, Any]:
    rows = [{field: json_value(value) for field, value in row.items()}
            for row in comparison.table.to_dict(orient="records")]
    return {
        "experiment": experiment,
        "objective": objective,
        "runs": rows,
        "recommended": {o: (pick.run_id if pick else None)
                        for o, pick in comparison.recommended.items()},
        "disagreements": [list(pair) for pair in comparison.disagreements],
    }
