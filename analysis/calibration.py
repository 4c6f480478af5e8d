"""Calibration of class probabilities: ECE, reliability bins and temperature scaling."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

LOWER: Final = "lower"
UPPER: Final = "upper"
COUNT: Final = "count"
CONFIDENCE: Final = "confidence"
ACCURACY: Final = "accuracy"
RELIABILITY_COLUMNS: Final = [LOWER, UPPER, COUNT, CONFIDENCE, ACCURACY]

EPSILON: Final = 1e-12  # probabilities are clipped here before log: a hard 0 would give inf NLL
T_MIN: Final = 0.05
T_MAX: Final = 20.0

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Predictions = tuple[npt.NDArray[np.float32], IntArray]  # (proba n x k, labels n), as logged


def _checked(proba: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    """proba as an (n, k) float array and labels as (n,) ints in [0, k), or ValueError."""
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2:
        raise ValueError(f"proba must be 2-D (n samples, k classes), got shape {p.shape}")
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {y.shape}")
    if p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(f"proba is empty: shape {p.shape}")
    if y.shape[0] != p.shape[0]:
        raise ValueError(f"{p.shape[0]} rows of proba but {y.shape[0]} labels")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {y.dtype}")
    if y.min() < 0 or y.max() >= p.shape[1]:
        raise ValueError(f"labels must lie in [0, {p.shape[1]}), got {y.min()}..{y.max()}")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError("proba must be finite and non-negative")
    return p, y.astype(np.int64)


def _check_bins(bins: int) -> None:
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")


def reliability_bins(
    proba: npt.ArrayLike, labels: npt.ArrayLike, bins: int = 15
) -> pd.DataFrame:
    """Top-label confidence vs accuracy in equal-width bins over [0, 1], empty bins included.

    Bin i covers (i/B, (i+1)/B]; confidence 0 goes into the first bin. Empty bins have NaN means.
    """
    p, y = _checked(proba, labels)
    _check_bins(bins)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.arange(bins + 1) / bins  # i / B exactly as the bin definition spells it
    index = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    count = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins: 0 / 0 -> NaN, on purpose
        mean_confidence = np.bincount(index, weights=confidence, minlength=bins) / count
        mean_accuracy = np.bincount(index, weights=correct, minlength=bins) / count
    return pd.DataFrame({LOWER: edges[:-1], UPPER: edges[1:], COUNT: count.astype(np.int64),
                         CONFIDENCE: mean_confidence, ACCURACY: mean_accuracy})


def expected_calibration_error(
    proba: npt.ArrayLike, labels: npt.ArrayLike, bins: int = 15
) -> float:
    """Top-label ECE: mean |accuracy - confidence| over the bins, weighted by bin counts."""
    table = reliability_bins(proba, labels, bins)
    filled = table[table[COUNT] > 0]
    gaps = (filled[ACCURACY] - filled[CONFIDENCE]).abs()
    return float((gaps * filled[COUNT]).sum() / filled[COUNT].sum())


def _nll_at(log_p: FloatArray, y: IntArray, temperature: float) -> float:
    """Mean NLL of softmax(log_p / T): logsumexp keeps it finite for small T."""
    scaled = log_p / temperature
    picked = scaled[np.arange(len(y)), y]
    return float(np.mean(logsumexp(scaled, axis=1) - picked))


def negative_log_likelihood(proba: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Mean -log p(true class), p clipped at 1e-12 so a confident miss costs ~27.6, not inf."""
    p, y = _checked(proba, labels)
    return float(-np.mean(np.log(np.maximum(p[np.arange(len(y)), y], EPSILON))))


def fit_temperature(proba: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """T in [0.05, 20] minimising the NLL of softmax(log(p) / T); T > 1 softens overconfidence.

    Searched over log T, where the NLL is better behaved and the bounds are symmetric-ish.
    """
    p, y = _checked(proba, labels)
    log_p = np.log(np.maximum(p, EPSILON))
    result = minimize_scalar(
        lambda log_t: _nll_at(log_p, y, math.exp(log_t)),
        bounds=(math.log(T_MIN), math.log(T_MAX)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return math.exp(float(result.x))


def calibrated_loss(proba: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[float, float]:
    """(T, NLL after temperature scaling with T) for the given predictions."""
    p, y = _checked(proba, labels)
    temperature = fit_temperature(p, y)
    return temperature, _nll_at(np.log(np.maximum(p, EPSILON)), y, temperature)
