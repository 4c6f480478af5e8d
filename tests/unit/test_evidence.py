import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import binomtest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from analysis import evidence
from analysis.evidence import (
    ConfidentMistakes,
    PairedComparison,
    compare_paired,
    confident_disagreements,
    confident_mistakes,
    confidently_wrong_only_in,
    loss_standard_error,
    mcnemar_exact_p,
    paired_loss_difference,
    per_sample_log_loss,
    wilson_interval,
)

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def test_wilson_interval_by_hand_for_8_of_10() -> None:
    # p = 0.8, n = 10: centre (p + z^2/2n) / (1 + z^2/n), half z sqrt(p(1-p)/n + z^2/4n^2) / (...)
    scale = 1 + Z95**2 / 10
    centre = (0.8 + Z95**2 / 20) / scale
    half = Z95 * math.sqrt(0.8 * 0.2 / 10 + Z95**2 / 400) / scale
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(centre - half, abs=1e-9)
    assert high == pytest.approx(centre + half, abs=1e-9)
    assert (low, high) == pytest.approx((0.4901625, 0.9433178), abs=1e-7)
    assert (low, high) == pytest.approx(proportion_confint(8, 10, alpha=0.05, method="wilson"),
                                        abs=1e-9)


@pytest.mark.parametrize("correct, n", [(0, 1), (1, 1), (0, 10), (10, 10), (1, 3), (37, 50),
                                        (4999, 10000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_interval_matches_statsmodels(correct: int, n: int, confidence: float) -> None:
    expected = proportion_confint(correct, n, alpha=1 - confidence, method="wilson")
    assert wilson_interval(correct, n, confidence) == pytest.approx(expected, abs=1e-9)


def test_wilson_interval_is_nan_without_samples_and_rejects_impossible_counts() -> None:
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    with pytest.raises(ValueError):
        wilson_interval(5, 10, confidence=1.0)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 10_000), share=st.floats(0, 1), confidence=st.floats(0.5, 0.999))
def test_wilson_interval_contains_the_proportion_inside_0_1(
    n: int, share: float, confidence: float
) -> None:
    correct = round(share * n)
    low, high = wilson_interval(correct, n, confidence)
    assert 0.0 <= low <= correct / n <= high <= 1.0


def outcomes(both: int, only_a: int, only_b: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample correctness of runs a and b with the given 2x2 counts."""
    a = [True] * both + [True] * only_a + [False] * only_b + [False] * neither
    b = [True] * both + [False] * only_a + [True] * only_b + [False] * neither
    return np.array(a), np.array(b)


def test_mcnemar_by_hand_and_against_statsmodels_and_scipy() -> None:
    a, b = outcomes(both=5, only_a=1, only_b=6, neither=3)
    # 7 discordant pairs, 1 of them for a: 2 * P(X <= 1), X ~ Bin(7, 1/2) = 2 * 8 / 128
    assert mcnemar_exact_p(a, b) == pytest.approx(0.125, abs=1e-12)
    table = np.array([[5, 1], [6, 3]])  # rows a right/wrong, columns b right/wrong
    assert mcnemar_exact_p(a, b) == pytest.approx(mcnemar(table, exact=True).pvalue, abs=1e-12)
    assert mcnemar_exact_p(a, b) == pytest.approx(binomtest(1, 7, 0.5).pvalue, abs=1e-12)


def test_mcnemar_is_1_without_discordant_pairs_and_capped_at_1_when_balanced() -> None:
    assert mcnemar_exact_p(*outcomes(both=4, only_a=0, only_b=0, neither=2)) == 1.0
    # 2 * P(X <= 3), X ~ Bin(6, 1/2) = 2 * 42 / 64 > 1
    assert mcnemar_exact_p(*outcomes(both=0, only_a=3, only_b=3, neither=0)) == 1.0


@settings(max_examples=50, deadline=None)
@given(counts=st.tuples(*[st.integers(0, 15)] * 4))
def test_mcnemar_matches_statsmodels(counts: tuple[int, int, int, int]) -> None:
    both, only_a, only_b, neither = counts
    table = np.array([[both, only_a], [only_b, neither]])
    expected = mcnemar(table, exact=True).pvalue if only_a + only_b else 1.0
    assert mcnemar_exact_p(*outcomes(*counts)) == pytest.approx(expected, abs=1e-12)


def test_per_sample_log_loss_clips_at_1e_15_and_computes_in_float64() -> None:
    proba = np.array([[0.1, 0.9], [1.0, 0.0]], dtype=np.float32)
    loss = per_sample_log_loss(proba, np.array([0, 1]))
    assert loss.dtype == np.float64
    assert loss[0] == -math.log(float(np.float32(0.1)))
    assert loss[1] == pytest.approx(34.538776394910684, abs=1e-12)  # -log(1e-15), not inf


def test_loss_standard_error_is_sample_std_over_root_n() -> None:
    values = np.array([0.2, 1.5, 0.05, 3.0, 0.7])
    expected = np.std(values, ddof=1) / np.sqrt(5)
    assert loss_standard_error(values) == pytest.approx(expected, rel=1e-12)
    assert math.isnan(loss_standard_error(np.array([0.3])))
    assert math.isnan(loss_standard_error(np.array([])))


# label / loss:  1 confidently wrong (0.95): log 20   0 right: log 1.25
#                1 wrong, unsure (0.6): log 2.5       1 right: log (10/9)
PROBA = np.array([[0.95, 0.05], [0.8, 0.2], [0.6, 0.4], [0.1, 0.9]])
LABELS = np.array([1, 0, 1, 1])


def test_confident_mistakes_by_hand() -> None:
    found = confident_mistakes(PROBA, LABELS)
    total = math.log(20) + math.log(1.25) + math.log(2.5) + math.log(10 / 9)
    assert found.count == 1
    assert found.indices.tolist() == [0]
    assert found.loss_share == pytest.approx(math.log(20) / total, abs=1e-12)
    assert found.loss_share == pytest.approx(2.995732 / 4.240527, abs=1e-6)
    hedged = (math.log(2) + math.log(1.25) + math.log(2.5) + math.log(10 / 9)) / 4
    assert found.loss_if_hedged == pytest.approx(hedged, abs=1e-12)


def test_a_mistake_at_exactly_the_threshold_counts_and_right_answers_never_do() -> None:
    proba = np.array([[0.9, 0.1], [0.89, 0.11], [0.99, 0.01]])
    found = confident_mistakes(proba, np.array([1, 1, 0]))
    assert found.indices.tolist() == [0]
    assert confident_mistakes(proba, np.array([1, 1, 0]), threshold=0.8).indices.tolist() == [0, 1]


def test_loss_share_is_nan_when_the_run_has_no_loss() -> None:
    found = confident_mistakes(np.eye(3), np.array([0, 1, 2]))
    assert isinstance(found, ConfidentMistakes)
    assert found.count == 0 and found.indices.size == 0
    assert math.isnan(found.loss_share)
    assert found.loss_if_hedged == 0.0


def test_confidently_wrong_only_in_a_excludes_samples_b_also_gets_wrong() -> None:
    labels = np.array([1, 1, 0, 0])
    proba_a = np.array([[0.95, 0.05], [0.92, 0.08], [0.3, 0.7], [0.97, 0.03]])
    proba_b = np.array([[0.2, 0.8], [0.6, 0.4], [0.9, 0.1], [0.9, 0.1]])
    # a confidently wrong at 0 and 1; b right at 0, wrong at 1
    assert confidently_wrong_only_in(proba_a, labels, proba_b).tolist() == [0]
    assert confidently_wrong_only_in(proba_b, labels, proba_a).tolist() == []


def test_confident_disagreements_go_both_ways_and_only_on_the_same_samples() -> None:
    labels = np.array([1, 0, 0])
    proba_a = np.array([[0.95, 0.05], [0.8, 0.2], [0.6, 0.4]])
    proba_b = np.array([[0.2, 0.8], [0.05, 0.95], [0.9, 0.1]])
    found = confident_disagreements(proba_a, labels, proba_b, labels)
    assert found is not None and [found[0].tolist(), found[1].tolist()] == [[0], [1]]
    assert confident_disagreements(proba_a, labels, proba_b, labels[::-1]) is None
    assert confident_disagreements(proba_a, labels, proba_b[:2], labels[:2]) is None


def test_paired_bootstrap_resamples_the_same_samples_for_both_runs() -> None:
    rng = np.random.default_rng(7)
    loss_a, loss_b = rng.exponential(size=40), rng.exponential(size=40)
    diff = loss_a - loss_b
    index = np.random.default_rng(3).integers(0, 40, size=(500, 40))
    expected = tuple(np.quantile(diff[index].mean(axis=1), [0.05, 0.95]))
    mean, interval = paired_loss_difference(loss_a, loss_b, seed=3, resamples=500,
                                            confidence=0.9)
    assert mean == pytest.approx(diff.mean(), abs=1e-12)
    assert interval == pytest.approx(expected, abs=1e-12)
    assert interval[0] < mean < interval[1]


def test_bounding_memory_does_not_change_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    loss_a, loss_b = rng.exponential(size=30), rng.exponential(size=30)
    whole = paired_loss_difference(loss_a, loss_b, seed=5, resamples=450)
    monkeypatch.setattr(evidence, "MAX_DRAWS", 100)  # 3 resamples per chunk
    assert paired_loss_difference(loss_a, loss_b, seed=5, resamples=450) == whole


def test_a_constant_difference_has_a_point_interval() -> None:
    loss = np.array([0.1, 2.0, 0.4])
    mean, interval = paired_loss_difference(loss + 0.5, loss)
    assert mean == pytest.approx(0.5)
    assert interval == pytest.approx((0.5, 0.5))


def test_compare_paired_by_hand() -> None:
    # a right on samples 1, 3; b predicts class 1 everywhere: right on 0, 2, 3
    proba_b = np.array([[0.3, 0.7], [0.3, 0.7], [0.4, 0.6], [0.1, 0.9]])
    got = compare_paired(PROBA, LABELS, proba_b, LABELS)
    assert got is not None
    assert got.n == 4
    assert got.accuracy_diff == pytest.approx(0.5 - 0.75)
    assert got.mcnemar_p == pytest.approx(1.0)  # 1 vs 2 discordant: 2 * P(X <= 1), Bin(3, 1/2)
    # (log 20 - log 10/7) + (log 1.25 - log 10/3) + (log 2.5 - log 5/3) + 0, over 4
    assert got.loss_diff == pytest.approx(math.log(14 * 0.375 * 1.5) / 4, abs=1e-12)
    assert got.loss_diff_ci[0] <= got.loss_diff <= got.loss_diff_ci[1]


def test_compare_paired_needs_the_same_samples_in_the_same_order() -> None:
    assert compare_paired(PROBA, LABELS, PROBA, np.array([1, 0, 1, 0])) is None
    assert compare_paired(PROBA, LABELS, PROBA[:3], LABELS[:3]) is None
    assert compare_paired(PROBA, LABELS, PROBA[::-1], LABELS[::-1]) is None


@st.composite
def paired_runs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two runs' probabilities (n x k, rows sum to 1) on the same n labels, n in 1..60."""
    n, k = draw(st.integers(1, 60)), draw(st.integers(2, 4))
    weights = hnp.arrays(np.float64, (n, k), elements=st.floats(0.001, 1.0))
    raw_a, raw_b = draw(weights), draw(weights)
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return raw_a / raw_a.sum(1, keepdims=True), raw_b / raw_b.sum(1, keepdims=True), labels


@settings(max_examples=50, deadline=None)
@given(runs=paired_runs(), seed=st.integers(0, 2**32 - 1))
def test_a_run_compared_with_itself_shows_no_difference(
    runs: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int
) -> None:
    proba, _, labels = runs
    assert compare_paired(proba, labels, proba.copy(), labels.copy(), seed=seed) == (
        PairedComparison(n=len(labels), accuracy_diff=0.0, mcnemar_p=1.0, loss_diff=0.0,
                         loss_diff_ci=(0.0, 0.0)))


@settings(max_examples=50, deadline=None)
@given(runs=paired_runs(), seed=st.integers(0, 2**32 - 1))
def test_swapping_the_runs_flips_every_difference_and_keeps_p(
    runs: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int
) -> None:
    proba_a, proba_b, labels = runs
    ab = compare_paired(proba_a, labels, proba_b, labels, seed=seed)
    ba = compare_paired(proba_b, labels, proba_a, labels, seed=seed)
    assert ab is not None and ba is not None
    assert ba.accuracy_diff == pytest.approx(-ab.accuracy_diff, abs=1e-12)
    assert ba.loss_diff == pytest.approx(-ab.loss_diff, abs=1e-12)
    low, high = ab.loss_diff_ci
    assert ba.loss_diff_ci == pytest.approx((-high, -low), abs=1e-12)
    assert ba.mcnemar_p == ab.mcnemar_p
