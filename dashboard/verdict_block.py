"""The verdict at the top of the page: per objective the pick and whether its lead is beyond
noise, then the pair at odds and why (confident mistakes, calibration). Plain text throughout:
run names reach the page as text, never as HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dash import html

from analysis import frames as f
from analysis.calibration import Predictions
from analysis.evidence import CONFIDENT
from analysis.pair_evidence import (
    Side,
    SideEvidence,
    only_wrong_in,
    side,
    side_evidence,
    tested_picks,
)
from analysis.report import Comparison
from analysis.tradeoff import Recommendation
from analysis.verdict import baseline_sentence
from dashboard import ids

GOALS = {"loss": "If you care about loss", "accuracy": "If you care about accuracy"}


@dataclass(frozen=True)
class Answer:
    name: str  # the pick's
    reason: str  # its sentence
    settled: bool | None = None  # its lead beyond noise (False: within; None: not tested)


@dataclass(frozen=True)
class Verdict:
    answers: dict[str, Answer]  # objective -> its pick
    agreement: str  # whether the objectives pick alike, and the pair at odds
    evidence: list[str]  # why the pair disagrees: confident mistakes, calibration

    def lines(self) -> list[str]:
        """Every sentence in reading order, for exports."""
        answers = [f"{GOALS[goal]}: {answer.reason}" for goal, answer in self.answers.items()]
        return [*answers, self.agreement, *self.evidence]


def verdict(comparison: Comparison, at_odds: tuple[Side, Side] | None,
            predictions: Mapping[str, Predictions]) -> Verdict:
    """The answers, and why `at_odds` (`pair(comparison)`) disagree."""
    chosen = tested_picks(comparison, predictions)
    nothing = Answer("none", "nothing qualifies: no run logged both metrics as finite numbers.")
    answers = {goal: _answer(comparison, goal, pick) if pick else nothing
               for goal, pick in chosen.items()}
    same = {p.run_id for p in chosen.values() if p}
    if at_odds is None:
        return Verdict(answers, _no_pair(comparison, same), [])
    high, low = at_odds
    agreement = (f"Both objectives pick {side(comparison, next(iter(same))).name}. The strongest "
                 f"disagreement: {_values(high)}, overconfident, against {_values(low)}, "
                 "hedging." if len(same) == 1 else
                 f"Loss and accuracy pick differently: {_values(low)} has the lower loss, "
                 f"{_values(high)} the higher accuracy.")
    return Verdict(answers, agreement, _evidence(high, low, predictions))


def _answer(comparison: Comparison, goal: str, pick: Recommendation) -> Answer:
    """The pick's name and its sentence; for accuracy, against the majority-class baseline
    its runs logged (their median), when they did."""
    chosen = side(comparison, pick.run_id)
    baselines = comparison.table[f.BASELINE_ACCURACY].reindex(list(chosen.runs)).dropna()
    reason = pick.reason if goal != "accuracy" or baselines.empty else (
        f"{pick.reason} {baseline_sentence(chosen.accuracy, baselines.median())}")
    return Answer(chosen.name, reason, pick.settled)


def _no_pair(comparison: Comparison, picked: set[str]) -> str:
    if not picked:
        return "No run qualifies, so there is nothing to weigh."
    what = "seed groups" if comparison.groups is not None else "runs"
    return (f"Both objectives pick {side(comparison, next(iter(picked))).name}, and no two "
            f"{what} put loss and accuracy at odds.")


def _values(side: Side) -> str:
    return f"{side.name} (accuracy {side.accuracy:.4f}, loss {side.loss:.4f})"


def _evidence(high: Side, low: Side, predictions: Mapping[str, Predictions]) -> list[str]:
    found = {side.key: side_evidence(side, predictions) for side in (high, low)}
    missing = [f"{side.name} logged no validation predictions, so its confident mistakes and "
               "calibration are unknown." for side in (high, low) if found[side.key] is None]
    e_high, e_low = found[high.key], found[low.key]
    if e_high is None or e_low is None:
        return missing
    lines = [_mistakes(high, e_high, low, e_low), _calibration(high, e_high, low, e_low)]
    counts = only_wrong_in(high, low, predictions)
    if counts:
        lines.append(f"On the same samples, {high.name} is confidently wrong on {counts[0]} "
                     f"that {low.name} gets right; {low.name} on {counts[1]} that "
                     f"{high.name} gets right.")
    return lines


def _mistakes(high: Side, e_high: SideEvidence, low: Side, e_low: SideEvidence) -> str:
    if e_high.confident_mistakes == 0:
        return (f"{high.name} makes no confident mistakes: its higher loss is spread over "
                "many unsure predictions, not a few certain ones.")
    outcome = ("its higher loss is those few mistakes" if e_high.loss_if_hedged <= e_low.loss
               else "it would still lose on loss: not only those few mistakes")
    seeds = f" (means over {e_high.runs} seeds)" if len(high.runs) > 1 else ""
    return (f"{high.name} is confidently wrong (at least {CONFIDENT:.0%} on a wrong class) on "
            f"{e_high.confident_mistakes:.3g} of {e_high.n_val} validation samples{seeds}, "
            f"{low.name} on {e_low.confident_mistakes:.3g}; those mistakes carry "
            f"{e_high.loss_share:.0%} of its loss {e_high.loss:.3f}. Were those mistakes hedged "
            f"at 50/50, {high.name}'s loss would be {e_high.loss_if_hedged:.3f}, against "
            f"{low.name}'s {e_low.loss:.3f}: {outcome}.")


def _calibration(high: Side, e_high: SideEvidence, low: Side, e_low: SideEvidence) -> str:
    outcome = (f"calibrated, {high.name} would have the lower loss as well as the higher "
               "accuracy" if e_high.calibrated_loss < e_low.calibrated_loss
               else f"{low.name} keeps the lower loss even after calibrating")
    return (f"Temperature scaling (fitted on the validation set itself, so optimistic) takes "
            f"{high.name}'s loss to {e_high.calibrated_loss:.3f} and {low.name}'s to "
            f"{e_low.calibrated_loss:.3f}: {outcome}.")


def _lead(answer: Answer) -> list[str | html.Span]:
    """A pick whose lead is within noise says so beside its name: no stronger than a tie."""
    if answer.settled is not False:
        return []
    return [" ", html.Span("lead within noise", className="verdict-badge",
                      title="its lead over the runner-up could be chance: see below")]


def verdict_block(found: Verdict, objective: str) -> list[html.Div]:
    """The two answers side by side (the chosen objective's outlined), then the pair at odds."""
    cards = [html.Div([html.Div(GOALS[goal], className="verdict-goal"),
                       html.Div([answer.name, *_lead(answer)], className="verdict-pick"),
                       html.Div(answer.reason, className="verdict-reason")],
                      className="verdict-card" + (" chosen" if goal == objective else ""),
                      id=f"{ids.VERDICT}-{goal}")
             for goal, answer in found.answers.items()]
    why = html.Div([html.P(found.agreement, className="verdict-agreement"),
                    html.Ul([html.Li(line) for line in found.evidence])],
                   className="verdict-why", id=f"{ids.VERDICT}-why")
    return [html.Div(cards, className="verdict-cards"), why]
