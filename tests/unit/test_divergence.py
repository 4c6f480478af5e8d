import math

import numpy as np
import pandas as pd
import pytest

from analysis.divergence import (
    DIVERGENCE_EPOCH,
    divergence_by_run,
    divergence_epoch,
)
from analysis.frames import (
    CURVE_COLUMNS,
    CURVE_DTYPES,
    EPOCH,
    METRIC,
    RUN_ID,
    SPLIT,
    VALUE,
)

EPOCHS = np.arange(41.0)
# Integers, so the medians compare exactly. Loss falls 2 a step to 60 at epoch 20, then rises
# 1 a step; accuracy climbs to 70 at epoch 20 and stays there.
OVERFIT_LOSS = pd.Series(np.where(EPOCHS <= 20, 100 - 2 * EPOCHS, 60 + (EPOCHS - 20)), EPOCHS)
PLATEAU_ACCURACY = pd.Series(np.minimum(50 + EPOCHS, 70.0), EPOCHS)


def test_clean_overfitting_is_found_where_the_trailing_median_turns() -> None:
    # trailing median of 3: s[e] = median(x[e-2], x[e-1], x[e])
    # x: 19 -> 62, 20 -> 60, 21 -> 61, 22 -> 62, 23 -> 63, ...
    # s[20] = 62, s[21] = median(62, 60, 61) = 61, s[22] = median(60, 61, 62) = 61,
    # s[23] = 62, s[24] = 63, s[25] = 64: flat from 21 to 22, strictly rising from 22 on,
    # and accuracy is flat at 70 there -> 22 (two epochs of lag from the smoothing)
    assert divergence_epoch(OVERFIT_LOSS, PLATEAU_ACCURACY) == 22.0


def test_without_smoothing_the_turn_is_the_raw_minimum() -> None:
    assert divergence_epoch(OVERFIT_LOSS, PLATEAU_ACCURACY, window=1) == 20.0


def test_epoch_order_of_the_input_does_not_matter() -> None:
    order = np.random.default_rng(1).permutation(len(EPOCHS))
    assert divergence_epoch(OVERFIT_LOSS.iloc[order], PLATEAU_ACCURACY.iloc[order]) == 22.0


def test_a_rise_shorter_than_the_persistence_is_not_divergence() -> None:
    # up to epoch 24 the smoothed loss rises only 22 -> 23 -> 24: two steps
    assert divergence_epoch(OVERFIT_LOSS[:25], PLATEAU_ACCURACY[:25]) is None
    assert divergence_epoch(OVERFIT_LOSS[:25], PLATEAU_ACCURACY[:25], persistence=2) == 22.0
    assert divergence_epoch(OVERFIT_LOSS[:26], PLATEAU_ACCURACY[:26]) == 22.0


def test_noisy_but_falling_loss_is_not_divergence() -> None:
    rng = np.random.default_rng(7)
    loss = pd.Series(1 / (1 + EPOCHS) + rng.normal(0, 0.02, EPOCHS.size), EPOCHS)
    loss[30] = 5.0  # one spike: the median filter must swallow it
    assert divergence_epoch(loss, PLATEAU_ACCURACY) is None
    # a zigzag rises every other epoch but never three epochs running
    zigzag = pd.Series(100 - EPOCHS + 3 * (EPOCHS % 2), EPOCHS)
    assert divergence_epoch(zigzag, PLATEAU_ACCURACY) is None
    assert divergence_epoch(zigzag, PLATEAU_ACCURACY, window=1) is None


def test_rising_loss_with_falling_accuracy_is_plain_degradation_not_divergence() -> None:
    falling_accuracy = pd.Series(np.where(EPOCHS <= 20, 50 + EPOCHS, 90 - EPOCHS), EPOCHS)
    assert divergence_epoch(OVERFIT_LOSS, falling_accuracy) is None


def test_tolerance_forgives_small_accuracy_dips() -> None:
    dipping = PLATEAU_ACCURACY - 0.001 * (EPOCHS > 20) * (EPOCHS - 20)
    assert divergence_epoch(OVERFIT_LOSS, dipping) is None
    assert divergence_epoch(OVERFIT_LOSS, dipping, tolerance=0.002) == 22.0


def test_nan_gaps_are_dropped_before_smoothing() -> None:
    loss = OVERFIT_LOSS.copy()
    loss[[5, 21, 33]] = math.nan
    accuracy = PLATEAU_ACCURACY.copy()
    accuracy[[12, 35]] = math.nan
    # loss points 18..26 without 21: 64 62 60 | 62 63 64 65 66
    # smoothed at 20 = 62, 22 = median(62, 60, 62) = 62, 23 = median(60, 62, 63) = 62,
    # 24 = 63, 25 = 64, 26 = 65: first strict rise 23 -> 24 -> 25 -> 26 -> 23
    assert divergence_epoch(loss, accuracy) == 23.0
    assert divergence_epoch(pd.Series([math.nan] * 5), pd.Series([1.0] * 5)) is None


def test_bad_window_or_persistence_is_rejected() -> None:
    with pytest.raises(ValueError, match="window and persistence"):
        divergence_epoch(OVERFIT_LOSS, PLATEAU_ACCURACY, window=0)
    with pytest.raises(ValueError, match="window and persistence"):
        divergence_epoch(OVERFIT_LOSS, PLATEAU_ACCURACY, persistence=0)


def curves_of(run: str, split: str, metric: str, series: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({RUN_ID: run, SPLIT: split, METRIC: metric, EPOCH: series.index,
                         VALUE: series.to_numpy()}, columns=CURVE_COLUMNS)


def test_divergence_by_run_reads_the_validation_split_only() -> None:
    falling = pd.Series(100 - EPOCHS, EPOCHS)
    curves = pd.concat([
        curves_of("over", "val", "loss", OVERFIT_LOSS),
        curves_of("over", "val", "accuracy", PLATEAU_ACCURACY),
        curves_of("fine", "val", "loss", falling),
        curves_of("fine", "val", "accuracy", PLATEAU_ACCURACY),
        curves_of("fine", "train", "loss", OVERFIT_LOSS),  # train overfits; val does not
        curves_of("lossonly", "val", "loss", OVERFIT_LOSS),
        curves_of("trainonly", "train", "loss", OVERFIT_LOSS),
    ]).astype(CURVE_DTYPES)
    got = divergence_by_run(curves)
    assert got.name == DIVERGENCE_EPOCH and got.index.name == RUN_ID
    assert got.index.tolist() == ["fine", "lossonly", "over"]
    assert got.isna().tolist() == [True, True, False] and got["over"] == 22.0
    assert divergence_by_run(curves, window=1)["over"] == 20.0


