import math

import numpy as np
import pytest
from scipy.special import softmax

from analysis.calibration import (
    ACCURACY,
    CONFIDENCE,
    COUNT,
    LOWER,
    RELIABILITY_COLUMNS,
    UPPER,
    calibrated_loss,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_bins,
)

# top-label confidence / predicted / label / correct
#   0.9  0  0  yes      0.8  0  1  no      0.7  1  1  yes      0.5  0 (first of a tie)  1  no
PROBA = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])
LABELS = np.array([0, 1, 1, 1])


def test_ece_by_hand_with_right_closed_bins() -> None:
    # 5 bins: (0, .2] (.2, .4] (.4, .6] (.6, .8] (.8, 1]; 0.8 sits in (.6, .8], not the last
    # (.4, .6]: {0.5 no}          conf .50 acc 0   gap .50  weight 1/4
    # (.6, .8]: {0.8 no, 0.7 yes} conf .75 acc .5  gap .25  weight 2/4
    # (.8, 1]:  {0.9 yes}         conf .90 acc 1   gap .10  weight 1/4
    # ECE = (.50 + 2 * .25 + .10) / 4 = 1.1 / 4 = 0.275
    assert expected_calibration_error(PROBA, LABELS, bins=5) == pytest.approx(0.275)
    # one bin: conf mean (0.9 + 0.8 + 0.7 + 0.5) / 4 = 0.725, accuracy 0.5 -> 0.225
    assert expected_calibration_error(PROBA, LABELS, bins=1) == pytest.approx(0.225)


def test_reliability_bins_list_every_bin_including_empty_ones() -> None:
    table = reliability_bins(PROBA, LABELS, bins=5)
    assert list(table.columns) == RELIABILITY_COLUMNS
    assert table[LOWER].tolist() == [0.0, 0.2, 0.4, 0.6, 0.8]
    assert table[UPPER].tolist() == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert table[COUNT].tolist() == [0, 0, 1, 2, 1]
    np.testing.assert_allclose(table[CONFIDENCE], [np.nan, np.nan, 0.5, 0.75, 0.9])
    np.testing.assert_allclose(table[ACCURACY], [np.nan, np.nan, 0.0, 0.5, 1.0])


def test_zero_confidence_goes_into_the_first_bin() -> None:
    table = reliability_bins(np.zeros((2, 3)), np.array([0, 2]), bins=4)
    assert table[COUNT].tolist() == [2, 0, 0, 0]
    assert table[ACCURACY][0] == 0.5  # argmax of all zeros is class 0: one of two right


def test_negative_log_likelihood_by_hand_with_clipping() -> None:
    proba = np.array([[0.5, 0.5], [0.25, 0.75], [1.0, 0.0]])
    expected = -(math.log(0.5) + math.log(0.75) + math.log(1e-12)) / 3
    assert negative_log_likelihood(proba, np.array([0, 1, 1])) == pytest.approx(expected)


def sampled(logits: np.ndarray, seed: int) -> np.ndarray:
    """Labels drawn from softmax(logits), one per row."""
    cumulative = np.cumsum(softmax(logits, axis=1), axis=1)
    draws = np.random.default_rng(seed).random((len(logits), 1))
    return np.minimum((draws > cumulative).sum(axis=1), logits.shape[1] - 1)


LOGITS = np.random.default_rng(0).normal(0, 1.5, (20_000, 5))
TRUE_LABELS = sampled(LOGITS, seed=1)


def test_temperature_softens_deliberately_overconfident_predictions() -> None:
    overconfident = softmax(3 * LOGITS, axis=1)
    temperature, calibrated = calibrated_loss(overconfident, TRUE_LABELS)
    assert temperature > 1
    assert temperature == pytest.approx(3.0, abs=0.1)
    assert temperature == fit_temperature(overconfident, TRUE_LABELS)
    raw = negative_log_likelihood(overconfident, TRUE_LABELS)
    assert calibrated < raw - 0.3
    # scaling back by ~3 recovers about the NLL of the true probabilities
    truth = negative_log_likelihood(softmax(LOGITS, axis=1), TRUE_LABELS)
    assert calibrated == pytest.approx(truth, abs=0.01)
    assert expected_calibration_error(overconfident, TRUE_LABELS) > 0.1


def test_calibrated_predictions_keep_a_temperature_near_one() -> None:
    proba = softmax(LOGITS, axis=1)
    temperature, calibrated = calibrated_loss(proba, TRUE_LABELS)
    assert temperature == pytest.approx(1.0, abs=0.05)
    assert calibrated <= negative_log_likelihood(proba, TRUE_LABELS) + 1e-9
    assert expected_calibration_error(proba, TRUE_LABELS) < 0.03


def test_underconfident_predictions_get_a_temperature_below_one() -> None:
    assert fit_temperature(softmax(LOGITS / 2, axis=1), TRUE_LABELS) == pytest.approx(0.5,
                                                                                     abs=0.05)


@pytest.mark.parametrize(
    ("proba", "labels", "message"),
    [
        (np.array([0.5, 0.5]), np.array([0]), "2-D"),
        (PROBA, LABELS.reshape(2, 2), "1-D"),
        (np.zeros((0, 2)), np.array([], dtype=int), "empty"),
        (PROBA, LABELS[:3], "4 rows of proba but 3 labels"),
        (PROBA, np.array([0, 1, 2, 1]), r"labels must lie in \[0, 2\)"),
        (PROBA, np.array([0, -1, 1, 1]), r"labels must lie in \[0, 2\)"),
        (PROBA, LABELS.astype(float), "integers"),
        (np.array([[np.nan, 1.0]]), np.array([0]), "finite"),
        (np.array([[-0.1, 1.1]]), np.array([0]), "non-negative"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(
    proba: np.ndarray, labels: np.ndarray, message: str
) -> None:
    for function in (expected_calibration_error, reliability_bins, negative_log_likelihood,
                     fit_temperature, calibrated_loss):
        with pytest.raises(ValueError, match=message):
            function(proba, labels)


def test_bins_must_be_positive() -> None:
    with pytest.raises(ValueError, match="bins"):
        expected_calibration_error(PROBA, LABELS, bins=0)
