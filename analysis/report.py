"""The comparison of an experiment's runs: everything `lossboard compare` reports, in one place.

The JSON form is a stable contract (see README, "lossboard compare"):
{"experiment", "objective", "runs": [{RUN_FIELDS...}], "recommended": {"loss", "accuracy"},
 "disagreements": [[run_id, run_id], ...], "versus": [...], "groups": [{GROUP_FIELDS...}],
 "recommended_groups": {...}, "group_versus": [...]}, with null wherever a value is unknown.

A sweep's parent run (one another run names in `mlflow.parentRunId`) is listed but is never a
peer: it often re-logs its best child's values once, and as a candidate it would shift the
medians and tie with that child on the Pareto front. Its children are compared as runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis import frames as f
from analysis.calibration import Predictions, calibrated_loss, expected_calibration_error
from analysis.divergence import divergence_by_run
from analysis.evidence import (
    confident_mistakes,
    loss_standard_error,
    per_sample_log_loss,
    wilson_interval,
)
from analysis.group_evidence import GroupVersus, group_disagreements, group_picks
from analysis.seed_groups import group_ids, group_summary
from analysis.series import build_curves, choose_keys_per_run
from analysis.summary import epochs_reached, final_and_best
from analysis.tradeoff import (
    OBJECTIVES,
    Recommendation,
    disagreements,
    pareto_front,
    quadrants,
    recommend,
    runner_up,
)
from analysis.verdict import Versus, all_versus, with_noise

RUN_FIELDS = [f.RUN_ID, f.RUN_NAME, f.STATUS, f.PARENT_RUN_ID, f.CHILD_RUNS, f.LOSS_KEY,
              f.ACCURACY_KEY, f.ACCURACY_DERIVED_FROM, f.ACCURACY_SCALE, f.EPOCHS,
              f.EVALUATIONS, f.FINAL_LOSS, f.FINAL_ACCURACY, f.BEST_LOSS, f.BEST_LOSS_EPOCH,
              f.BEST_ACCURACY, f.BEST_ACCURACY_EPOCH, f.QUADRANT, f.PARETO, f.DIVERGENCE_EPOCH,
              f.BASELINE_ACCURACY, f.ECE, f.CALIBRATED_LOSS, f.N_VAL, f.ACCURACY_CI, f.LOSS_SE,
              f.CONFIDENT_MISTAKES, f.CONFIDENT_MISTAKE_LOSS_SHARE, f.LOSS_IF_HEDGED, f.GROUP]
GROUP_FIELDS = [f.GROUP, "name", "runs", "params", "n", "final_loss_mean", "final_loss_std",
                "final_accuracy_mean", "final_accuracy_std", "best_loss_mean", "best_loss_std",
                "best_accuracy_mean", "best_accuracy_std", f.QUADRANT, f.PARETO]
EVIDENCE_FIELDS = [f.ECE, f.CALIBRATED_LOSS, f.LOSS_SE, f.CONFIDENT_MISTAKES,
                   f.CONFIDENT_MISTAKE_LOSS_SHARE, f.LOSS_IF_HEDGED]


@dataclass(frozen=True)
class RunEvidence:
    """What a run's logged validation predictions say beyond its metrics."""

    ece: float
    calibrated_loss: float  # validation NLL after temperature scaling
    n_val: int | None = None
    correct: int | None = None  # validation samples whose argmax is the label
    loss_se: float = math.nan
    confident_mistakes: int | None = None
    confident_mistake_loss_share: float = math.nan
    loss_if_hedged: float = math.nan  # validation loss had each confident mistake been 50/50

    @classmethod
    def from_predictions(cls, proba: Any, labels: Any) -> RunEvidence:
        mistakes = confident_mistakes(proba, labels)
        correct = int((np.asarray(proba).argmax(axis=1) == np.asarray(labels)).sum())
        return cls(expected_calibration_error(proba, labels), calibrated_loss(proba, labels)[1],
                   len(labels), correct, loss_standard_error(per_sample_log_loss(proba, labels)),
                   mistakes.count, mistakes.loss_share, mistakes.loss_if_hedged)


@dataclass(frozen=True)
class Comparison:
    table: pd.DataFrame  # one row per run, RUN_FIELDS columns, indexed by run_id
    recommended: dict[str, Recommendation | None]  # objective -> pick
    disagreements: list[tuple[str, str]]
    curves: pd.DataFrame  # the `curves` frame the table was computed from
    versus: list[Versus] = field(default_factory=list)  # paired tests, see analysis.verdict
    groups: pd.DataFrame | None = None  # seed groups, GROUP_FIELDS; None when there are none
    group_picks: dict[str, Recommendation | None] = field(default_factory=dict)
    group_versus: list[GroupVersus] = field(default_factory=list)  # disagreeing groups

    @property
    def has_metrics(self) -> bool:
        """Whether any run has both a validation loss and an accuracy series."""
        return bool(self.table[f.LOSS_KEY].notna().any() and
                    self.table[f.ACCURACY_KEY].notna().any())


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


def _tag_number(runs: pd.DataFrame, column: str) -> pd.Series:
    if column not in runs:
        return pd.Series(math.nan, index=runs.index, dtype="float64")
    return pd.to_numeric(runs[column], errors="coerce").astype("float64")


def _evidence(table: pd.DataFrame, base: pd.DataFrame,
              known: Mapping[str, RunEvidence]) -> pd.DataFrame:
    """Prediction evidence where logged; n_val (else the n_val tag) and a Wilson interval of
    the final accuracy (correct counts from the predictions, else accuracy x n_val)."""
    for name in EVIDENCE_FIELDS:
        table[name] = [getattr(known[r], name) if r in known else math.nan for r in table.index]
    tagged = _tag_number(base, f.N_VAL_TAG).reindex(table.index)
    from_predictions = pd.Series({r: e.n_val for r, e in known.items()}, dtype="float64")
    n_val = from_predictions.reindex(table.index).fillna(tagged)
    table[f.N_VAL] = n_val.where(n_val > 0).round().astype("Int64")
    correct = pd.Series({r: e.correct for r, e in known.items()}, dtype="float64")
    correct = correct.reindex(table.index).fillna((table[f.FINAL_ACCURACY] * n_val).round())
    table[f.ACCURACY_CI] = pd.Series(
        [wilson_interval(int(c), int(n)) if n > 0 and 0 <= c <= n else None
         for c, n in zip(correct.fillna(-1), n_val.fillna(0), strict=True)],
        index=table.index, dtype="object")
    table[f.CONFIDENT_MISTAKES] = table[f.CONFIDENT_MISTAKES].astype("Int64")
    return table


def compare(runs: pd.DataFrame, history: pd.DataFrame, *, loss_key: str | None = None,
            accuracy_key: str | None = None,
            predictions: Mapping[str, Predictions] | None = None,
            evidence: Mapping[str, RunEvidence] | None = None,
            versus: Sequence[tuple[str, str]] = (), group_by: str | None = None,
            grouped: bool = True) -> Comparison:
    """Summarise, place and rank every run; pick a run per objective, saying whether its lead
    is beyond noise; test the `versus` pairs, the picks and each disagreeing pair on their
    shared validation samples (`predictions`: run id -> (proba, labels), as logged)."""
    logged = predictions or {}
    if evidence is None:
        evidence = {r: RunEvidence.from_predictions(p, y) for r, (p, y) in logged.items()}
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
    table[f.BASELINE_ACCURACY] = _tag_number(base, f.BASELINE_TAG)
    table = _evidence(table, base, evidence or {})
    table.insert(0, f.RUN_ID, table.index)
    picks, leads = _picks(loss, accuracy, table[f.RUN_NAME].fillna(table[f.RUN_ID]), logged)
    pairs = disagreements(loss, accuracy)
    peer_runs = runs[runs[f.RUN_ID].isin(peers[peers].index)]
    ids = group_ids(peer_runs, group_by) if grouped else pd.Series(dtype="object")
    table[f.GROUP] = [ids.get(r) for r in table.index]
    groups, group_picks, group_pairs = _groups(table, runs)
    return Comparison(table[RUN_FIELDS], picks, pairs, curves,
                      all_versus([*leads, *versus, *pairs], logged), groups, group_picks,
                      group_pairs)


def _picks(loss: pd.Series, accuracy: pd.Series, names: pd.Series,
           logged: Mapping[str, Predictions]
           ) -> tuple[dict[str, Recommendation | None], list[tuple[str, str]]]:
    """A pick per objective with its lead's noise, and the pairs to test: the two picks when
    they differ, then each pick against its runner-up."""
    picks: dict[str, Recommendation | None] = {}
    leads: list[tuple[str, str]] = []
    for objective in OBJECTIVES:
        pick = recommend(loss, accuracy, names, objective)
        runner = runner_up(loss, accuracy, objective) if pick else None
        if pick is not None and runner is not None:
            pick = with_noise(pick, objective, runner, logged, names)
            leads.append((pick.run_id, runner))
        picks[objective] = pick
    chosen = list(dict.fromkeys(p.run_id for p in picks.values() if p))
    return picks, ([(chosen[0], chosen[1])] if len(chosen) == 2 else []) + leads


def _groups(table: pd.DataFrame, runs: pd.DataFrame
            ) -> tuple[pd.DataFrame | None, dict[str, Recommendation | None], list[GroupVersus]]:
    """Seed groups with quadrants, front, picks and disagreeing pairs among the groups' means;
    (None, {}, []) when no two runs form a group."""
    members = table[f.GROUP].dropna()
    summary = group_summary(table, members, runs)
    if summary.empty:
        return None, {}, []
    loss, accuracy = summary["final_loss_mean"], summary["final_accuracy_mean"]
    summary[f.QUADRANT] = quadrants(loss, accuracy)
    summary[f.PARETO] = pareto_front(loss, accuracy).reindex(summary.index, fill_value=False)
    return (summary.reset_index()[GROUP_FIELDS], group_picks(summary, table, members),
            group_disagreements(summary, table, members))


def json_value(value: Any) -> Any:
    """JSON-ready: None for missing or non-finite numbers, Python scalars otherwise."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, tuple):  # an interval: [low, high]
        return [json_value(v) for v in value]
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
        "versus": [{k: json_value(v) if not isinstance(v, list) else [json_value(x) for x in v]
                    for k, v in result.as_json().items()} for result in comparison.versus],
        "groups": [] if comparison.groups is None else [
            {k: v if k in ("runs", "params") else json_value(v) for k, v in row.items()}
            for row in comparison.groups.to_dict(orient="records")],
        "recommended_groups": {o: (pick.run_id if pick else None)
                               for o, pick in comparison.group_picks.items()},
        "group_versus": [{k: json_value(v) for k, v in result.as_json().items()}
                         for result in comparison.group_versus],
    }
