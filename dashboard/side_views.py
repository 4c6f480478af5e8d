"""The views beside the page's main one (`dashboard.views`): the param-effect chart and the run
detail drawer, each read through the same cached reader and comparison as the page."""

from __future__ import annotations

from dash import html
from dash.development.base_component import Component

from analysis import frames as f
from dashboard.comparisons import ComparisonCache
from dashboard.figures import plain
from dashboard.param_effect import param_effect_figure, strongest_param
from dashboard.plot_json import Figure, with_layout
from dashboard.run_drawer import drawer_body
from dashboard.state import ViewState
from dashboard.table import distinguishing_params
from dashboard.units import unit_colours
from dashboard.views import bounded_wait, message_figure
from tracking.reader import ExperimentData, ReaderError, RunReader, read_together


def param_view(reader: RunReader, state: ViewState, param: object,
               comparisons: ComparisonCache) -> tuple[Figure, list[str], str | None]:
    """The param-effect chart for `param` (else the param that explains most of the state's
    objective), the params to pick from and the one shown; a message figure when the
    experiment cannot be shown."""
    data = _read(reader, state)
    if isinstance(data, str):
        return message_figure(data), [], None
    comparison = comparisons.compare(data, state.loss_key, state.accuracy_key)
    params = distinguishing_params(data.runs)
    names = [p.removeprefix(f.PARAM_PREFIX) for p in params]
    measure = f.FINAL_ACCURACY if state.objective == "accuracy" else f.FINAL_LOSS
    chosen = param if isinstance(param, str) and param in names else strongest_param(
        comparison.table, data.runs, names, measure)
    colours = unit_colours(comparison, data.runs)
    figure = param_effect_figure(comparison.table, data.runs, chosen, colours, state.selected)
    if isinstance(param, str) and param != chosen:  # a link's param these runs did not log
        figure = with_layout(figure, title={"text": plain(
            f"No run here logged a param {param!r} that differs between runs; showing "
            f"{chosen!r}.")})
    return figure, names, chosen


def drawer_view(reader: RunReader, state: ViewState, run_id: str, tracking_uri: str,
                comparisons: ComparisonCache) -> list[Component]:
    """The run detail drawer's content for `run_id` of the state's experiment."""
    data = _read(reader, state)
    if isinstance(data, str):
        return [html.P(data)]
    comparison = comparisons.compare(data, state.loss_key, state.accuracy_key)
    return drawer_body(data.runs, comparison, run_id, tracking_uri)


def _read(reader: RunReader, state: ViewState) -> ExperimentData | str:
    """The state's experiments' runs, or why not, in a sentence for the page."""
    if state.experiment is None:
        return "Pick an experiment."
    try:
        with bounded_wait():
            data = read_together(reader, state.experiments)
    except ReaderError as error:
        return str(error)
    return data if not data.runs.empty else f"Experiment {data.name!r} has no runs yet."
