"""Where loss and accuracy disagree across runs: quadrants against the experiment's medians."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.frames import RUN_ID
from analysis.summary import ACCURACY, LOSS

HIGH_ACC_HIGH_LOSS = "high-accuracy/high-loss"  # overconfident: right often, wrong confidently
LOW_ACC_LOW_LOSS = "low-accuracy/low-loss"  # hedging: wrong more often, never confidently
HIGH_ACC_LOW_LOSS = "high-accuracy/low-loss"  # better on both
LOW_ACC_HIGH_LOSS = "low-accuracy/high-loss"  # worse on both
QUADRANTS = (HIGH_ACC_HIGH_LOSS, LOW_ACC_LOW_LOSS, HIGH_ACC_LOW_LOSS, LOW_ACC_HIGH_LOSS)
OBJECTIVES = (LOSS, ACCURACY)


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


def _both(loss: pd.Series, accuracy: pd.Series) -> pd.DataFrame:
    """Loss and accuracy side by side, aligned on run_id (the union of both indexes)."""
    return pd.DataFrame({LOSS: loss, ACCURACY: accuracy}).astype("float64")


def pareto_front(loss: pd.Series, accuracy: pd.Series) -> pd.Series[bool]:
    """True for runs no other run beats on both lower loss and higher accuracy.

    A run dominates another when it is at least as good on both and strictly better on one.
    Runs missing either value are False and dominate nothing. O(n log n): sort by loss, sweep.
    """
    frame = _both(loss, accuracy)
    out = pd.Series(False, index=frame.index, dtype=bool, name="pareto_front")
    known = frame.notna().all(axis=1).to_numpy()
    lo, acc = frame[LOSS].to_numpy()[known], frame[ACCURACY].to_numpy()[known]
    if lo.size == 0:
        return out
    order = np.lexsort((-acc, lo))  # loss ascending, then accuracy descending
    lo, acc = lo[order], acc[order]
    starts = np.flatnonzero(np.r_[True, lo[1:] != lo[:-1]])  # groups of equal loss
    group = np.cumsum(np.r_[True, lo[1:] != lo[:-1]]) - 1
    group_best = acc[starts]
    # best accuracy among strictly lower losses; the first group has nothing below it
    below = np.r_[-np.inf, np.maximum.accumulate(acc)[starts[1:] - 1]]
    beats_below = group_best > below
    beats_below[0] = True
    sorted_front = (acc == group_best[group]) & beats_below[group]
    front = np.empty_like(sorted_front)
    front[order] = sorted_front
    out.iloc[np.flatnonzero(known)] = front
    return out


def disagreements(loss: pd.Series, accuracy: pd.Series, limit: int = 50) -> list[tuple[str, str]]:
    """Pairs (a, b) where a is high-accuracy/high-loss and b low-accuracy/low-loss, a > b on both.

    Quadrants are cut at the medians. Ranked by accuracy-rank gap times loss-rank gap (ranks
    over runs with both values, ties averaged), largest first, then by run ids; at most `limit`.
    """
    frame = _both(loss, accuracy).dropna()
    if limit <= 0 or frame.empty:
        return []
    quadrant = quadrants(frame[LOSS], frame[ACCURACY])
    ids = frame.index.astype(str).to_numpy()
    a = (quadrant == HIGH_ACC_HIGH_LOSS).to_numpy(dtype=bool)
    b = (quadrant == LOW_ACC_LOW_LOSS).to_numpy(dtype=bool)
    lo, acc = frame[LOSS].to_numpy(), frame[ACCURACY].to_numpy()
    lo_rank = frame[LOSS].rank().to_numpy()
    acc_rank = frame[ACCURACY].rank().to_numpy()
    # rows are a-runs, columns b-runs
    valid = np.subtract.outer(acc[a], acc[b]) > 0
    valid &= np.subtract.outer(lo[a], lo[b]) > 0
    score = np.subtract.outer(acc_rank[a], acc_rank[b]) * np.subtract.outer(lo_rank[a], lo_rank[b])
    rows, cols = np.nonzero(valid)
    scores = score[rows, cols]
    if scores.size > limit:
        # keep every pair tied with the limit-th score so the id tie-break stays exact
        cut = np.partition(scores, scores.size - limit)[scores.size - limit]
        keep = scores >= cut
        rows, cols, scores = rows[keep], cols[keep], scores[keep]
    pairs = sorted(zip(-scores, ids[a][rows], ids[b][cols], strict=True))
    return [(str(x), str(y)) for _, x, y in pairs[:limit]]


@dataclass(frozen=True)
class Recommendation:
    run_id: str
    reason: str  # one plain-text sentence, never HTML
    settled: bool | None = None  # its lead over the runner-up beyond noise; None: not tested


def _ranked(frame: pd.DataFrame, objective: str) -> list[str]:
    """Run ids in the order the objective picks them: best finite value, then the other
    metric, then run id."""
    other = ACCURACY if objective == LOSS else LOSS
    candidates = frame[np.isfinite(frame[objective])].rename_axis(RUN_ID).reset_index()
    candidates[RUN_ID] = candidates[RUN_ID].astype(str)
    ranked = candidates.sort_values([objective, other, RUN_ID], na_position="last",
                                    ascending=[objective == LOSS, other == LOSS, True])
    return [str(run) for run in ranked[RUN_ID]]


def _pick(frame: pd.DataFrame, objective: str) -> str | None:
    ranked = _ranked(frame, objective)
    return ranked[0] if ranked else None


def runner_up(loss: pd.Series, accuracy: pd.Series, objective: str) -> str | None:
    """The run `objective` would pick if its recommendation were not there."""
    frame = _both(loss, accuracy)
    frame.index = frame.index.astype(str)
    ranked = _ranked(frame, objective)
    return ranked[1] if len(ranked) > 1 else None


def _fmt(value: float) -> str:
    """Four decimals; tiny non-zero values keep four significant digits instead of 0.0000."""
    if math.isnan(value):
        return "n/a"
    if value != 0 and abs(value) < 1e-4:
        return f"{value:.4g}"
    return f"{value:.4f}"


def _loss_tradeoff(other: float, best: float) -> str:
    if not math.isfinite(other):
        return "its loss diverged"
    if best > 0 and other >= 2 * best:
        return f"its loss is {other / best:.1f}x higher"
    if best > 0:
        return f"its loss is {100 * (other / best - 1):.2g}% higher"
    return f"its loss is higher ({_fmt(other)} vs {_fmt(best)})"


def _reason(
    frame: pd.DataFrame, names: pd.Series, objective: str, win: str, rival: str | None
) -> str:
    """One sentence: why `win` wins `objective` and what `rival` (the other pick) trades off."""
    def name(run: str) -> str:
        label = names.get(run)
        return str(label) if isinstance(label, str) and label else run

    pair = [win, rival or win]
    (lo, acc), (r_lo, r_acc) = frame.loc[pair, [LOSS, ACCURACY]].to_numpy(float).tolist()
    if objective == LOSS:
        head = f"{name(win)} has the lowest validation loss ({_fmt(lo)})"
        if rival is None:  # no run has a finite accuracy to compare against
            return f"{head}."
        if rival == win:
            return f"{head} and also the highest accuracy ({_fmt(acc)})."
        return (f"{head}; {name(rival)} is more accurate ({_fmt(r_acc)} vs {_fmt(acc)}) "
                f"but {_loss_tradeoff(r_lo, lo)}.")
    head = f"{name(win)} has the highest accuracy ({_fmt(acc)})"
    if rival is None:
        return f"{head}."
    if rival == win:
        return f"{head} and also the lowest validation loss ({_fmt(lo)})."
    return (f"{head}; {name(rival)} has a lower validation loss ({_fmt(r_lo)} vs {_fmt(lo)}) "
            f"but is less accurate ({_fmt(r_acc)}).")


def recommend(
    loss: pd.Series, accuracy: pd.Series, names: pd.Series, objective: str
) -> Recommendation | None:
    """The run to pick for `objective` ("loss" or "accuracy"), with a one-sentence reason.

    Ties on the objective go to the better other metric, then the smaller run id. None when no
    run has a finite value for the objective.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be {LOSS!r} or {ACCURACY!r}, not {objective!r}")
    frame = _both(loss, accuracy)
    frame.index = frame.index.astype(str)
    win = _pick(frame, objective)
    if win is None:
        return None
    rival = _pick(frame, ACCURACY if objective == LOSS else LOSS)
    return Recommendation(win, _reason(frame, names, objective, win, rival))
