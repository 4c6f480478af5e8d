import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import frames as f
from analysis.series import (
    ROLES,
    assign_epochs,
    build_curves,
    choose_keys_per_run,
    restore_infinities,
)

CLAMPED = 1.7976931348623157e308


def history(rows: list[tuple[str, str, int, float, int]]) -> pd.DataFrame:
    """rows of (run_id, key, step, value, timestamp)."""
    frame = pd.DataFrame(rows, columns=[f.RUN_ID, f.KEY, f.STEP, f.VALUE, f.TIMESTAMP])
    frame[f.SPLIT] = None
    frame[f.METRIC] = None
    frame[f.EPOCH] = frame[f.STEP].astype(float)
    return frame[f.HISTORY_COLUMNS]


def test_clamped_values_are_infinities_again() -> None:
    got = restore_infinities(pd.Series([CLAMPED, -CLAMPED, 1.0, math.nan]))
    assert got.iloc[0] == math.inf and got.iloc[1] == -math.inf and got.iloc[2] == 1.0
    assert math.isnan(got.iloc[3])


def test_global_steps_map_to_the_epoch_metric() -> None:
    # HF Trainer: loss every 5 steps, epoch logged with it, eval at the end of each epoch
    frame = history([
        ("r", "loss", 5, 0.9, 1), ("r", "epoch", 5, 0.5, 1),
        ("r", "loss", 10, 0.7, 2), ("r", "epoch", 10, 1.0, 2), ("r", "eval_loss", 10, 0.8, 3),
        ("r", "loss", 15, 0.6, 4), ("r", "epoch", 15, 1.5, 4),
        ("r", "loss", 20, 0.5, 5), ("r", "epoch", 20, 2.0, 5), ("r", "eval_loss", 20, 0.75, 6),
        ("plain", "val_loss", 3, 0.1, 1),
    ])
    got = assign_epochs(frame).set_index([f.RUN_ID, f.KEY, f.STEP])[f.EPOCH]
    assert got[("r", "eval_loss", 10)] == 1.0 and got[("r", "eval_loss", 20)] == 2.0
    assert got[("r", "loss", 15)] == 1.5
    assert got[("plain", "val_loss", 3)] == 3.0  # no epoch metric: epoch = step


def test_steps_between_epoch_marks_take_the_earlier_mark() -> None:
    frame = history([("r", "epoch", 0, 0.0, 1), ("r", "loss", 7, 0.3, 2),
                     ("r", "epoch", 10, 1.0, 3), ("r", "loss", 2, 0.4, 0)])
    got = assign_epochs(frame).set_index([f.KEY, f.STEP])[f.EPOCH]
    assert got[("loss", 7)] == 0.0 and got[("loss", 2)] == 0.0


def test_duplicate_steps_keep_mlflows_latest_value() -> None:
    frame = history([("r", "val_loss", 1, 0.5, 10), ("r", "val_loss", 1, 0.4, 20),
                     ("r", "val_loss", 2, 0.3, 5), ("r", "val_loss", 2, 0.2, 5)])
    got = build_curves(frame, choose_keys_per_run(frame))
    assert sorted(zip(got[f.EPOCH], got[f.VALUE], strict=True)) == [(1.0, 0.4), (2.0, 0.3)]


def test_curves_from_chosen_keys_with_error_flipped_to_accuracy() -> None:
    frame = history([
        ("x", "validation_0-logloss", 1, 0.6, 1), ("x", "validation_0-error", 1, 0.25, 1),
        ("x", "validation_0-logloss", 0, CLAMPED, 0), ("x", "validation_0-error", 0, 0.5, 0),
        ("k", "val_loss", 1, 0.3, 1), ("k", "val_accuracy", 1, 0.9, 1), ("k", "loss", 1, 0.2, 1),
    ])
    choices = choose_keys_per_run(frame)
    assert choices.loc["x", "accuracy_derived_from"] == "validation_0-error"
    assert choices.loc["k", "train_loss_key"] == "loss"
    curves = build_curves(frame, choices).set_index([f.RUN_ID, f.SPLIT, f.METRIC, f.EPOCH])
    assert curves.loc[("x", "val", "accuracy", 1.0), f.VALUE] == 0.75
    assert curves.loc[("x", "val", "loss", 0.0), f.VALUE] == math.inf
    assert curves.loc[("k", "train", "loss", 1.0), f.VALUE] == 0.2
    assert curves.loc[("k", "val", "accuracy", 1.0), f.VALUE] == 0.9  # not derived: as logged
    assert len(curves) == 7


def test_empty_history_gives_empty_curves() -> None:
    empty = f.empty_history()
    assert build_curves(empty, choose_keys_per_run(empty)).columns.tolist() == f.CURVE_COLUMNS


def test_smoothing_is_an_exponential_average_per_curve() -> None:
    from analysis.series import smooth

    curves = pd.DataFrame({f.RUN_ID: ["a", "a", "a", "b"], f.SPLIT: ["val"] * 4,
                           f.METRIC: ["loss"] * 4, f.EPOCH: [2.0, 1.0, 3.0, 1.0],
                           f.VALUE: [0.0, 1.0, math.nan, 5.0]})
    got = smooth(curves, 0.5).set_index([f.RUN_ID, f.EPOCH])[f.VALUE]
    # adjusted EWM, alpha 0.5: epoch 1 -> 1; epoch 2 -> (0 + 0.5 * 1) / (1 + 0.5) = 1/3
    assert got[("a", 1.0)] == 1.0 and abs(got[("a", 2.0)] - 1 / 3) < 1e-12
    assert math.isnan(got[("a", 3.0)]) and got[("b", 1.0)] == 5.0  # runs never mix
    assert smooth(curves, 0.0) is curves


def test_thin_keeps_each_buckets_extremes_and_leaves_short_lines_alone() -> None:
    import numpy as np

    from analysis.series import thin

    n = 100_000
    long = pd.DataFrame({f.RUN_ID: "a", f.SPLIT: "val", f.METRIC: "loss",
                         f.EPOCH: np.arange(n, dtype=float), f.VALUE: np.sin(np.arange(n) / 500)})
    long.loc[54_321, f.VALUE] = 9.0  # a spike must survive
    short = pd.DataFrame({f.RUN_ID: "b", f.SPLIT: "val", f.METRIC: "loss",
                          f.EPOCH: [2.0, 1.0], f.VALUE: [1.0, float("nan")]})
    out = thin(pd.concat([long, short], ignore_index=True), 1000)
    kept = out[out[f.RUN_ID] == "a"]
    assert len(kept) <= 1000 and kept[f.VALUE].max() == 9.0
    assert kept[f.VALUE].min() == long[f.VALUE].min()
    assert kept[f.EPOCH].is_monotonic_increasing and kept[f.EPOCH].iloc[0] == 0.0
    assert out[out[f.RUN_ID] == "b"][f.EPOCH].tolist() == [1.0, 2.0]
    with pytest.raises(ValueError):
        thin(short, 1)


def test_a_key_playing_two_roles_feeds_both_curves() -> None:
    frame = history([("r", "loss", 1, 0.5, 1), ("r", "val_loss", 1, 0.6, 1),
                     ("r", "val_accuracy", 1, 0.8, 1)])
    curves = build_curves(frame, choose_keys_per_run(frame, loss_key="loss"))
    got = curves.set_index([f.SPLIT, f.METRIC])[f.VALUE]
    assert got[("val", "loss")] == 0.5 and got[("train", "loss")] == 0.5  # the override
    assert got[("val", "accuracy")] == 0.8 and len(curves) == 3


def reference_curves(frame: pd.DataFrame, choices: pd.DataFrame) -> pd.DataFrame:
    """build_curves as plain pandas would say it: a merge, a sort, MLflow's latest rule,
    percent divided by 100."""
    plan = pd.concat([pd.DataFrame({f.RUN_ID: choices.index, f.KEY: choices[column].to_numpy(),
                                    f.SPLIT: split, f.METRIC: metric,
                                    "flip": choices[derived].notna().to_numpy() if derived
                                    else False,
                                    "scale": choices[scale].to_numpy() if scale else 1})
                      for column, split, metric, derived, scale in ROLES])
    points = frame.drop(columns=[f.SPLIT, f.METRIC]).merge(plan.dropna(subset=[f.KEY]),
                                                           on=[f.RUN_ID, f.KEY])
    line = [f.RUN_ID, f.SPLIT, f.METRIC, f.EPOCH]
    latest = points.sort_values([*line, f.STEP, f.TIMESTAMP, f.VALUE]).drop_duplicates(
        line, keep="last")
    values = restore_infinities(latest[f.VALUE]) / latest["scale"]
    return latest.assign(**{f.VALUE: values.where(~latest["flip"], 1 - values)})[
        f.CURVE_COLUMNS].sort_values(line).reset_index(drop=True)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                          st.sampled_from(["val_loss", "val_accuracy", "loss", "train_error",
                                           "valid_error", "val/loss"]),
                          st.integers(0, 4),
                          st.one_of(st.floats(-2, 2), st.just(math.nan), st.just(CLAMPED)),
                          st.integers(0, 2)), max_size=60))
def test_curves_match_a_plain_pandas_reading(rows: list[tuple[str, str, int, float, int]]) -> None:
    """Repeated steps, ties on timestamp, NaN, clamped infinities, error keys: the fast path
    gives exactly what a merge, a sort and drop_duplicates give."""
    frame = history(rows)
    choices = choose_keys_per_run(frame)
    got = build_curves(frame, choices).astype({c: "object" for c in (f.RUN_ID, f.SPLIT,
                                                                     f.METRIC)})
    got = got.sort_values([f.RUN_ID, f.SPLIT, f.METRIC, f.EPOCH]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, reference_curves(frame, choices).astype(got.dtypes),
                                  check_index_type=False)


def test_thinning_keeps_a_gap_where_a_long_line_has_nan() -> None:
    import numpy as np

    from analysis.series import thin

    values = np.linspace(1.0, 0.0, 1000)
    values[500] = np.nan  # training blew up for an epoch: the thinned line must still break
    line = pd.DataFrame({f.RUN_ID: "a", f.SPLIT: "val", f.METRIC: "loss",
                         f.EPOCH: np.arange(1000.0), f.VALUE: values})
    kept = thin(line, 100)
    assert len(kept) <= 101 and kept[f.VALUE].isna().sum() == 1
    assert kept[f.EPOCH].is_monotonic_increasing
    assert kept[f.VALUE].max() == 1.0 and kept[f.VALUE].min() == 0.0
