"""What the page shows for one experiment and objective: read, analyse, draw, or explain why not.

Callbacks call `experiment_view` and return its fields; every failure becomes a message."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

import plotly.graph_objects as go

from dashboard.analysis import frames as f
from dashboard.analysis.report import compare
from dashboard.analysis.series import smooth
from dashboard.analysis.tradeoff import OBJECTIVES
from dashboard.figures import curves_figure, tradeoff_figure
from tracking.reader import ReaderError, RunReader
from tracking.retry import single_attempt

MAX_NAME = 500
MAX_SMOOTHING = 0.95
# A page must answer within ~10 s even when the tracking server hangs: one retry, 4 s each.
REQUEST_TIMEOUT, RETRIES = 4.0, 1


def bounded_wait() -> AbstractContextManager[None]:
    return single_attempt(REQUEST_TIMEOUT, retries=RETRIES)


@dataclass(frozen=True)
class View:
    loss: go.Figure
    accuracy: go.Figure
    tradeoff: go.Figure
    recommendation: str
    message: str


def empty_view(message: str) -> View:
    return View(go.Figure(), go.Figure(), go.Figure(), "", message)


def experiment_view(reader: RunReader, experiment: object, objective: object,
                    smoothing: object = 0.0, log_loss: object = False) -> View:
    """The page for `experiment` (inputs straight from the browser: checked, never trusted)."""
    if experiment is None or experiment == "":
        return empty_view("Pick an experiment.")
    if not isinstance(experiment, str) or len(experiment) > MAX_NAME:
        return empty_view("That is not an experiment name.")
    if objective not in OBJECTIVES:
        return empty_view("The objective must be loss or accuracy.")
    if (isinstance(smoothing, bool) or not isinstance(smoothing, int | float)
            or not 0 <= smoothing <= MAX_SMOOTHING or not isinstance(log_loss, bool)):
        return empty_view("Smoothing must be a number from 0 to 0.95.")
    try:
        with bounded_wait():
            data = reader.read(experiment)
    except ReaderError as error:
        return empty_view(str(error))
    if data.runs.empty:
        return empty_view(f"Experiment {data.name!r} has no runs yet.")
    comparison = compare(data.runs, data.history)
    if not comparison.has_metrics:
        return empty_view(f"No run in {data.name!r} logged both a validation loss and an "
                          "accuracy the dashboard recognises.")
    table, curves = comparison.table, smooth(comparison.curves, float(smoothing))
    names = data.runs.set_index(f.RUN_ID)[f.RUN_NAME]
    baselines = table["baseline_accuracy"].dropna()
    baseline = float(baselines.median()) if len(baselines) else None
    pick = comparison.recommended[str(objective)]
    divergence = table.set_index("run_id")["divergence_epoch"]
    return View(curves_figure(curves, names, "loss", log_y=log_loss, divergence=divergence),
                curves_figure(curves, names, "accuracy", baseline),
                tradeoff_figure(table), pick.reason if pick else "No run qualifies.", "")
