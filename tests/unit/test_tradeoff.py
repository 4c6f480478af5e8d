import math

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from dashboard.analysis.tradeoff import QUADRANTS, quadrants


def test_each_run_lands_in_its_quadrant_against_the_medians() -> None:
    loss = pd.Series({"overconfident": 0.40, "hedging": 0.15, "dominant": 0.10, "weak": 0.60})
    accuracy = pd.Series({"overconfident": 0.96, "hedging": 0.90, "dominant": 0.97, "weak": 0.70})
    # medians: loss 0.275, accuracy 0.93
    assert quadrants(loss, accuracy).to_dict() == {
        "overconfident": "high-accuracy/high-loss",
        "hedging": "low-accuracy/low-loss",
        "dominant": "high-accuracy/low-loss",
        "weak": "low-accuracy/high-loss",
    }


def test_user_thresholds_replace_the_medians() -> None:
    got = quadrants(pd.Series([0.2, 0.3]), pd.Series([0.8, 0.9]), loss_threshold=0.25,
                    accuracy_threshold=0.95)
    assert got.tolist() == ["low-accuracy/low-loss", "low-accuracy/high-loss"]


def test_runs_missing_a_value_get_no_quadrant_and_do_not_move_the_medians() -> None:
    loss = pd.Series([0.1, 0.3, math.nan, 0.5])
    accuracy = pd.Series([0.9, 0.8, 0.99, None])
    got = quadrants(loss, accuracy)
    assert got.tolist()[:2] == ["high-accuracy/low-loss", "low-accuracy/high-loss"]
    assert got.isna().tolist() == [False, False, True, True]


finite = st.floats(min_value=0, max_value=10, allow_nan=False)


@given(st.lists(st.tuples(finite, st.floats(0, 1)), min_size=1, max_size=40))
def test_quadrants_are_named_and_split_at_the_median(points: list[tuple[float, float]]) -> None:
    loss = pd.Series([p[0] for p in points])
    accuracy = pd.Series([p[1] for p in points])
    got = quadrants(loss, accuracy)
    assert set(got) <= set(QUADRANTS)
    high_loss = got.str.endswith("/high-loss")
    assert (loss[high_loss] >= loss.median()).all() and (loss[~high_loss] < loss.median()).all()
    # at least half the runs are at or above each median
    assert high_loss.sum() >= len(points) / 2
    assert got.str.startswith("high-accuracy").sum() >= len(points) / 2
