"""What the page shows for one state: read, analyse, draw, or explain why not.

Callbacks call `experiment_view` and return its fields; every failure becomes a message."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import pandas as pd

from analysis import frames as f
from analysis.calibration import Predictions
from analysis.pair_evidence import Side, needed_runs, pair
from analysis.report import Comparison
from analysis.series import smooth, thin
from dashboard.calibration_panel import MAX_RUNS, calibrate, calibration_figure, summary_lines
from dashboard.comparisons import ComparisonCache
from dashboard.figures import curves_figure
from dashboard.page_notes import (
    FOUND,
    found_keys,
    joined,
    shared_baseline,
    size_note,
    stalled_runs,
)
from dashboard.plot_json import Figure, figure, note, with_layout
from dashboard.state import MAX_SMOOTHING, ViewState
from dashboard.table import column_defs, distinguishing_params, table_rows
from dashboard.tradeoff_figure import tradeoff_figure
from dashboard.units import Units, by_group, by_run, group_rows
from dashboard.verdict_block import Verdict, verdict
from dashboard.zoom import axis_ranges
from tracking.predictions import with_predictions
from tracking.reader import (
    ExperimentData,
    ReaderError,
    RunReader,
    StoreUnreachable,
    read_together,
)
from tracking.retry import single_attempt

MAX_POINTS_PER_LINE = 2000  # longer histories are thinned before they reach the browser
# A page must answer within ~10 s even when the tracking server hangs: one retry, 4 s each.
REQUEST_TIMEOUT, RETRIES = 4.0, 1


def bounded_wait() -> AbstractContextManager[None]:
    return single_attempt(REQUEST_TIMEOUT, retries=RETRIES)


def message_figure(text: str) -> Figure:
    """An empty panel that says why it is empty, instead of blank axes."""
    return figure(annotations=[note(text, x=0.5, y=0.5, xref="paper", yref="paper",
                                    font={"size": 14, "color": "#666666"})],
                  xaxis={"visible": False}, yaxis={"visible": False}, height=300)


@dataclass(frozen=True)
class View:
    loss: Figure
    accuracy: Figure
    tradeoff: Figure
    calibration: Figure
    calibration_notes: list[str] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # every metric key, for the key pickers
    found: tuple[str, str] = (FOUND, FOUND)  # the loss and accuracy keys read, in the pickers
    recommendation: str = ""  # the chosen objective's answer, one sentence
    verdict: Verdict | None = None
    message: str = ""
    live: bool = False  # a run is RUNNING, or the store is unreachable: the page keeps asking


def empty_view(message: str, keys: list[str] | None = None) -> View:
    blank = message_figure(message)
    return View(blank, blank, blank, blank, keys=keys or [], message=message)


def check_inputs(state: ViewState, smoothing: object) -> str:
    """Why these inputs cannot be shown, or "" if they can (`smoothing`: the slider's value as
    the browser sent it; the state holds it only where valid)."""
    if state.experiment is None:
        return "Pick an experiment."
    if (isinstance(smoothing, bool) or not isinstance(smoothing, int | float)
            or not 0 <= smoothing <= MAX_SMOOTHING):
        return "Smoothing must be a number from 0 to 0.95."
    return ""


def experiment_view(reader: RunReader, state: ViewState,
                    comparisons: ComparisonCache | None = None, *, smoothing: object = 0.0,
                    webgl: bool = False, stalled_after: float = f.STALLED_AFTER_SECONDS) -> View:
    """The page for `state` (built from browser input: see `dashboard.state`; `smoothing` as
    sent, to say when it is not one); `webgl`: draw the unselected runs' background with WebGL
    rather than SVG; RUNNING runs quiet for `stalled_after` seconds are shown as stalled and do
    not keep the page refreshing."""
    problem = check_inputs(state, smoothing)
    if problem or state.experiment is None:
        return empty_view(problem)
    found = _compared(reader, state, comparisons or ComparisonCache(size=1))
    if isinstance(found, View):
        return found
    data, comparison, keys = found
    view = _draw(reader, state, data.runs, comparison, keys, webgl)
    rows, live, note = stalled_runs(view.rows, data.runs, stalled_after)
    return replace(view, rows=rows, live=live, message=joined(view.message, note))


def prefetch(reader: RunReader, state: ViewState, comparisons: ComparisonCache) -> str:
    """Read and compare the state's runs and fetch the predictions its page weighs, drawing
    nothing: the start-up warm-up fills the caches without drawing what a first visitor's
    request draws again at the same moment. Why the page will be empty, or ""."""
    found = _compared(reader, state, comparisons)
    if isinstance(found, View):
        return found.message
    data, comparison, _ = found
    _predictions(reader, data.runs, _prediction_runs(state, data.runs, comparison,
                                                     pair(comparison))[1])
    return ""


def _compared(reader: RunReader, state: ViewState, comparisons: ComparisonCache
              ) -> tuple[ExperimentData, Comparison, list[str]] | View:
    """The state's runs, their comparison and every metric key they logged; else the empty
    view that says why not."""
    try:
        with bounded_wait():
            data = read_together(reader, state.experiments)
    except StoreUnreachable as error:  # keep the refresh ticking: the page recovers by itself
        return replace(empty_view(f"{error} Trying again shortly."), live=True)
    except ReaderError as error:
        return empty_view(str(error))
    if data.runs.empty:
        return empty_view(f"Experiment {data.name!r} has no runs yet.")
    keys = sorted(map(str, data.history[f.KEY].unique()))
    comparison = comparisons.compare(data, state.loss_key, state.accuracy_key)
    if not comparison.has_metrics:
        return empty_view(f"No run in {data.name!r} logged both a validation loss and an "
                          "accuracy the dashboard recognises; pick the keys above.", keys)
    return data, comparison, keys


def _draw(reader: RunReader, state: ViewState, runs: pd.DataFrame, comparison: Comparison,
          keys: list[str], webgl: bool) -> View:
    table = comparison.table
    params = distinguishing_params(runs)
    units = units_of(state, comparison, runs, params)
    curves = thin(smooth(units.curves, state.smoothing), MAX_POINTS_PER_LINE)
    selected = [r for r in state.selected if r in units.names.index]
    baselines = table[f.BASELINE_ACCURACY].dropna()
    baseline, differ = shared_baseline(baselines)
    at_odds = pair(comparison)
    calibration, notes, found = _evidence(reader, state, runs, comparison, units, at_odds)
    lines = partial(curves_figure, curves, units.names, selected=selected, webgl=webgl,
                    colours=units.colours, train=state.train, featured=list(units.picks))
    zoom = partial(axis_ranges, state.zoom)  # where the link or the user zoomed each chart
    rows = table_rows(table, runs, params, units.colours)
    return View(
        with_layout(lines("loss", log_y=state.log_loss, divergence=units.divergence),
                    **zoom("loss")),
        with_layout(lines("accuracy", baseline=baseline), **zoom("accuracy")),
        with_layout(tradeoff_figure(units.table, selected,
                                    _pairs(units, selected, at_odds),
                                    colours=units.colours, picks=units.picks, baseline=baseline,
                                    details=units.details, reviews=units.reviews),
                    **zoom("tradeoff")),
        calibration, notes,
        column_defs(params, bool(table[f.PARENT_RUN_ID].notna().any()), f.EXPERIMENT in runs,
                    units.names, not baselines.empty, units.grouped),
        group_rows(comparison.groups, rows, units.colours, params) if units.grouped else rows,
        keys, (found_keys(table[f.LOSS_KEY]), found_keys(table[f.ACCURACY_KEY])),
        found.answers[state.objective].reason, found,
        message=joined(units.note, differ, size_note(len(table))))


def units_of(state: ViewState, comparison: Comparison, runs: pd.DataFrame,
             params: list[str]) -> Units:
    """What the charts draw a line and a point for in `state`: each run, or each seed group."""
    return (by_group(comparison, runs, params, state.selected) if state.grouped
            else by_run(comparison, runs, params))


def _evidence(reader: RunReader, state: ViewState, runs: pd.DataFrame, comparison: Comparison,
              units: Units, at_odds: tuple[Side, Side] | None
              ) -> tuple[Figure, list[str], Verdict]:
    """The calibration panel (the selected runs, else the verdict's) and the verdict, from
    the predictions both need, fetched once."""
    wanted, fetched = _prediction_runs(state, runs, comparison, at_odds)
    predictions = _predictions(reader, runs, fetched)
    calibration, notes = _calibration(predictions, wanted, units.names, units.colours)
    found = verdict(comparison, at_odds, predictions if isinstance(predictions, dict) else {})
    return calibration, notes, found


def _prediction_runs(state: ViewState, runs: pd.DataFrame, comparison: Comparison,
                     at_odds: tuple[Side, Side] | None) -> tuple[list[str], list[str]]:
    """The runs the calibration panel is for, and every run whose predictions the view reads
    (those of them that logged any, and the ones the verdict weighs)."""
    wanted = _runs_of(comparison, list(state.selected)) or _weighed(comparison, at_odds)
    shown = with_predictions(runs[runs[f.RUN_ID].isin(wanted)]).head(MAX_RUNS)[f.RUN_ID]
    return wanted, [*shown, *needed_runs(comparison, at_odds)]


def _pairs(units: Units, selected: list[str],
           at_odds: tuple[Side, Side] | None) -> list[tuple[str, str]]:
    """The disagreeing pairs the scatter joins: those of the selected points, else the
    verdict's pair (by run, a seed group by its first seed: the runs the calibration panel
    weighs), so that the chart and the verdict name the same two."""
    if selected:
        return [p for p in units.disagreements if p[0] in selected or p[1] in selected]
    if at_odds is None:
        return []
    a, b = (side.key if side.key in units.table.index else side.runs[0] for side in at_odds)
    return [(a, b)]


def _runs_of(comparison: Comparison, selected: list[str]) -> list[str]:
    """The selection as runs: a selected seed group by its first seed."""
    groups = comparison.groups
    first = {} if groups is None else dict(zip(groups[f.GROUP], groups["runs"], strict=True))
    return list(dict.fromkeys(first[s][0] if s in first else s for s in selected))


def _weighed(comparison: Comparison, at_odds: tuple[Side, Side] | None) -> list[str]:
    """The runs the verdict weighs against each other (a seed group by its first seed), else
    the picks: the calibration panel's runs when none are selected."""
    if at_odds is not None:
        return [side.runs[0] for side in at_odds]
    return list(dict.fromkeys(pick.run_id for pick in comparison.recommended.values() if pick))


def _predictions(reader: RunReader, runs: pd.DataFrame,
                 wanted: list[str]) -> dict[str, Predictions] | str:
    """The `wanted` runs' logged predictions, fetched once for calibration and verdict; why
    not, when the store fails."""
    logged = with_predictions(runs[runs[f.RUN_ID].isin(wanted)])
    try:
        with bounded_wait():
            return reader.predictions(logged) if not logged.empty else {}
    except ReaderError as error:
        return str(error)


def _calibration(predictions: dict[str, Predictions] | str, wanted: list[str],
                 names: pd.Series, colours: dict[str, str]) -> tuple[Figure, list[str]]:
    """For the `wanted` runs that logged predictions."""
    if isinstance(predictions, str):
        return message_figure(predictions), []
    found = {r: predictions[r] for r in wanted if r in predictions}
    calibrated = calibrate(found, names)
    if not calibrated:
        return message_figure("No validation predictions were logged for these runs "
                              "(lossboard/val_predictions.npz), so no calibration."), []
    without = len(wanted) - len(found)
    note = [f"{without} of these {len(wanted)} runs logged no predictions."] if without else []
    return calibration_figure(calibrated, colours), summary_lines(calibrated) + note
