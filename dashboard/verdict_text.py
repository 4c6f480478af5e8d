"""The evidence in words: the seed groups' table and the verdict lines that `lossboard
compare` prints and the HTML review export carries (plain text; the export escapes it)."""

from __future__ import annotations

import pandas as pd

from analysis import frames as f
from analysis.group_evidence import GroupVersus
from analysis.report import Comparison
from analysis.verdict import Versus

EVIDENCE_COLUMNS = [f.RUN_NAME, f.N_VAL, f.FINAL_ACCURACY, f.ACCURACY_CI, f.FINAL_LOSS,
                    f.LOSS_SE, f.CONFIDENT_MISTAKES, f.CONFIDENT_MISTAKE_LOSS_SHARE,
                    f.LOSS_IF_HEDGED, f.GROUP]


def interval(value: object) -> str:
    return f"{value[0]:.3f}-{value[1]:.3f}" if isinstance(value, tuple) else "-"


def _spread(mean: float, std: float) -> str:
    return f"{mean:.4f} ± {std:.4f}" if pd.notna(std) else f"{mean:.4f}"


def group_frame(comparison: Comparison) -> pd.DataFrame:
    """One row per seed group: mean ± standard deviation over its seeds; empty without groups."""
    groups = comparison.groups
    if groups is None:
        return pd.DataFrame()
    return pd.DataFrame({
        "group": groups[f.GROUP], "name": groups["name"], "n": groups["n"],
        "final_loss": [_spread(m, s) for m, s in zip(groups["final_loss_mean"],
                                                     groups["final_loss_std"], strict=True)],
        "final_accuracy": [_spread(m, s) for m, s in zip(groups["final_accuracy_mean"],
                                                         groups["final_accuracy_std"],
                                                         strict=True)],
        f.QUADRANT: groups[f.QUADRANT], f.PARETO: groups[f.PARETO]})


def group_lines(comparison: Comparison) -> list[str]:
    """The picks among the seed groups and the disagreeing groups' seed noise."""
    if comparison.groups is None:
        return []
    lines = [f"Across groups, if you care about {goal}: "
             f"{pick.reason if pick else 'no group qualifies.'}"
             for goal, pick in comparison.group_picks.items()]
    names = comparison.groups.set_index(f.GROUP)["name"]
    return lines + [_group_versus_line(result, names) for result in comparison.group_versus]


def run_lines(comparison: Comparison, asked: list[tuple[str, str]]) -> list[str]:
    """The picks among single runs and their paired tests on shared validation samples."""
    among = "Among single runs, if" if comparison.groups is not None else "If"
    lines = [f"{among} you care about {goal}: {pick.reason if pick else 'no run qualifies.'}"
             for goal, pick in comparison.recommended.items()]
    names = comparison.table[f.RUN_NAME].fillna(comparison.table[f.RUN_ID])
    return lines + [_versus_line(result, names) for result in _shown_versus(comparison, asked)]


def _shown_versus(comparison: Comparison, asked: list[tuple[str, str]]) -> list[Versus]:
    """All the tested run pairs, but with seed groups only the picks' and the asked ones (the
    groups' verdicts speak for the disagreeing configurations; the JSON keeps every pair)."""
    if comparison.groups is None:
        return comparison.versus
    hidden = {frozenset(p) for p in comparison.disagreements} - {frozenset(p) for p in asked}
    return [v for v in comparison.versus if frozenset((v.a, v.b)) not in hidden]


def _group_versus_line(result: GroupVersus, names: pd.Series) -> str:
    def p(value: float) -> str:
        return "n/a, no spread" if pd.isna(value) else f"{value:.2g}"

    return (f"{names[result.a]} vs {names[result.b]} over {result.n_a} vs {result.n_b} seeds: "
            f"accuracy {result.accuracy_diff:+.4f} (Welch p = {p(result.accuracy_p)}); "
            f"loss {result.loss_diff:+.4f} (Welch p = {p(result.loss_p)})")


def _samples(count: int) -> str:
    return f"{count} sample" if count == 1 else f"{count} samples"


def _versus_line(result: Versus, names: pd.Series) -> str:
    p = result.paired
    low, high = p.loss_diff_ci
    return (f"{names.get(result.a, result.a)} vs {names.get(result.b, result.b)} on {p.n} "
            f"samples: accuracy {p.accuracy_diff:+.4f} ({_samples(result.accuracy_gap_samples)}, "
            f"McNemar p = {p.mcnemar_p:.2g}); loss {p.loss_diff:+.4f} (95% interval "
            f"{low:+.4f} to {high:+.4f}); confidently wrong where the other is right: "
            f"{result.a_wrong_b_right} vs {result.b_wrong_a_right}")
