"""The calibration panel: counts per reliability bin, the true class's probability with the
confident mistakes apart, and the words that explain ECE against the loss."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.calibration import reliability_bins
from dashboard import calibration_panel
from dashboard.calibration_panel import FEW_SAMPLES, calibrate, summary_lines
from tests.helpers.figures import validated

COLOURS = {"over": "#1f77b4", "hedge": "#ff7f0e"}
calibration_figure = validated(calibration_panel.calibration_figure)


def predictions(confidence: float, accuracy: float, n: int = 400) -> tuple[np.ndarray, ...]:
    """Binary predictions: always `confidence` on class 0, right `accuracy` of the time."""
    labels = (np.arange(n) >= accuracy * n).astype(np.int64)
    proba = np.tile([confidence, 1 - confidence], (n, 1)).astype(np.float32)
    return proba, labels


def test_overconfident_run_loses_on_loss_until_calibrated_and_ece_is_explained() -> None:
    found = {"over": predictions(0.999, 0.9), "hedge": predictions(0.6, 0.85)}
    runs = calibrate(found, pd.Series({"over": "<b>over</b>", "hedge": "hedge"}))
    over, hedge = runs
    assert over.ece > 0.09 and hedge.ece > 0.2
    assert over.loss > hedge.loss and over.calibrated_loss < hedge.calibrated_loss
    assert over.temperature > 1  # softened
    lines = summary_lines(runs)
    assert lines[0].startswith("<b>over</b>: ECE 0.099; 40 confident mistakes (at least 90% on "
                               "a wrong class), carrying 100% of its loss; validation loss")
    assert "hedge: ECE 0.250; 0 confident mistakes (at least 90% on a wrong class); " in lines[1]
    assert lines[2].startswith("ECE calls <b>over</b> the better calibrated, yet hedge has the "
                               "lower loss: ECE weighs each bin by its share of predictions")
    assert lines[3] == ("Once calibrated, the lowest loss among these runs is <b>over</b>, "
                        "not hedge as before calibrating.")
    assert lines[4].endswith("so they cannot be compared sample by sample.")  # other labels


def test_the_samples_one_run_gets_confidently_wrong_and_the_other_right_are_named() -> None:
    labels = np.zeros(12, dtype=np.int64)
    sure = np.tile([0.95, 0.05], (12, 1))
    sure[[2, 5]] = [0.02, 0.98]  # confidently wrong on samples 2 and 5
    unsure = np.tile([0.6, 0.4], (12, 1))
    runs = calibrate({"over": (sure, labels), "hedge": (unsure, labels)},
                     pd.Series({"over": "over", "hedge": "hedge"}))
    lines = summary_lines(runs)
    assert "over is confidently wrong on 2 samples (#2, 5) that hedge gets right." in lines
    other = calibrate({"over": (sure, labels), "hedge": (unsure[:6], labels[:6])},
                      pd.Series(dtype=object))
    assert summary_lines(other)[-1] == ("over and hedge were scored on different validation "
                                        "samples, so they cannot be compared sample by sample.")


def test_reliability_bins_carry_their_counts_and_few_sample_bins_are_hollow_and_unlined() -> None:
    rng = np.random.default_rng(1)
    confidence = np.r_[np.full(200, 0.95), np.full(3, 0.55)]  # a full bin and a 3-sample one
    labels = (rng.random(len(confidence)) > confidence).astype(np.int64)
    proba = np.stack([confidence, 1 - confidence], axis=1)
    run, = calibrate({"over": (proba, labels)}, pd.Series(dtype=object))
    figure = calibration_figure([run], COLOURS)
    line, points = figure.data[1], figure.data[2]
    bins = reliability_bins(proba, labels)
    filled = bins[bins["count"] > 0]
    assert list(points.text) == [str(c) for c in filled["count"]] == ["3", "200"]
    assert list(points.marker.symbol) == ["circle-open", "circle"]
    assert list(line.x) == [filled["confidence"].iloc[1]]  # the line skips the 3-sample bin
    assert FEW_SAMPLES > 3


def test_each_sample_gives_the_true_class_a_probability_marked_right_wrong_or_confident() -> None:
    labels = np.array([0, 0, 0, 1])
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.05, 0.95], [0.3, 0.7]])
    run, = calibrate({"over": (proba, labels)}, pd.Series({"over": "over"}))
    strip = calibration_figure([run], COLOURS).data[-1]
    assert np.allclose(strip.x, [0.9, 0.4, 0.05, 0.7])
    assert list(strip.marker.symbol) == ["circle", "circle-open", "x", "circle"]
    assert strip.marker.color == COLOURS["over"]
    assert np.all(np.abs(np.asarray(strip.y)) <= 0.3)  # jittered around the run's row
    assert strip.legendgroup == "over" and strip.showlegend is False


def test_each_runs_reliability_line_is_named_in_its_colour_and_own_dash() -> None:
    """Two seeds of one configuration share the page's colour: the dash tells them apart."""
    runs = calibrate({"a": predictions(0.9, 0.9), "b": predictions(0.7, 0.8)},
                     pd.Series({"a": "seed0", "b": "seed1"}))
    figure = calibration_figure(runs, {"a": "#1f77b4", "b": "#1f77b4"})
    named = [t for t in figure.data if t.showlegend is not False]
    assert [(t.name, t.line.color, t.line.dash) for t in named] == [
        ("seed0", "#1f77b4", "solid"), ("seed1", "#1f77b4", "dash")]
    counts = [t for t in figure.data if t.mode == "markers+text"]
    assert [t.textposition for t in counts] == ["top center", "bottom center"]
    assert all(t.cliponaxis is False for t in counts)


def test_calibrating_that_keeps_the_lowest_loss_names_the_run() -> None:
    runs = calibrate({"a": predictions(0.9, 0.9), "b": predictions(0.6, 0.5)},
                     pd.Series({"a": "steady", "b": "other"}))
    assert "Once calibrated, the lowest loss among these runs is still steady." in (
        summary_lines(runs))
