"""The calibration panel: reliability diagram and confidence histogram for a few runs, with
ECE and the validation loss after temperature scaling (would the high-loss run still lose?)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis import calibration as cal
from analysis.calibration import Predictions
from dashboard.figures import plain, run_colours

MAX_RUNS = 4


@dataclass(frozen=True)
class RunCalibration:
    run_id: str
    name: str
    bins: pd.DataFrame  # calibration.reliability_bins
    ece: float
    loss: float  # validation NLL as predicted
    temperature: float
    calibrated_loss: float  # NLL after temperature scaling


def calibrate(predictions: Mapping[str, Predictions], names: pd.Series) -> list[RunCalibration]:
    found = []
    for run_id, (proba, labels) in list(predictions.items())[:MAX_RUNS]:
        temperature, after = cal.calibrated_loss(proba, labels)
        found.append(RunCalibration(
            run_id, str(names.get(run_id, run_id)), cal.reliability_bins(proba, labels),
            cal.expected_calibration_error(proba, labels),
            cal.negative_log_likelihood(proba, labels), temperature, after))
    return found


def summary_lines(runs: list[RunCalibration]) -> list[str]:
    """One plain sentence per run, then which run has the lowest loss once calibrated."""
    lines = [f"{r.name}: ECE {r.ece:.3f}; validation loss {r.loss:.3f}, {r.calibrated_loss:.3f} "
             f"after temperature scaling (T = {r.temperature:.2f})" for r in runs]
    if len(runs) > 1:
        before = min(runs, key=lambda r: r.loss)
        after = min(runs, key=lambda r: r.calibrated_loss)
        verdict = ("the same run" if after is before
                   else f"{after.name}, not {before.name} as before calibrating")
        lines.append(f"Once calibrated, the lowest loss among these runs is {verdict}.")
    return lines


def calibration_figure(runs: list[RunCalibration],
                       colours: Mapping[str, str] | None = None) -> go.Figure:
    """Reliability and confidence per run, each in its colour (`colours`: the page's)."""
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "reliability (above the diagonal: under-confident)", "confidence of the predictions"))
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                                line={"color": "#999999", "dash": "dot"}), row=1, col=1)
    colour = {**run_colours(r.run_id for r in runs), **(colours or {})}
    for run in runs:
        filled = run.bins[run.bins[cal.COUNT] > 0]
        name = plain(run.name)
        figure.add_trace(go.Scatter(
            x=filled[cal.CONFIDENCE].to_numpy(), y=filled[cal.ACCURACY].to_numpy(),
            mode="lines+markers", name=f"{name} (ECE {run.ece:.3f})", legendgroup=run.run_id,
            line={"color": colour[run.run_id]}), row=1, col=1)
        centres = ((run.bins[cal.LOWER] + run.bins[cal.UPPER]) / 2).to_numpy()
        counts = run.bins[cal.COUNT].to_numpy(dtype=np.float64)
        figure.add_trace(go.Bar(
            x=centres, y=counts / max(counts.sum(), 1.0), name=name, legendgroup=run.run_id,
            showlegend=False, marker={"color": colour[run.run_id]}, opacity=0.6),
            row=1, col=2)
    figure.update_xaxes(title_text="confidence (top-class probability)", range=[0, 1])
    figure.update_yaxes(title_text="accuracy", range=[0, 1], row=1, col=1)
    figure.update_yaxes(title_text="share of predictions", row=1, col=2)
    figure.update_layout(barmode="overlay", height=380, margin={"t": 40, "l": 50, "r": 10,
                                                                "b": 40})
    return figure
