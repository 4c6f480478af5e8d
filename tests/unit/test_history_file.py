"""The history file's format and the check that decides whether the REST reader trusts it."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from tracking.history_file import History, agrees_with, decode, encode

POINTS = [("val_loss", 1, 0.9, 100), ("val_loss", 2, math.nan, 200), ("val/acc 1:x", 1, 0.5, 100),
          ("val_loss", 3, 1.7976931348623157e308, 300), ("val/acc 1:x", 2, -math.inf, 190)]
LATEST = {"val_loss": (3, 300, 1.7976931348623157e308), "val/acc 1:x": (2, 190, -math.inf)}


def as_points(history: History) -> list[tuple[str, int, float, int]]:
    return [(str(history.keys[i]), int(s), float(v), int(t)) for i, s, v, t in zip(
        history.key_index, history.step, history.value, history.timestamp, strict=True)]


def npz(**arrays: object) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_points_come_back_exactly_with_nan_infinities_and_odd_key_names() -> None:
    back = as_points(decode(encode(POINTS)))
    assert len(back) == len(POINTS)
    for got, sent in zip(back, POINTS, strict=True):
        assert got[:2] == sent[:2] and got[3] == sent[3]
        assert got[2] == sent[2] or (math.isnan(got[2]) and math.isnan(sent[2]))


def test_a_file_with_no_points_is_valid_and_empty() -> None:
    assert as_points(decode(encode([]))) == []


GOOD = dict(keys=np.array(["a"]), key_index=np.array([0], np.int32), step=np.array([1]),
            value=np.array([0.5]), timestamp=np.array([9]))


@pytest.mark.parametrize("data", [
    b"not a zip file",
    npz(**(GOOD | {"keys": np.array([{"pickled": 1}], dtype=object)})),  # never unpickled
    npz(**{k: v for k, v in GOOD.items() if k != "timestamp"}),
    npz(**(GOOD | {"step": np.array([1, 2])})),
    npz(**(GOOD | {"key_index": np.array([1], np.int32)})),
    npz(**(GOOD | {"value": np.array(["0.5"])})),
], ids=["garbage", "object-array", "missing-column", "uneven-columns", "index-out-of-range",
        "text-values"])
def test_anything_else_is_refused_with_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a history file"):
        decode(data)


def test_a_file_holding_each_keys_latest_point_agrees() -> None:
    assert agrees_with(decode(encode(POINTS)), LATEST)


def test_a_nan_latest_value_agrees_with_a_nan_point() -> None:
    history = decode(encode([("val_loss", 1, 0.2, 10), ("val_loss", 2, math.nan, 20)]))
    assert agrees_with(history, {"val_loss": (2, 20, math.nan)})
    assert not agrees_with(history, {"val_loss": (2, 20, 0.0)})


@pytest.mark.parametrize("latest", [
    LATEST | {"val_loss": (4, 400, 0.1)},  # a point logged after the file was written
    LATEST | {"val_loss": (3, 300, 0.25)},  # same step and time, another value
    {"val_loss": LATEST["val_loss"]},  # the file has a key the run does not
    LATEST | {"lr": (1, 100, 0.1)},  # the run has a key the file does not
    LATEST | {"val_loss": (2, 200, math.nan)},  # the file holds a later point than "latest"
], ids=["later-point", "other-value", "extra-key-in-file", "key-missing-from-file",
        "file-newer-than-run"])
def test_a_file_that_disagrees_with_the_run_is_not_trusted(
        latest: dict[str, tuple[int, int, float]]) -> None:
    assert not agrees_with(decode(encode(POINTS)), latest)
