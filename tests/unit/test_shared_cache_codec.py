"""What the shared cache stores: exact round trips, and names that never carry a password."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import frames as f
from tracking.shared_cache import (
    decode_history,
    decode_predictions,
    encode_history,
    encode_predictions,
    namespace,
    without_password,
)


def history(values: list[float], run_id: str = "r1") -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        f.RUN_ID: [run_id] * n, f.KEY: ["val_loss", "lr"] * (n // 2) + ["val_loss"] * (n % 2),
        f.SPLIT: ["val", None] * (n // 2) + ["val"] * (n % 2),
        f.METRIC: ["loss", None] * (n // 2) + ["loss"] * (n % 2),
        f.STEP: range(n), f.EPOCH: [float(s) if s % 3 else math.nan for s in range(n)],
        f.VALUE: values, f.TIMESTAMP: [1_700_000_000_000 + s for s in range(n)],
    }).astype(f.HISTORY_DTYPES)


def round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    return decode_history(encode_history(frame))


def test_nan_and_infinities_and_missing_strings_come_back_exactly() -> None:
    frame = history([math.nan, math.inf, -math.inf, 0.25, -0.0, 1.797e308])
    back = round_trip(frame)
    pd.testing.assert_frame_equal(back, frame)
    assert np.signbit(back[f.VALUE].iloc[4]) and back[f.SPLIT].isna().sum() == 3


def test_an_empty_history_keeps_its_columns_and_dtypes() -> None:
    pd.testing.assert_frame_equal(round_trip(f.empty_history()), f.empty_history())
    assert round_trip(history([0.5]).iloc[0:0]).dtypes.to_dict() == f.HISTORY_DTYPES


def test_a_slice_comes_back_with_a_fresh_index() -> None:
    frame = history([0.1, 0.2, 0.3, 0.4])
    pd.testing.assert_frame_equal(round_trip(frame.iloc[2:]), frame.iloc[2:].reset_index(drop=True))


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40))
def test_any_float_values_round_trip(values: list[float]) -> None:
    pd.testing.assert_frame_equal(round_trip(history(values)), history(values))


def test_predictions_round_trip_with_their_dtypes() -> None:
    proba = np.array([[0.2, 0.8], [np.nan, np.inf]], dtype=np.float32)
    labels = np.array([1, 0], dtype=np.int64)
    back_proba, back_labels = decode_predictions(encode_predictions((proba, labels)))
    assert back_proba.dtype == np.float32 and back_labels.dtype == np.int64
    np.testing.assert_array_equal(back_proba, proba)
    np.testing.assert_array_equal(back_labels, labels)


@pytest.mark.parametrize("garbage", [b"", b"not a value", encode_history(history([0.5]))[:40]])
def test_damaged_values_raise_rather_than_decode(garbage: bytes) -> None:
    with pytest.raises(Exception):  # noqa: B017 (the cache treats any error as a miss)
        decode_history(garbage)
    with pytest.raises(Exception):  # noqa: B017
        decode_predictions(garbage)


def test_predictions_of_mismatched_lengths_are_refused() -> None:
    value = encode_predictions((np.zeros((3, 2), np.float32), np.zeros(2, np.int64)))
    with pytest.raises(ValueError, match="not a"):
        decode_predictions(value)


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
    ("redis://user:p@ss:w@cache/1", "redis://user:***@cache/1"),
    ("postgresql://reader:pw@db:5432/mlflow", "postgresql://reader:***@db:5432/mlflow"),
    ("redis://cache:6379/0", "redis://cache:6379/0"),
    ("redis://user@cache/0", "redis://user@cache/0"),
    ("sqlite:////tmp/mlflow.db", "sqlite:////tmp/mlflow.db"),
])
def test_passwords_are_hidden(url: str, shown: str) -> None:
    assert without_password(url) == shown


def test_namespace_names_the_store_and_keys_not_the_password() -> None:
    store = "postgresql://reader:one@db/mlflow"
    assert namespace(store) == namespace("postgresql://reader:two@db/mlflow")
    assert namespace(store) != namespace("postgresql://reader:one@db/other")
    assert namespace(store, ("lr", "f1")) == namespace(store, ("f1", "lr"))
    assert namespace(store, ("lr",)) != namespace(store)
    assert len(namespace(store)) == 16 and "one" not in namespace(store)


def test_importing_the_dashboard_does_not_import_redis() -> None:
    code = ("import sys, dashboard.wsgi, tracking.cache, tracking.shared_cache; "
            "assert 'redis' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
