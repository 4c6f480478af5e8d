"""Is a lead real? Runs compared on the same validation samples, and what a recommendation
should say about noise.

Two runs are compared when their logged predictions hold the same labels in the same order:
the accuracy difference with McNemar's exact test, the loss difference with a paired bootstrap
interval (fixed seed), and the samples one gets confidently wrong that the other gets right
(`analysis.evidence`). A recommendation's sentence then says whether the winner's lead over the
runner-up on its objective is beyond the noise of a finite validation set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from analysis.calibration import Predictions
from analysis.evidence import PairedComparison, compare_paired, confident_disagreements
from analysis.summary import ACCURACY, LOSS
from analysis.tradeoff import Recommendation

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Versus:
    """Run a against run b on the same samples, a minus b throughout."""

    a: str
    b: str
    paired: PairedComparison
    a_wrong_b_right: int  # samples a gets wrong at >= 0.9 confidence that b gets right
    b_wrong_a_right: int

    @property
    def accuracy_gap_samples(self) -> int:
        return round(abs(self.paired.accuracy_diff) * self.paired.n)

    def as_json(self) -> dict[str, Any]:
        p = self.paired
        return {"a": self.a, "b": self.b, "n": p.n, "accuracy_diff": p.accuracy_diff,
                "mcnemar_p": p.mcnemar_p, "loss_diff": p.loss_diff,
                "loss_diff_ci": list(p.loss_diff_ci),
                "a_confident_mistakes_b_right": self.a_wrong_b_right,
                "b_confident_mistakes_a_right": self.b_wrong_a_right}


def versus(a: str, b: str, predictions: Mapping[str, Predictions]) -> Versus | None:
    """The paired comparison of a and b; None unless both logged predictions of the same
    samples in the same order."""
    if a not in predictions or b not in predictions:
        return None
    (proba_a, labels_a), (proba_b, labels_b) = predictions[a], predictions[b]
    paired = compare_paired(proba_a, labels_a, proba_b, labels_b)
    apart = confident_disagreements(proba_a, labels_a, proba_b, labels_b)
    if paired is None or apart is None:
        return None
    return Versus(a, b, paired, len(apart[0]), len(apart[1]))


def all_versus(pairs: Iterable[tuple[str, str]],
               predictions: Mapping[str, Predictions]) -> list[Versus]:
    """Each distinct pair that can be compared, in order (a pair and its reverse count once)."""
    seen: set[frozenset[str]] = set()
    found = []
    for a, b in pairs:
        key = frozenset((a, b))
        if a == b or key in seen:
            continue
        seen.add(key)
        if (result := versus(a, b, predictions)) is not None:
            found.append(result)
    return found


def settled(result: Versus, objective: str) -> bool:
    """Whether the winner's (result.a's) lead is beyond the noise of this validation set."""
    p = result.paired
    if objective == ACCURACY:
        return bool(p.mcnemar_p < SIGNIFICANCE)
    low, high = p.loss_diff_ci
    return bool(high < 0 or low > 0)


def noise_clause(result: Versus, objective: str, runner_up: str) -> str:
    """What the winner's lead over `runner_up` is worth on this validation set (result.a is the
    winner)."""
    p = result.paired
    beyond = settled(result, objective)
    if objective == ACCURACY:
        gap = result.accuracy_gap_samples
        verdict = "unlikely to be noise" if beyond else "indistinguishable on this validation set"
        return (f"the accuracy gap over {runner_up} is {gap} of {p.n} samples, "
                f"p = {p.mcnemar_p:.2g}: {verdict}")
    low, high = p.loss_diff_ci
    verdict = ("beyond the noise of this validation set" if beyond
               else "within the noise of this validation set")
    return (f"the loss gap over {runner_up} is {-p.loss_diff:.4f} (95% interval "
            f"{-high:.4f} to {-low:.4f}): {verdict}")


def with_noise(pick: Recommendation, objective: str, runner_up: str | None,
               predictions: Mapping[str, Predictions], names: pd.Series) -> Recommendation:
    """`pick` whose sentence ends with its lead's noise, when the runner-up can be compared."""
    if objective not in (LOSS, ACCURACY) or runner_up is None:
        return pick
    result = versus(pick.run_id, runner_up, predictions)
    if result is None:
        return pick
    label = names.get(runner_up)
    clause = noise_clause(result, objective, str(label) if label else runner_up)
    beyond = settled(result, objective)
    joiner = ", but " if not beyond and " but " not in pick.reason else "; "
    return replace(pick, reason=pick.reason.rstrip(".") + joiner + clause + ".",
                   settled=beyond)


def baseline_sentence(accuracy: float, baseline: float) -> str:
    """How far `accuracy` is above always answering the majority class, in words: on an
    imbalanced validation set a high accuracy may be little more than that."""
    lift = accuracy - baseline
    if lift <= 0:
        return (f"That is no better than always answering the majority class, which scores "
                f"{baseline:.4f}.")
    avoided = f", avoiding {lift / (1 - baseline):.0%} of its mistakes" if baseline < 1 else ""
    return (f"That is {lift:.4f} above always answering the majority class "
            f"({baseline:.4f}){avoided}.")
