"""Grouping on integer codes: sorted rows, numpy masks, no per-group Python and no string
comparisons (a 1000-run experiment's 400k points group in milliseconds)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes in sorted order of the distinct values (NA: -1), and those values:
    sorting and grouping on codes is many times faster than on strings."""
    found, distinct = pd.factorize(values, sort=True)
    return found, pd.Index(distinct)


def group_starts(*columns: np.ndarray) -> np.ndarray:
    """For rows sorted by `columns`: True where a row begins a new group (NaN equals NaN)."""
    starts = np.ones(len(columns[0]), dtype=bool)
    if len(starts) > 1:
        starts[1:] = False
        for column in columns:
            same = column[1:] == column[:-1]
            if column.dtype.kind == "f":
                same |= np.isnan(column[1:]) & np.isnan(column[:-1])
            starts[1:] |= ~same
    return starts


def position_in_group(starts: np.ndarray) -> np.ndarray:
    """Each row's place in its group, from `group_starts`."""
    first = np.flatnonzero(starts)
    position: np.ndarray = np.arange(len(starts)) - first[np.cumsum(starts) - 1]
    return position


def group_ends(starts: np.ndarray) -> np.ndarray:
    """True where a row is its group's last, from `group_starts`."""
    return np.append(starts[1:], True) if len(starts) else starts
