import math

import pandas as pd
import pytest

from analysis.frames import CURVE_COLUMNS, CURVE_DTYPES, RUN_ID, empty_curves
from analysis.summary import (
    BASELINE_LIFT,
    BEST_ACCURACY,
    BEST_ACCURACY_EPOCH,
    BEST_LOSS,
    BEST_LOSS_EPOCH,
    EPOCHS,
    FINAL_ACCURACY,
    FINAL_LOSS,
    SUMMARY_COLUMNS,
    baseline_lift,
    final_and_best,
)

inf, nan = math.inf, math.nan


def curves(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=CURVE_COLUMNS).astype(CURVE_DTYPES)


# a: epochs listed out of order; accuracy ties at 0.8 on epochs 2 and 3; a train row at a later
#    epoch with a better loss, which must be ignored.
#    -> 3 val epochs; final loss 0.7 (epoch 3), final accuracy 0.8; best loss 0.5 @ 2;
#       best accuracy 0.8 @ 2 (earliest of the tie).
# b: diverged: loss 1.0, +inf, NaN; accuracy 0.5, 0.4, NaN.
#    -> 3 epochs; final loss NaN, final accuracy NaN; best loss 1.0 @ 1 (+inf is worst, NaN
#       skipped); best accuracy 0.5 @ 1.
# c: loss only, at epochs 0 and 10 -> 2 epochs; final 0.3; best 0.3 @ 10; accuracy all NaN.
# d: loss at epoch 1, accuracy at 1.5 and 2 -> 3 distinct epochs; final loss 0.2 and
#    accuracy 0.9; best loss 0.2 @ 1, best accuracy 0.9 @ 2.
# e: train rows only -> no row at all.
FOUR_RUNS = curves([
    ("a", "val", "loss", 3, 0.7), ("a", "val", "loss", 1, 0.9), ("a", "val", "loss", 2, 0.5),
    ("a", "val", "accuracy", 3, 0.8), ("a", "val", "accuracy", 1, 0.6),
    ("a", "val", "accuracy", 2, 0.8), ("a", "train", "loss", 4, 0.01),
    ("b", "val", "loss", 1, 1.0), ("b", "val", "loss", 2, inf), ("b", "val", "loss", 3, nan),
    ("b", "val", "accuracy", 1, 0.5), ("b", "val", "accuracy", 2, 0.4),
    ("b", "val", "accuracy", 3, nan),
    ("c", "val", "loss", 10, 0.3), ("c", "val", "loss", 0, 0.4),
    ("d", "val", "loss", 1, 0.2), ("d", "val", "accuracy", 2, 0.9),
    ("d", "val", "accuracy", 1.5, 0.7),
    ("e", "train", "loss", 1, 0.3), ("e", "train", "accuracy", 1, 0.9),
])


def test_final_and_best_match_the_hand_computed_values() -> None:
    expected = pd.DataFrame(
        {
            EPOCHS: [3, 3, 2, 3],
            FINAL_LOSS: [0.7, nan, 0.3, 0.2],
            FINAL_ACCURACY: [0.8, nan, nan, 0.9],
            BEST_LOSS: [0.5, 1.0, 0.3, 0.2],
            BEST_LOSS_EPOCH: [2.0, 1.0, 10.0, 1.0],
            BEST_ACCURACY: [0.8, 0.5, nan, 0.9],
            BEST_ACCURACY_EPOCH: [2.0, 1.0, nan, 2.0],
        },
        index=pd.Index(["a", "b", "c", "d"], dtype="string", name=RUN_ID),
    )
    pd.testing.assert_frame_equal(final_and_best(FOUR_RUNS), expected)


def test_row_order_does_not_matter() -> None:
    shuffled = FOUR_RUNS.sample(frac=1, random_state=3)
    pd.testing.assert_frame_equal(final_and_best(shuffled), final_and_best(FOUR_RUNS))


def test_a_run_whose_loss_is_always_inf_has_inf_as_best_at_its_first_epoch() -> None:
    got = final_and_best(curves([("r", "val", "loss", 2, inf), ("r", "val", "loss", 1, inf)]))
    assert got.loc["r", BEST_LOSS] == inf
    assert got.loc["r", BEST_LOSS_EPOCH] == 1.0
    assert got.loc["r", FINAL_LOSS] == inf


def test_empty_curves_give_an_empty_frame_with_the_summary_columns() -> None:
    got = final_and_best(empty_curves())
    assert list(got.columns) == SUMMARY_COLUMNS
    assert got.empty and got.index.name == RUN_ID


def test_train_only_curves_give_an_empty_frame() -> None:
    got = final_and_best(curves([("e", "train", "loss", 1, 0.3)]))
    assert got.empty and list(got.columns) == SUMMARY_COLUMNS


def test_baseline_lift_aligns_on_run_id_and_leaves_unknowns_nan() -> None:
    accuracy = pd.Series({"a": 0.9, "b": nan, "c": 0.8})
    baseline = pd.Series({"d": 0.5, "b": 0.5, "a": 0.75})
    got = baseline_lift(accuracy, baseline)
    assert got.name == BASELINE_LIFT and got.index.name == RUN_ID
    assert got["a"] == pytest.approx(0.15)
    assert got[["b", "c", "d"]].isna().all()
    assert sorted(got.index) == ["a", "b", "c", "d"]
