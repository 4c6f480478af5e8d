"""The calibration panel for a few runs: a reliability diagram whose bins show their counts,
the probability each run gave the true class (right, wrong and confidently wrong apart), and
in words ECE, the confident mistakes and the validation loss after temperature scaling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import calibration as cal
from analysis.calibration import Predictions
from analysis.evidence import (
    CONFIDENT,
    ConfidentMistakes,
    confident_disagreements,
    confident_mistakes,
)
from dashboard.figures import plain
from dashboard.plot_json import Figure, Trace, figure, merged, side_by_side

MAX_RUNS = 4
FEW_SAMPLES = 10  # a reliability bin with fewer predictions is drawn hollow, off the line
SAMPLES_LISTED = 8  # sample numbers named per run in the two-run comparison
MARGIN = {"t": 40, "l": 56, "r": 16, "b": 84}  # fits its labels and the legend: drawn once
# each run's reliability line its own dash: two seeds of one group share a colour
DASHES = ("solid", "dash", "dot", "dashdot")
TITLES = (f"reliability (numbers: predictions per bin; hollow: under {FEW_SAMPLES})",
          "probability given to the true class")


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
        verdict = (f"still {before.name}" if after is before
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


def calibration_figure(runs: list[RunCalibration], colours: Mapping[str, str]) -> Figure:
    """Reliability (left) and the probability given to the true class (right), each run in
    its colour (`colours`: the page's) and its reliability line in its own dash, named in the
    legend under the charts; the runs are named on the right panel's rows too."""
    data: list[Trace] = [{"type": "scatter", "x": [0, 1], "y": [0, 1], "mode": "lines",
                          "hoverinfo": "skip", "showlegend": False,
                          "line": {"color": "#999999", "dash": "dot"}}]
    for row, run in enumerate(runs):
        data += _reliability(run, row, colours[run.run_id])
        data.append(_true_class(run, row, colours[run.run_id]))
    layout = merged(side_by_side(TITLES, 0.16), {
        "xaxis": {"title": {"text": "confidence (top-class probability)"}, "range": [0, 1.04]},
        "xaxis2": {"title": {"text": "• right   ○ wrong   × confidently wrong (shaded: under "
                                     f"{1 - CONFIDENT:.1f})"}, "range": [-0.03, 1.03]},
        "yaxis": {"title": {"text": "accuracy"}, "range": [-0.08, 1.12]},
        "yaxis2": {"tickvals": list(range(len(runs))), "autorange": "reversed",
                   "ticktext": [plain(r.name) for r in runs], "range": [-0.5, len(runs) - 0.5]}})
    confident_band = {"type": "rect", "x0": 0, "x1": 1 - CONFIDENT, "xref": "x2", "y0": 0,
                      "y1": 1, "yref": "y2 domain", "fillcolor": "#d62728", "opacity": 0.08,
                      "line": {"width": 0}}
    legend = {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yref": "container",
              "yanchor": "bottom"}  # in the bottom margin, under both axis titles
    return figure(data, **layout, shapes=[confident_band], legend=legend,
                  height=230 + 60 * len(runs), margin=MARGIN, font={"size": 11})


def _reliability(run: RunCalibration, row: int, colour: str) -> list[Trace]:
    """The line through bins with enough predictions, in the run's dash and named in the
    legend; every filled bin with its count, above the point for every other run and below
    for the rest, so that two runs' counts at one confidence do not overwrite each other."""
    filled = run.bins[run.bins[cal.COUNT] > 0]
    enough = filled[filled[cal.COUNT] >= FEW_SAMPLES]
    name = plain(run.name)
    hover = f"{name}<br>confidence %{{x:.2f}}, accuracy %{{y:.2f}}<br>%{{text}} predictions"
    return [
        {"type": "scatter", "x": enough[cal.CONFIDENCE].to_numpy(),
         "y": enough[cal.ACCURACY].to_numpy(), "mode": "lines", "name": name,
         "legendgroup": run.run_id, "hoverinfo": "skip",
         "line": {"color": colour, "dash": DASHES[row % len(DASHES)]}},
        {"type": "scatter", "x": filled[cal.CONFIDENCE].to_numpy(),
         "y": filled[cal.ACCURACY].to_numpy(), "mode": "markers+text", "showlegend": False,
         "legendgroup": run.run_id, "text": filled[cal.COUNT].astype(str).to_numpy(),
         "textposition": "top center" if row % 2 == 0 else "bottom center",
         "cliponaxis": False,  # a count above a bin at accuracy 1 stays whole
         "textfont": {"size": 9, "color": colour}, "hovertemplate": hover + "<extra></extra>",
         "marker": {"color": colour, "size": 8, "line": {"color": colour, "width": 1.5},
                    "symbol": np.where(filled[cal.COUNT] >= FEW_SAMPLES, "circle",
                                       "circle-open")}}]


def _true_class(run: RunCalibration, row: int, colour: str) -> Trace:
    """One dot per validation sample on the run's row, jittered (fixed seed) so they part."""
    confident = np.zeros(len(run.correct), dtype=bool)
    confident[run.mistakes.indices] = True
    symbols = np.where(run.correct, "circle", np.where(confident, "x", "circle-open"))
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(run.correct))
    return {"type": "scatter", "x": run.true_probability, "y": row + jitter, "mode": "markers",
            "customdata": np.arange(len(run.correct)), "xaxis": "x2", "yaxis": "y2",
            "showlegend": False, "legendgroup": run.run_id,
            "marker": {"color": colour, "size": 6, "symbol": symbols, "opacity": 0.7},
            "hovertemplate": f"{plain(run.name)}<br>sample #%{{customdata}}: %{{x:.3f}} on its "
                             "label<extra></extra>"}
