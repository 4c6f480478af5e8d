"""The pair that puts loss and accuracy at odds, and what its predictions say about why.

A side is one run or one seed group. The pair is the two picks when loss and accuracy choose
differently, else the strongest disagreeing pair (overconfident first, then hedging). For each
side its logged predictions give the confident mistakes, their share of the loss, the loss had
they been hedged, and the loss after temperature scaling, averaged over a group's seeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import frames as f
from analysis.calibration import Predictions, negative_log_likelihood
from analysis.evidence import confident_disagreements
from analysis.report import Comparison, RunEvidence
from analysis.summary import ACCURACY, LOSS
from analysis.tradeoff import Recommendation, runner_up
from analysis.verdict import with_noise

MAX_SEEDS_READ = 5  # a group's evidence averages over at most this many of its seeds


@dataclass(frozen=True)
class Side:
    key: str  # a run id, or a seed group's id
    name: str
    runs: tuple[str, ...]  # its runs: the run itself, or the group's seeds
    loss: float  # final validation loss (a group's mean over its seeds)
    accuracy: float


@dataclass(frozen=True)
class SideEvidence:
    """Means over the side's runs that logged predictions."""

    runs: int
    n_val: int
    confident_mistakes: float
    loss_share: float  # of the loss the confident mistakes carry
    loss: float
    loss_if_hedged: float
    calibrated_loss: float


def picks(comparison: Comparison) -> dict[str, Recommendation | None]:
    """Per objective the seed group picked when there are groups, else the run."""
    return comparison.group_picks if comparison.groups is not None else comparison.recommended


def side(comparison: Comparison, key: str) -> Side:
    """The run, or the seed group, `key` names (built on demand: a table may hold 10,000)."""
    table = comparison.table
    if key in table.index:
        name, loss, accuracy = table.loc[[key], [f.RUN_NAME, f.FINAL_LOSS,
                                                 f.FINAL_ACCURACY]].iloc[0].tolist()
        return Side(key, key if pd.isna(name) else str(name), (key,), float(loss),
                    float(accuracy))
    groups = comparison.groups if comparison.groups is not None else pd.DataFrame()
    group = groups[groups[f.GROUP].astype(str) == key].iloc[0]  # a pick's or a pair's: it exists
    return Side(key, str(group["name"]), tuple(group["runs"]), float(group["final_loss_mean"]),
                float(group["final_accuracy_mean"]))


def pair(comparison: Comparison) -> tuple[Side, Side] | None:
    """(the side with higher accuracy and higher loss, the other), or None if none disagree."""
    chosen = picks(comparison)
    by_loss, by_accuracy = chosen.get(LOSS), chosen.get(ACCURACY)
    if by_loss and by_accuracy and by_loss.run_id != by_accuracy.run_id:
        return side(comparison, by_accuracy.run_id), side(comparison, by_loss.run_id)
    if comparison.groups is not None:
        pairs = [(v.a, v.b) for v in comparison.group_versus]
    else:
        pairs = comparison.disagreements
    return (side(comparison, pairs[0][0]), side(comparison, pairs[0][1])) if pairs else None


def runner_ups(comparison: Comparison) -> dict[str, str | None]:
    """Per objective the run it would pick were its pick not there (single runs only)."""
    peers = comparison.table[comparison.table[f.CHILD_RUNS] == 0]
    loss, accuracy = peers[f.FINAL_LOSS], peers[f.FINAL_ACCURACY]
    return {objective: runner_up(loss, accuracy, objective) for objective in (LOSS, ACCURACY)}


def needed_runs(comparison: Comparison, at_odds: tuple[Side, Side] | None) -> list[str]:
    """The runs whose predictions the verdict reads: the pair's (`pair(comparison)`, up to
    MAX_SEEDS_READ seeds a side), and without groups the picks and their runner-ups, whose
    gaps are tested."""
    wanted: list[str] = []
    for side in at_odds or ():
        wanted += side.runs[:MAX_SEEDS_READ]
    if comparison.groups is None:
        wanted += [p.run_id for p in comparison.recommended.values() if p]
        wanted += [r for r in runner_ups(comparison).values() if r]
    return list(dict.fromkeys(wanted))


def tested_picks(comparison: Comparison, predictions: Mapping[str, Predictions]
                 ) -> dict[str, Recommendation | None]:
    """The picks, each run pick's sentence ending with its lead's noise where predictions allow
    (a group pick's sentence already ends with its seed noise)."""
    if comparison.groups is not None:
        return dict(comparison.group_picks)
    names = comparison.table[f.RUN_NAME].fillna(comparison.table[f.RUN_ID])
    return {objective: with_noise(pick, objective, runner, predictions, names) if pick else None
            for (objective, pick), runner in zip(comparison.recommended.items(),
                                                 runner_ups(comparison).values(), strict=True)}


def side_evidence(side: Side, predictions: Mapping[str, Predictions]) -> SideEvidence | None:
    """What the side's logged predictions say, or None if none of its runs logged any."""
    logged = [predictions[r] for r in side.runs[:MAX_SEEDS_READ] if r in predictions]
    if not logged:
        return None
    each = [RunEvidence.from_predictions(p, y) for p, y in logged]
    return SideEvidence(
        len(logged), int(np.mean([len(y) for _, y in logged])),
        float(np.mean([e.confident_mistakes or 0 for e in each])),
        float(np.nanmean([e.confident_mistake_loss_share for e in each]))
        if any(np.isfinite(e.confident_mistake_loss_share) for e in each) else float("nan"),
        float(np.mean([negative_log_likelihood(p, y) for p, y in logged])),
        float(np.mean([e.loss_if_hedged for e in each])),
        float(np.mean([e.calibrated_loss for e in each])))


def only_wrong_in(a: Side, b: Side, predictions: Mapping[str, Predictions]
                  ) -> tuple[int, int] | None:
    """For two single runs scored on the same labels: how many samples each gets confidently
    wrong that the other gets right; None for groups or other samples."""
    if len(a.runs) != 1 or len(b.runs) != 1 or not {a.key, b.key} <= predictions.keys():
        return None
    apart = confident_disagreements(*predictions[a.key], *predictions[b.key])
    return (len(apart[0]), len(apart[1])) if apart else None

