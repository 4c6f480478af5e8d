"""Seed groups judged against seed noise: Welch's t-test on their runs' final values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from analysis import frames as f
from analysis.group_evidence import group_versus, seed_noise_clause, welch_p
from analysis.report import compare, to_json
from tests.unit.test_seed_groups import POINTS, RUNS


def test_welch_p_by_hand() -> None:
    """t = (mean a - mean b) / sqrt(va/na + vb/nb), Welch-Satterthwaite degrees of freedom."""
    a, b = np.array([0.30, 0.34, 0.32]), np.array([0.20, 0.22, 0.21])
    va, vb = a.var(ddof=1) / 3, b.var(ddof=1) / 3
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 2)
    assert welch_p(a, b) == pytest.approx(2 * stats.t.sf(abs(t), df))


def test_no_spread_or_one_seed_cannot_be_tested() -> None:
    assert math.isnan(welch_p(np.array([0.95, 0.95]), np.array([0.94, 0.94])))
    assert math.isnan(welch_p(np.array([0.95]), np.array([0.94, 0.93])))
    assert not math.isnan(welch_p(np.array([0.95, 0.95]), np.array([0.94, 0.93])))


finite = st.floats(0, 1, allow_nan=False)


@given(st.lists(finite, min_size=2, max_size=6), st.lists(finite, min_size=2, max_size=6))
def test_swapping_the_groups_keeps_p_and_flips_nothing_else(a: list[float],
                                                             b: list[float]) -> None:
    forward, backward = welch_p(np.array(a), np.array(b)), welch_p(np.array(b), np.array(a))
    assert (math.isnan(forward) and math.isnan(backward)) or forward == pytest.approx(backward)


def test_group_versus_is_a_minus_b_over_the_groups_runs() -> None:
    comparison = compare(RUNS, POINTS)
    members = comparison.table[f.GROUP].dropna()
    wide, thin = members["wide-0"], members["thin-0"]
    result = group_versus(wide, thin, comparison.table, members)
    assert (result.n_a, result.n_b) == (3, 3)
    assert result.loss_diff == pytest.approx(0.32 - 0.21)
    assert result.accuracy_diff == pytest.approx(0.95 - 0.90)
    assert result.loss_p == pytest.approx(stats.ttest_ind(
        [0.30, 0.34, 0.32], [0.20, 0.22, 0.21], equal_var=False).pvalue)
    back = group_versus(thin, wide, comparison.table, members)
    assert back.loss_diff == pytest.approx(-result.loss_diff) and back.loss_p == result.loss_p


def test_the_group_picks_say_whether_their_lead_beats_seed_noise() -> None:
    comparison = compare(RUNS, POINTS)
    loss_pick = comparison.group_picks["loss"]
    assert loss_pick is not None
    assert loss_pick.reason.startswith("thin (3 seeds) has the lowest validation loss (0.2100)")
    assert loss_pick.reason.endswith("the loss gap over wide (3 seeds) is 0.1100 (3 vs 3 seeds, "
                                     "Welch p = 0.0037): beyond seed noise.")
    assert loss_pick.settled is True


def test_the_clause_says_when_there_is_no_spread_to_test_against() -> None:
    members = pd.Series({"a1": "A", "a2": "A", "b1": "B", "b2": "B"})
    table = pd.DataFrame({f.FINAL_LOSS: [0.1, 0.1, 0.2, 0.2],
                          f.FINAL_ACCURACY: [0.9, 0.9, 0.8, 0.8]}, index=members.index)
    result = group_versus("A", "B", table, members)
    assert seed_noise_clause(result, "accuracy", "B") == (
        "the accuracy gap over B is 0.1000 (2 vs 2 seeds, no spread over seeds to test it "
        "against)")


def test_the_json_lists_the_disagreeing_groups() -> None:
    rows = [{f.RUN_ID: f"{name}-{s}", "params.kind": name, "params.seed": str(s)}
            for name in ("bold", "timid", "good", "bad") for s in range(2)]
    runs = RUNS.iloc[:0].reindex(columns=[f.RUN_ID, f.RUN_NAME, f.STATUS]).pipe(
        lambda _: pd.DataFrame(rows)).assign(**{f.RUN_NAME: lambda d: d[f.RUN_ID],
                                               f.STATUS: "FINISHED"})
    final = {"bold": (0.50, 0.96), "timid": (0.20, 0.90), "good": (0.10, 0.97),
             "bad": (0.60, 0.80)}
    from tests.unit.test_report import history
    points = history([(r[f.RUN_ID], key, 1, value + 0.001 * int(r["params.seed"]))
                      for r in rows for key, value in zip(
                          ("val_loss", "val_accuracy"), final[r["params.kind"]], strict=True)])
    report = to_json(compare(runs, points), "e", "loss")
    names = {g["group"]: g["name"] for g in report["groups"]}
    [pair] = report["group_versus"]
    assert (names[pair["a"]], names[pair["b"]]) == ("bold", "timid")
    assert pair["test"] == "welch" and pair["loss_diff"] == pytest.approx(0.30)
    assert pair["n_a"] == pair["n_b"] == 2
