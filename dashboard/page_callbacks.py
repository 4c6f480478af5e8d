"""Callbacks of the page itself: `sync` keeps the URL, the controls and the selection in step
(one callback, so that each can drive the others without a cycle); `show` reads, analyses and
draws; the experiment list refreshes while the page stays open."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update

from analysis.seed_groups import is_group_id
from dashboard import ids
from dashboard.comparisons import ComparisonCache
from dashboard.plot_json import encoded
from dashboard.settings import DashboardSettings
from dashboard.side_views import drawer_view, param_view
from dashboard.state import (
    ViewState,
    checked_link,
    clicked_name,
    next_state,
    option_names,
    text_or_none,
)
from dashboard.verdict_block import verdict_block
from dashboard.views import bounded_wait, empty_view, experiment_view, message_figure
from dashboard.zoom import PANELS, zoomed
from tracking.reader import ReaderError, RunReader

SYNCED = [(ids.URL, "search"), (ids.EXPERIMENT, "value"), (ids.COMPARED, "value"),
          (ids.OBJECTIVE, "value"),
          (ids.LOSS_KEY, "value"), (ids.ACCURACY_KEY, "value"), (ids.SELECTION, "data"),
          (ids.SMOOTHING, "value"), (ids.LOSS_SCALE, "value"), (ids.TRAIN_CURVES, "value"),
          (ids.GROUPING, "value"), (ids.RUNS_TABLE, "selectedRows")]
log = logging.getLogger("lossboard.dashboard")


def experiment_names(reader: RunReader) -> tuple[list[str], str]:
    """The store's experiments, and what to say when it cannot be read."""
    try:
        with bounded_wait():
            return reader.experiment_names(), ""
    except ReaderError as error:
        return [], f"{error} Reload the page when it is back."


def register(app: Dash, reader: RunReader, comparisons: ComparisonCache,
             settings: DashboardSettings) -> None:
    """`sync`, `show` and the experiment list's refresh on `app`."""

    # a click on a seed group's name opens it (assets/groups.js)
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction("lossboard", "toggleGroup"), Output(ids.OPEN_GROUPS, "data"),
        Input(ids.RUNS_TABLE, "cellClicked"), State(ids.RUNS_TABLE, "id"),
        prevent_initial_call=True)

    @app.callback(Output(ids.PARAM_EFFECT, "figure"), Output(ids.PARAM, "options"),
                  Output(ids.PARAM, "placeholder"), Input(ids.PARAM, "value"),
                  Input(ids.EXPERIMENT, "value"), Input(ids.OBJECTIVE, "value"),
                  Input(ids.COMPARED, "value"),
                  Input(ids.LOSS_KEY, "value"), Input(ids.ACCURACY_KEY, "value"),
                  Input(ids.SELECTION, "data"), Input(ids.GROUPING, "value"),
                  Input(ids.REFRESH, "n_intervals"), State(ids.URL, "search"))
    def param_effect(param: Any, experiment: Any, objective: Any, compared: Any,
                     loss_key: Any, accuracy_key: Any, selected: Any, grouping: Any, _tick: Any,
                     search: Any) -> tuple[Any, Any, Any]:
        """The chart for the param picked, else the link's, else the one that explains most
        of the objective, named in the picker's placeholder. The link's param is not written
        into the picker: Dash's dropdown drops a value its options (sent here) do not hold."""
        state, _ = ViewState.from_inputs(experiment, objective, selected, loss_key,
                                         accuracy_key, compared)
        grouped = replace(state, grouped=grouping == "groups")
        picked = text_or_none(param)  # cleared: the first param, not the link's again
        asked = picked if ctx.triggered_id == ids.PARAM else (
            picked or ViewState.from_query(search).param)
        try:
            figure, names, shown = param_view(reader, grouped, asked, comparisons)
        except Exception as error:  # as in `show`: said on the page, the rest in the log
            log.exception("the param effect of %r failed", state)
            return message_figure(f"Lossboard could not draw this ({type(error).__name__})."), \
                no_update, no_update
        placeholder = (shown if shown == asked else
                       f"{shown} (explains most of the {state.objective})" if shown else
                       "no param")
        return encoded(figure), names, placeholder

    app.clientside_callback(  # type: ignore[no-untyped-call]  # focus into it (drawer.js)
        ClientsideFunction("lossboard", "focusDrawer"), Input(ids.DRAWER, "hidden"),
        prevent_initial_call=True)

    @app.callback(Output(ids.DRAWER, "hidden"), Output(ids.DRAWER_BODY, "children"),
                  Input(ids.RUNS_TABLE, "cellClicked"), Input(ids.DRAWER_CLOSE, "n_clicks"),
                  State(ids.EXPERIMENT, "value"), State(ids.LOSS_KEY, "value"),
                  State(ids.ACCURACY_KEY, "value"), State(ids.COMPARED, "value"),
                  prevent_initial_call=True)
    def drawer(click: Any, _close: Any, experiment: Any, loss_key: Any,
               accuracy_key: Any, compared: Any) -> tuple[Any, Any]:
        """A click on a run's name opens its details (a group's name opens the group)."""
        if ctx.triggered_id == ids.DRAWER_CLOSE:
            return True, no_update
        run_id = clicked_name(click)
        state, problem = ViewState.from_inputs(experiment, "loss", (), loss_key, accuracy_key,
                                               compared)
        if run_id is None or is_group_id(run_id) or problem:
            return no_update, no_update
        return False, drawer_view(reader, state, run_id, settings.tracking_uri, comparisons)

    @app.callback(Output(ids.EXPERIMENT, "options"), Output(ids.COMPARED, "options"),
                  Input(ids.EXPERIMENT_LIST_REFRESH, "n_intervals"), prevent_initial_call=True)
    def refresh_experiments(_tick: Any) -> tuple[Any, Any]:
        """New experiments appear in an open page; while the store is down the list stays."""
        names, _ = experiment_names(reader)
        return (names, names) if names else (no_update, no_update)

    @app.callback(
        output=[*[Output(i, p) for i, p in SYNCED], Output(ids.LINK_MESSAGE, "children"),
                Output(ids.RUNS_TABLE, "scrollTo")],
        inputs={"search": Input(ids.URL, "search"), "experiment": Input(ids.EXPERIMENT, "value"),
                "compared": Input(ids.COMPARED, "value"),
                "objective": Input(ids.OBJECTIVE, "value"),
                "loss_key": Input(ids.LOSS_KEY, "value"),
                "accuracy_key": Input(ids.ACCURACY_KEY, "value"),
                "rows": Input(ids.RUNS_TABLE, "selectedRows"),
                "click": Input(ids.TRADEOFF, "clickData"),
                "zooms": {graph: Input(graph, "relayoutData") for graph in PANELS},
                "smoothing": Input(ids.SMOOTHING, "value"),
                "scale": Input(ids.LOSS_SCALE, "value"), "train": Input(ids.TRAIN_CURVES, "value"),
                "grouping": Input(ids.GROUPING, "value"), "param": Input(ids.PARAM, "value"),
                "selected": State(ids.SELECTION, "data"),
                "options": State(ids.EXPERIMENT, "options")})
    def sync(search: Any, experiment: Any, compared: Any, objective: Any, loss_key: Any,
             accuracy_key: Any, rows: Any, click: Any, zooms: dict[str, Any], smoothing: Any,
             scale: Any, train: Any, grouping: Any, param: Any, selected: Any,
             options: Any) -> list[Any]:
        picked = ViewState.from_inputs(experiment, objective, selected, loss_key, accuracy_key,
                                       compared)[0]
        linked = ViewState.from_query(search)
        current = replace(picked.with_controls(smoothing, scale, train, grouping),
                          zoom=linked.zoom, param=linked.param)
        trigger = ctx.triggered_id
        if any(prop.endswith(".relayoutData") for prop in ctx.triggered_prop_ids):
            new = replace(current, zoom=zoomed(current.zoom, trigger, zooms.get(trigger)))
        else:
            event = {ids.RUNS_TABLE: rows, ids.TRADEOFF: click, ids.PARAM: param}.get(trigger)
            new = next_state(current, trigger, search, event)
        note: Any = "" if trigger == ids.EXPERIMENT else no_update  # a new pick: link said
        if trigger in (None, ids.URL):  # a link: a name the store lacks is said, not dropped
            new, note = checked_link(new, option_names(options), current.experiment)
        before = [search, experiment, compared, objective, loss_key, accuracy_key,
                  list(current.selected), smoothing, scale, train, grouping]
        after = [new.to_query(), new.experiment, list(new.compared), new.objective,
                 new.loss_key, new.accuracy_key, list(new.selected), *new.controls()]
        changed = [a if a != b else no_update for a, b in zip(after, before, strict=True)]
        grid = {"ids": list(new.selected)} if new.selected != current.selected \
            or trigger in (None, ids.URL) else no_update
        added = [r for r in new.selected if r not in current.selected]  # a point clicked:
        shown = {"rowId": added[-1], "rowPosition": "middle"} if trigger == ids.TRADEOFF \
            and added else no_update  # its row brought into the table's view
        return [*changed, grid, note, shown]

    @app.callback(Output(ids.LOSS_CURVES, "figure"), Output(ids.ACCURACY_CURVES, "figure"),
                  Output(ids.TRADEOFF, "figure"), Output(ids.CALIBRATION, "figure"),
                  Output(ids.CALIBRATION_NOTES, "children"),
                  Output(ids.RUNS_TABLE, "columnDefs"), Output(ids.RUNS_TABLE, "rowData"),
                  Output(ids.LOSS_KEY, "options"), Output(ids.ACCURACY_KEY, "options"),
                  Output(ids.LOSS_KEY, "placeholder"), Output(ids.ACCURACY_KEY, "placeholder"),
                  Output(ids.VERDICT, "children"), Output(ids.MESSAGE, "children"),
                  Output(ids.REFRESH, "disabled"),
                  Input(ids.EXPERIMENT, "value"), Input(ids.OBJECTIVE, "value"),
                  Input(ids.LOSS_KEY, "value"), Input(ids.ACCURACY_KEY, "value"),
                  Input(ids.SELECTION, "data"), Input(ids.SMOOTHING, "value"),
                  Input(ids.LOSS_SCALE, "value"), Input(ids.REFRESH, "n_intervals"),
                  Input(ids.REVIEW_VERSION, "data"), Input(ids.TRAIN_CURVES, "value"),
                  Input(ids.GROUPING, "value"), Input(ids.COMPARED, "value"),
                  State(ids.URL, "search"))  # the zoom: kept in the URL, drawn, not redrawn
    def show(experiment: Any, objective: Any, loss_key: Any, accuracy_key: Any, selected: Any,
             smoothing: Any, scale: Any, _tick: Any, _reviewed: Any,
             train: Any, grouping: Any, compared: Any, search: Any) -> tuple[Any, ...]:
        state, problem = ViewState.from_inputs(experiment, objective, selected, loss_key,
                                               accuracy_key, compared)
        state = replace(state.with_controls(smoothing, scale, train, grouping),
                        zoom=ViewState.from_query(search).zoom)
        try:  # a forged smoothing: the state leaves it out, the view says so
            view = empty_view(problem) if problem else experiment_view(
                reader, state, comparisons, smoothing=smoothing, webgl=settings.webgl,
                stalled_after=settings.stalled_seconds)
        except Exception as error:  # a bug must not leave a blank page: say so, log the rest
            log.exception("drawing %r failed", state)
            view = empty_view(f"Lossboard could not draw this view ({type(error).__name__}: "
                              f"{str(error)[:200]}); the server log has the details.")
        notes = [html.Li(line) for line in view.calibration_notes]
        answer = verdict_block(view.verdict, state.objective) if view.verdict else []
        figures = [encoded(shown) for shown in (view.loss, view.accuracy, view.tradeoff,
                                                view.calibration)]
        return (*figures, notes, view.columns, view.rows, view.keys, view.keys, *view.found,
                answer, view.message, not view.live)
