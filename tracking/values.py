"""What `EpochLogger` accepts, checked in the training thread before anything is queued: a
value the store would refuse later would otherwise fail every batch of the run."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

MAX_STEP = 2**63 - 1  # MLflow's step column is a signed 64-bit integer
_VALID_KEY = re.compile(r"[\w\-./ :]+")  # MLflow's rule, matched whole ("val_loss\n" is not)


def checked_number(name: str, value: Any) -> float:
    """`value` as a float (NaN and infinities allowed: readers show them as gaps)."""
    if isinstance(value, bool | str | bytes):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    except OverflowError:
        raise ValueError(f"{name}={_short(value)} is too large for a float metric") from None


def checked_step(epoch: Any) -> int:
    """`epoch` as a step MLflow can store: a whole number from 0 to 2**63 - 1 (a 64-bit
    column; a larger one would make every batch of the run fail)."""
    if isinstance(epoch, bool) or not isinstance(epoch, int | np.integer) \
            or not 0 <= epoch <= MAX_STEP:
        raise ValueError(f"epoch must be an integer from 0 to 2**63 - 1, got {_short(epoch)}")
    return int(epoch)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def checked_key(key: Any) -> str:
    if not isinstance(key, str) or not _VALID_KEY.fullmatch(key) or len(key) > 250:
        raise ValueError(
            f"invalid name {key!r}: use letters, digits, '_', '-', '.', ' ', ':' or '/'"
        )
    return key
