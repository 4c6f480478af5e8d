"""The comparison of an experiment's runs: everything `lossboard compare` reports, in one place.

The JSON form is a stable contract (see README, "lossboard compare"):
{"experiment", "objective", "runs": [{RUN_FIELDS...}], "recommended": {"loss", "accuracy"},
 "disagreements": [[run_id, run_id], ...]}, with null wherever a value is unknown.
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
from analysis.summary import final_and_best
from analysis.tradeoff import (
    OBJECTIVES,
    Recommendation,
    disagreements,
    pareto_front,
    quadrants,
    recommend,
)

BASELINE_TAG = f.TAG_PREFIX + "majority_baseline_accuracy"
RUN_FIELDS = ["run_id", "run_name", "status", "loss_key", "accuracy_key",
              "accuracy_derived_from", "epochs", "final_loss", "final_accuracy", "best_loss",
              "best_loss_epoch", "best_accuracy", "best_accuracy_epoch", "quadrant", "pareto",
              "divergence_epoch", "baseline_accuracy", "ece", "calibrated_loss"]


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
        return bool(self.table["loss_key"].notna().any() and
                    self.table["accuracy_key"].notna().any())


def _baseline(runs: pd.DataFrame) -> pd.Series:
    if BASELINE_TAG not in runs:
        return pd.Series(math.nan, index=runs.index, dtype="float64")
    return pd.to_numeric(runs[BASELINE_TAG], errors="coerce").astype("float64")


def compare(runs: pd.DataFrame, history: pd.DataFrame, *, loss_key: str | None = None,
            accuracy_key: str | None = None,
            calibration: Mapping[str, Calibration] | None = None) -> Comparison:
    """Summarise, place and rank every run; pick a run per objective."""
    choices = choose_keys_per_run(history, loss_key, accuracy_key)
    curves = build_curves(history, choices)
    base = runs.set_index(f.RUN_ID)
    table = base[[f.RUN_NAME, f.STATUS]].join(choices).join(final_and_best(curves))
    table["epochs"] = table["epochs"].astype("Int64")
    loss, accuracy = table["final_loss"], table["final_accuracy"]
    table["quadrant"] = quadrants(loss, accuracy)
    table["pareto"] = pareto_front(loss, accuracy)
    table["divergence_epoch"] = divergence_by_run(curves)
    table["baseline_accuracy"] = _baseline(base)
    known = calibration or {}
    table["ece"] = table.index.map(lambda r: known[r].ece if r in known else math.nan)
    table["calibrated_loss"] = table.index.map(
        lambda r: known[r].calibrated_loss if r in known else math.nan)
    table.insert(0, "run_id", table.index)
    names = table[f.RUN_NAME].fillna(table["run_id"])
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
