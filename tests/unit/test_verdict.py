"""Paired verdicts: which pairs are compared, and what a recommendation says about noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.tradeoff import Recommendation, runner_up
from analysis.verdict import all_versus, baseline_sentence, versus, with_noise


def predictions(right: int, n: int = 40, confident: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two classes, label 0 throughout: the first `right` samples right, the rest wrong with
    `confident` probability on the wrong class."""
    proba = np.tile([confident, 1 - confident], (n, 1))
    proba[right:] = [1 - confident, confident]
    return proba, np.zeros(n, dtype=np.int64)


LOGGED = {"strong": predictions(38), "weak": predictions(20), "close": predictions(37),
          "other-samples": (predictions(38)[0], np.r_[np.zeros(39), [1]].astype(np.int64))}
NAMES = pd.Series({"strong": "strong", "weak": "weak", "close": "close"})


def test_a_lead_far_beyond_noise_is_said_to_be_so() -> None:
    pick = Recommendation("strong", "strong has the highest accuracy (0.9500).")
    said = with_noise(pick, "accuracy", "weak", LOGGED, NAMES).reason
    assert said == ("strong has the highest accuracy (0.9500); the accuracy gap over weak is 18 "
                    "of 40 samples, p = 7.6e-06: unlikely to be noise.")
    assert with_noise(pick, "accuracy", "weak", LOGGED, NAMES).settled is True


def test_a_one_sample_lead_is_indistinguishable() -> None:
    pick = Recommendation("strong", "strong has the highest accuracy (0.9500).")
    said = with_noise(pick, "accuracy", "close", LOGGED, NAMES).reason
    assert said.endswith(", but the accuracy gap over close is 1 of 40 samples, p = 1: "
                         "indistinguishable on this validation set.")
    loss = with_noise(Recommendation("strong", "x."), "loss", "close", LOGGED, NAMES)
    assert "within the noise of this validation set" in loss.reason and loss.settled is False


def test_runs_without_shared_samples_are_not_compared_and_pairs_count_once() -> None:
    assert versus("strong", "other-samples", LOGGED) is None
    assert versus("strong", "missing", LOGGED) is None
    pick = Recommendation("strong", "x.")
    assert with_noise(pick, "accuracy", "other-samples", LOGGED, NAMES) is pick  # untested
    assert pick.settled is None
    found = all_versus([("strong", "weak"), ("weak", "strong"), ("strong", "strong"),
                        ("strong", "missing"), ("close", "weak")], LOGGED)
    assert [(v.a, v.b) for v in found] == [("strong", "weak"), ("close", "weak")]
    assert found[0].a_wrong_b_right == 0 and found[0].b_wrong_a_right == 18


def test_the_runner_up_is_the_next_pick() -> None:
    loss = pd.Series({"a": 0.1, "b": 0.2, "c": 0.3})
    accuracy = pd.Series({"a": 0.8, "b": 0.9, "c": 0.9})
    assert runner_up(loss, accuracy, "loss") == "b"
    assert runner_up(loss, accuracy, "accuracy") == "c"  # ties go to the lower loss: b, then c
    assert runner_up(loss[:1], accuracy[:1], "loss") is None


def test_an_accuracy_is_weighed_against_always_answering_the_majority_class() -> None:
    assert baseline_sentence(0.9241, 0.9037) == (
        "That is 0.0204 above always answering the majority class (0.9037), avoiding 21% of "
        "its mistakes.")
    assert baseline_sentence(0.90, 0.9037) == (
        "That is no better than always answering the majority class, which scores 0.9037.")
    assert "avoiding" not in baseline_sentence(1.0, 1.0)
