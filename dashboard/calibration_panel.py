"""The calibration panel for a few runs: a reliability diagram whose bins show their counts,
the probability each run gave the true class (right, wrong and confidently wrong apart), and
in words ECE, the confident mistakes and the validation loss after temperature scaling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis import calibration as cal
from analysis.calibration import Predictions
from analysis.evidence import (
    CONFIDENT,
    ConfidentMistakes,
    confident_disagreements,
    confident_mistakes,
)
from dashboard.figures import plain

MAX_RUNS = 4
FEW_SAMPLES = 10  # a reliability bin with fewer predictions is drawn hollow, off the line
SAMPLES_LISTED = 8  # sample numbers named per run in the two-run comparison


@dataclass(frozen=True, eq=False)  # eq=False: array fields
class RunCalibration:
    run_id: str
    name: str
    bins: pd.DataFrame  # calibration.reliability_bins
    ece: float
    loss: float  # validation NLL as predicted
    temperature: float
    calibrated_loss: float  # NLL after temperature scaling
    true_probability: np.ndarray  # per sample, the probability given to its label
    correct: np.ndarray  # per sample, whether the argmax is its label
    mistakes: ConfidentMistakes
    predictions: Predictions


def calibrate(predictions: Mapping[str, Predictions], names: pd.Series) -> list[RunCalibration]:
    found = []
    for run_id, (proba, labels) in list(predictions.items())[:MAX_RUNS]:
        temperature, after = cal.calibrated_loss(proba, labels)
        rows = np.arange(len(labels))
        found.append(RunCalibration(
            run_id, str(names.get(run_id, run_id)), cal.reliability_bins(proba, labels),
            cal.expected_calibration_error(proba, labels),
            cal.negative_log_likelihood(proba, labels), temperature, after,
            np.asarray(proba, dtype=np.float64)[rows, labels], proba.argmax(axis=1) == labels,
            confident_mistakes(proba, labels), (proba, labels)))
    return found


def summary_lines(runs: list[RunCalibration]) -> list[str]:
    """Per run its ECE, confident mistakes and calibrated loss; then what ECE and the loss
    disagree on, which run has the lowest loss once calibrated, and for two runs the samples
    one gets confidently wrong that the other gets right."""
    lines = [f"{r.name}: ECE {r.ece:.3f}; {r.mistakes.count} confident mistakes (at least "
             f"{CONFIDENT:.0%} on a wrong class){_share(r.mistakes)}; validation loss "
             f"{r.loss:.3f}, {r.calibrated_loss:.3f} after temperature scaling "
             f"(T = {r.temperature:.2f})" for r in runs]
    if len(runs) > 1:
        lines += _ece_against_loss(runs)
        before = min(runs, key=lambda r: r.loss)
        after = min(runs, key=lambda r: r.calibrated_loss)
        verdict = ("the same run" if after is before
                   else f"{after.name}, not {before.name} as before calibrating")
        lines.append(f"Once calibrated, the lowest loss among these runs is {verdict}.")
    return lines + (_only_wrong(*runs) if len(runs) == 2 else [])


def _share(mistakes: ConfidentMistakes) -> str:
    return f", carrying {mistakes.loss_share:.0%} of its loss" if mistakes.count else ""


def _ece_against_loss(runs: list[RunCalibration]) -> list[str]:
    """Why a run can look better calibrated by ECE yet have the higher loss."""
    by_ece, by_loss = min(runs, key=lambda r: r.ece), min(runs, key=lambda r: r.loss)
    if by_ece is by_loss or f"{by_ece.ece:.3f}" == f"{by_loss.ece:.3f}":  # a tie as printed
        return []
    return [f"ECE calls {by_ece.name} the better calibrated, yet {by_loss.name} has the lower "
            "loss: ECE weighs each bin by its share of predictions, so many sure and right "
            "predictions hide a few confident mistakes, which the loss counts in full."]


def _only_wrong(a: RunCalibration, b: RunCalibration) -> list[str]:
    """For two runs scored on the same samples: which one gets confidently wrong what the
    other gets right, by sample number (0-based, the order the labels were logged in)."""
    apart = confident_disagreements(*a.predictions, *b.predictions)
    if apart is None:
        return [f"{a.name} and {b.name} were scored on different validation samples, so they "
                "cannot be compared sample by sample."]
    return [f"{first.name} is confidently wrong on {_samples(only)} that {second.name} gets "
            "right." for first, second, only in ((a, b, apart[0]), (b, a, apart[1]))]


def _samples(indices: np.ndarray) -> str:
    if len(indices) == 0:
        return "no samples"
    listed = ", ".join(str(i) for i in indices[:SAMPLES_LISTED])
    more = ", ..." if len(indices) > SAMPLES_LISTED else ""
    return f"{len(indices)} sample{'s' if len(indices) > 1 else ''} (#{listed}{more})"


def calibration_figure(runs: list[RunCalibration], colours: Mapping[str, str]) -> go.Figure:
    """Reliability (left) and the probability given to the true class (right), each run in
    its colour (`colours`: the page's); no legend, the runs are named on the right panel."""
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.16, subplot_titles=(
        f"reliability (numbers: predictions per bin; hollow: under {FEW_SAMPLES})",
        "probability given to the true class"))
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", hoverinfo="skip",
                                line={"color": "#999999", "dash": "dot"}), row=1, col=1)
    for row, run in enumerate(runs):
        for trace in _reliability(run, colours[run.run_id]):
            figure.add_trace(trace, row=1, col=1)
        figure.add_trace(_true_class(run, row, colours[run.run_id]), row=1, col=2)
    figure.add_vrect(x0=0, x1=1 - CONFIDENT, row=1, col=2, fillcolor="#d62728", opacity=0.08,
                     line_width=0)
    figure.update_xaxes(title_text="confidence (top-class probability)", range=[0, 1.02],
                        row=1, col=1)
    figure.update_xaxes(title_text="• right   ○ wrong   × confidently wrong (shaded: under "
                        f"{1 - CONFIDENT:.1f})", range=[-0.03, 1.03], row=1, col=2)
    figure.update_yaxes(title_text="accuracy", range=[-0.02, 1.08], row=1, col=1)
    figure.update_yaxes(tickvals=list(range(len(runs))), autorange="reversed", row=1, col=2,
                        ticktext=[plain(r.name) for r in runs], range=[-0.5, len(runs) - 0.5])
    figure.update_layout(showlegend=False, height=200 + 60 * len(runs),
                         margin={"t": 40, "l": 50, "r": 10, "b": 40}, font={"size": 11})
    return figure


def _reliability(run: RunCalibration, colour: str) -> list[go.Scatter]:
    """The line through bins with enough predictions; every filled bin with its count."""
    filled = run.bins[run.bins[cal.COUNT] > 0]
    enough = filled[filled[cal.COUNT] >= FEW_SAMPLES]
    name = plain(run.name)
    hover = f"{name}<br>confidence %{{x:.2f}}, accuracy %{{y:.2f}}<br>%{{text}} predictions"
    return [
        go.Scatter(x=enough[cal.CONFIDENCE].to_numpy(), y=enough[cal.ACCURACY].to_numpy(),
                   mode="lines", line={"color": colour}, hoverinfo="skip"),
        go.Scatter(x=filled[cal.CONFIDENCE].to_numpy(), y=filled[cal.ACCURACY].to_numpy(),
                   mode="markers+text", text=filled[cal.COUNT].astype(str).to_numpy(),
                   textposition="top center", textfont={"size": 9, "color": colour},
                   hovertemplate=hover + "<extra></extra>", marker={
                       "color": colour, "size": 8, "line": {"color": colour, "width": 1.5},
                       "symbol": np.where(filled[cal.COUNT] >= FEW_SAMPLES, "circle",
                                          "circle-open")})]


def _true_class(run: RunCalibration, row: int, colour: str) -> go.Scatter:
    """One dot per validation sample on the run's row, jittered (fixed seed) so they part."""
    confident = np.zeros(len(run.correct), dtype=bool)
    confident[run.mistakes.indices] = True
    symbols = np.where(run.correct, "circle", np.where(confident, "x", "circle-open"))
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(run.correct))
    return go.Scatter(
        x=run.true_probability, y=row + jitter, mode="markers", customdata=np.arange(
            len(run.correct)), marker={"color": colour, "size": 6, "symbol": symbols,
                                       "opacity": 0.7},
        hovertemplate=f"{plain(run.name)}<br>sample #%{{customdata}}: %{{x:.3f}} on its "
                      "label<extra></extra>")
