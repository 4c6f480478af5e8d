"""Is a difference between two runs real? Intervals, paired tests and confident mistakes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.stats import binom, norm

EPSILON: Final = 1e-15  # p(true class) is clipped here before log: a hard 0 would give inf
CONFIDENT: Final = 0.9  # top-class probability at which a wrong prediction counts as confident
RESAMPLES: Final = 2000
MAX_DRAWS: Final = 2_000_000  # bootstrap indices held at once (16 MB), whatever n is
CHUNK: Final = 200  # resamples per chunk when n is small enough for MAX_DRAWS to allow it

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _checked(proba: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    """proba as a non-empty (n, k) float64 array and labels as (n,) ints in [0, k)."""
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(f"proba must be a non-empty (n, k) array, got shape {p.shape}")
    if y.shape != (p.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be {p.shape[0]} integers, got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= p.shape[1]:
        raise ValueError(f"labels must lie in [0, {p.shape[1]}), got {y.min()}..{y.max()}")
    return p, y.astype(np.int64)


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")


def per_sample_log_loss(proba: npt.ArrayLike, labels: npt.ArrayLike) -> FloatArray:
    """-log p(true class) per sample in float64, p clipped at 1e-15; the mean is the run's loss."""
    p, y = _checked(proba, labels)
    loss: FloatArray = -np.log(np.maximum(p[np.arange(len(y)), y], EPSILON))
    return loss


def loss_standard_error(per_sample: npt.ArrayLike) -> float:
    """Standard error of the mean loss: sample std (ddof=1) / sqrt(n); nan below two samples."""
    values = np.asarray(per_sample, dtype=np.float64).ravel()
    if values.size < 2:
        return math.nan
    return float(values.std(ddof=1) / math.sqrt(values.size))


def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for the proportion correct / n; (nan, nan) when n is 0."""
    _check_confidence(confidence)
    if not 0 <= correct <= n:
        raise ValueError(f"need 0 <= correct <= n, got correct={correct}, n={n}")
    if n == 0:
        return math.nan, math.nan
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    share = correct / n
    scale = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / scale
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / scale
    # at 0 or n correct the bound is exactly the proportion; rounding must not exclude it
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == n else min(1.0, centre + half)
    return low, high


def _correct_pair(
    a_correct: npt.ArrayLike, b_correct: npt.ArrayLike
) -> tuple[BoolArray, BoolArray]:
    """Both runs' per-sample correctness as 1-D bool arrays of one length, or ValueError."""
    a = np.asarray(a_correct, dtype=bool)
    b = np.asarray(b_correct, dtype=bool)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"need two 1-D arrays of one length, got {a.shape} and {b.shape}")
    return a, b


def mcnemar_exact_p(a_correct: npt.ArrayLike, b_correct: npt.ArrayLike) -> float:
    """McNemar's exact test: a two-sided binomial test on the pairs where exactly one is right.

    1.0 when no sample is right for one run and wrong for the other.
    """
    a, b = _correct_pair(a_correct, b_correct)
    only_a = int(np.count_nonzero(a & ~b))
    only_b = int(np.count_nonzero(~a & b))
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    return min(1.0, 2 * float(binom.cdf(min(only_a, only_b), discordant, 0.5)))


def _bootstrap_means(diff: FloatArray, rng: np.random.Generator, resamples: int) -> FloatArray:
    """Means of `resamples` resamples of `diff`, drawn in chunks so memory stays bounded."""
    n = diff.size
    rows = max(1, min(CHUNK, MAX_DRAWS // n))
    means = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, rows):
        size = min(rows, resamples - start)
        means[start:start + size] = diff[rng.integers(0, n, size=(size, n))].mean(axis=1)
    return means


def paired_loss_difference(
    loss_a: npt.ArrayLike,
    loss_b: npt.ArrayLike,
    seed: int = 0,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
) -> tuple[float, tuple[float, float]]:
    """Mean of loss_a - loss_b per sample, and a percentile interval for it.

    A paired bootstrap with a fixed seed: each resample draws the same samples for both runs,
    and the same seed, n and resamples always give the same interval.
    """
    _check_confidence(confidence)
    a = np.asarray(loss_a, dtype=np.float64)
    b = np.asarray(loss_b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"need two non-empty 1-D arrays of one length, got {a.shape}, {b.shape}")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    diff = a - b
    means = _bootstrap_means(diff, np.random.default_rng(seed), resamples)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(diff.mean()), (float(low), float(high))


@dataclass(frozen=True)
class PairedComparison:
    n: int
    accuracy_diff: float  # accuracy of a minus accuracy of b, as fractions
    mcnemar_p: float
    loss_diff: float  # mean log loss of a minus that of b
    loss_diff_ci: tuple[float, float]


def _correct(p: FloatArray, y: IntArray) -> BoolArray:
    right: BoolArray = p.argmax(axis=1) == y
    return right


def compare_paired(
    proba_a: npt.ArrayLike,
    labels_a: npt.ArrayLike,
    proba_b: npt.ArrayLike,
    labels_b: npt.ArrayLike,
    seed: int = 0,
) -> PairedComparison | None:
    """Run a against run b on the same validation samples, a minus b throughout.

    None when the two runs' labels are not the same samples in the same order.
    """
    p_a, y_a = _checked(proba_a, labels_a)
    p_b, y_b = _checked(proba_b, labels_b)
    if y_a.shape != y_b.shape or not np.array_equal(y_a, y_b):
        return None
    right_a, right_b = _correct(p_a, y_a), _correct(p_b, y_b)
    loss_diff, interval = paired_loss_difference(
        per_sample_log_loss(p_a, y_a), per_sample_log_loss(p_b, y_b), seed=seed
    )
    return PairedComparison(
        n=len(y_a),
        accuracy_diff=float(right_a.mean() - right_b.mean()),
        mcnemar_p=mcnemar_exact_p(right_a, right_b),
        loss_diff=loss_diff,
        loss_diff_ci=interval,
    )


@dataclass(frozen=True, eq=False)  # eq=False: an array field has no single truth value
class ConfidentMistakes:
    count: int
    loss_share: float  # share of the run's summed log loss these samples carry; nan if it is 0
    loss_if_hedged: float  # mean log loss had each of them given its true class 0.5
    indices: IntArray


def _confidently_wrong(p: FloatArray, y: IntArray, threshold: float) -> BoolArray:
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    wrong: BoolArray = (p.argmax(axis=1) != y) & (p.max(axis=1) >= threshold)
    return wrong


def confident_mistakes(
    proba: npt.ArrayLike, labels: npt.ArrayLike, threshold: float = CONFIDENT
) -> ConfidentMistakes:
    """Wrong predictions whose top-class probability is at least `threshold`, and their cost.

    Hedging means log loss log(2) for each of them: what a 50/50 guess would have cost.
    """
    p, y = _checked(proba, labels)
    mask = _confidently_wrong(p, y, threshold)
    loss = per_sample_log_loss(p, y)
    total = float(loss.sum())
    indices = np.flatnonzero(mask).astype(np.int64)
    indices.setflags(write=False)
    return ConfidentMistakes(
        count=int(mask.sum()),
        loss_share=float(loss[mask].sum()) / total if total > 0 else math.nan,
        loss_if_hedged=float(np.where(mask, math.log(2), loss).mean()),
        indices=indices,
    )


def confidently_wrong_only_in(
    proba_a: npt.ArrayLike,
    labels: npt.ArrayLike,
    proba_b: npt.ArrayLike,
    threshold: float = CONFIDENT,
) -> IntArray:
    """Indices of the samples run a gets confidently wrong and run b gets right."""
    p_a, y = _checked(proba_a, labels)
    p_b, _ = _checked(proba_b, labels)
    only_a = _confidently_wrong(p_a, y, threshold) & _correct(p_b, y)
    return np.flatnonzero(only_a).astype(np.int64)


def confident_disagreements(
    proba_a: npt.ArrayLike,
    labels_a: npt.ArrayLike,
    proba_b: npt.ArrayLike,
    labels_b: npt.ArrayLike,
) -> tuple[IntArray, IntArray] | None:
    """(samples a gets confidently wrong that b gets right, the reverse); None unless both
    runs were scored on the same samples in the same order."""
    y_a, y_b = np.asarray(labels_a), np.asarray(labels_b)
    if np.shape(proba_a) != np.shape(proba_b) or not np.array_equal(y_a, y_b):
        return None
    return (confidently_wrong_only_in(proba_a, y_a, proba_b),
            confidently_wrong_only_in(proba_b, y_a, proba_a))
