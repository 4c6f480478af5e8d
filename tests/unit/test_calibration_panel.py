"""The calibration panel: ECE and the loss after temperature scaling, as figures and text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.calibration_panel import calibrate, calibration_figure, summary_lines


def predictions(confidence: float, accuracy: float, n: int = 400) -> tuple[np.ndarray, ...]:
    """Binary predictions: always `confidence` on class 0, right `accuracy` of the time."""
    labels = (np.arange(n) >= accuracy * n).astype(np.int64)
    proba = np.tile([confidence, 1 - confidence], (n, 1)).astype(np.float32)
    return proba, labels


def test_overconfident_run_loses_on_loss_until_calibrated() -> None:
    found = {"over": predictions(0.999, 0.9), "hedge": predictions(0.6, 0.85)}
    runs = calibrate(found, pd.Series({"over": "<b>over</b>", "hedge": "hedge"}))
    over, hedge = runs
    assert over.ece > 0.09 and hedge.ece > 0.2
    assert over.loss > hedge.loss and over.calibrated_loss < hedge.calibrated_loss
    assert over.temperature > 1  # softened
    lines = summary_lines(runs)
    assert lines[-1] == ("Once calibrated, the lowest loss among these runs is <b>over</b>, "
                         "not hedge as before calibrating.")
    figure = calibration_figure(runs)
    names = [t.name for t in figure.data if t.showlegend is not False]
    assert names[0] == "perfect calibration"
    assert names[1].startswith("&lt;b&gt;over&lt;/b&gt; (ECE")  # escaped for plotly
    assert [t.type for t in figure.data].count("bar") == 2
