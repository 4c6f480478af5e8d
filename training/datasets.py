"""Datasets that ship inside scikit-learn, split once so every run is judged on the same data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

SPLIT_SEED = 0  # fixed: runs of a sweep must be compared on one validation set
VAL_FRACTION = 0.3


@dataclass(frozen=True)
class Split:
    name: str
    x_train: NDArray[np.float64]
    y_train: NDArray[np.int64]
    x_val: NDArray[np.float64]
    y_val: NDArray[np.int64]

    @property
    def classes(self) -> NDArray[np.int64]:
        return np.unique(np.concatenate([self.y_train, self.y_val]))


def _digits_is_eight() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Digits as "is it an 8?": about 10% positives, so always saying "no" is 90% accurate."""
    x, y = load_digits(return_X_y=True)
    return x, (y == 8).astype(np.int64)


def _loader(
    load: Callable[..., tuple[NDArray[np.float64], NDArray[np.int64]]],
) -> Callable[[], tuple[NDArray[np.float64], NDArray[np.int64]]]:
    return lambda: load(return_X_y=True)


DATASETS: dict[str, Callable[[], tuple[NDArray[np.float64], NDArray[np.int64]]]] = {
    "breast_cancer": _loader(load_breast_cancer),
    "digits": _loader(load_digits),
    "wine": _loader(load_wine),
    "digits_is_8": _digits_is_eight,
}


def load_split(name: str) -> Split:
    """Stratified train/validation split of dataset `name`, features standardised on train."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(sorted(DATASETS))}")
    x, y = DATASETS[name]()
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=VAL_FRACTION, random_state=SPLIT_SEED, stratify=y
    )
    scaler = StandardScaler().fit(x_train)
    return Split(
        name=name,
        x_train=scaler.transform(x_train),
        y_train=np.asarray(y_train, dtype=np.int64),
        x_val=scaler.transform(x_val),
        y_val=np.asarray(y_val, dtype=np.int64),
    )
