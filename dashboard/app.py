"""`create_app(settings, reader)`: the Dash app. Debug stays off; callbacks stay thin.

Two callbacks: `sync` keeps the URL, the controls and the selection in step (one callback, so
that each can drive the others without a cycle); `show` reads, analyses and draws."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from dash import Dash, Input, Output, State, ctx, html, no_update

from dashboard import auth, ids, review_callbacks, security
from dashboard.comparisons import ComparisonCache
from dashboard.layout import page
from dashboard.review_panel import Reviews
from dashboard.settings import DashboardSettings
from dashboard.state import ViewState, next_state
from dashboard.views import bounded_wait, empty_view, experiment_view
from dashboard.warm_up import start_warm_up
from dashboard.wsgi import LazyServer
from tracking.reader import ReaderError, RunReader
from tracking.settings import without_password as redact

SYNCED = [(ids.URL, "search"), (ids.EXPERIMENT, "value"), (ids.OBJECTIVE, "value"),
          (ids.LOSS_KEY, "value"), (ids.ACCURACY_KEY, "value"), (ids.SELECTION, "data"),
          (ids.RUNS_TABLE, "selectedRows")]
log = logging.getLogger("lossboard.dashboard")


def _experiment_names(reader: RunReader) -> tuple[list[str], str]:
    try:
        with bounded_wait():
            return reader.experiment_names(), ""
    except ReaderError as error:
        return [], f"{error} Reload the page when it is back."


def layout(reader: RunReader, store: str, refresh_seconds: float) -> html.Div:
    """Built on every page load, so new experiments appear without a restart."""
    names, problem = _experiment_names(reader)
    return page(names, problem, store, int(refresh_seconds * 1000), auth.current_user())


def create_app(settings: DashboardSettings, reader: RunReader,
               reviews: Reviews | None = None) -> Dash:
    """The dashboard over `reader` (wrap it in tracking.cache.CachedReader to serve a team);
    reviews are written by `reviews` (default: tracking.review.ReviewWriter on the same store,
    made at the first review action). With `settings.users`, every path but /health needs
    Basic auth and only reviewers write; security headers and the cross-site checks are always
    on."""
    app = Dash(__name__, title="Lossboard", update_title="", health_endpoint="health")
    prefix = app.config.routes_pathname_prefix
    if settings.users:
        auth.install(app.server, settings.users, open_paths=[prefix + "health"])
    security.install(app.server, prefix + "_dash-")  # installed last, so it runs first
    store = redact(settings.tracking_uri)
    app.layout = lambda: layout(reader, store, settings.refresh_seconds)
    comparisons = ComparisonCache()
    if settings.warm_up:
        start_warm_up(reader, comparisons)

    @cache
    def review_writer() -> Reviews:
        if reviews:
            return reviews
        from tracking.review import ReviewWriter  # imports MLflow: only when reviewing

        return ReviewWriter(settings.tracking_uri)

    @app.callback(Output(ids.EXPERIMENT, "options"),
                  Input(ids.EXPERIMENT_LIST_REFRESH, "n_intervals"), prevent_initial_call=True)
    def refresh_experiments(_tick: Any) -> Any:
        """New experiments appear in an open page; while the store is down the list stays."""
        names, _ = _experiment_names(reader)
        return names or no_update

    review_callbacks.register(app, reader, review_writer, store, comparisons, settings.sign_in)

    @app.callback(*[Output(i, p) for i, p in SYNCED],
                  Input(ids.URL, "search"), Input(ids.EXPERIMENT, "value"),
                  Input(ids.OBJECTIVE, "value"), Input(ids.LOSS_KEY, "value"),
                  Input(ids.ACCURACY_KEY, "value"), Input(ids.RUNS_TABLE, "selectedRows"),
                  Input(ids.TRADEOFF, "clickData"), Input(ids.LOSS_CURVES, "restyleData"),
                  Input(ids.ACCURACY_CURVES, "restyleData"), State(ids.SELECTION, "data"),
                  State(ids.LOSS_CURVES, "figure"), State(ids.ACCURACY_CURVES, "figure"))
    def sync(search: Any, experiment: Any, objective: Any, loss_key: Any, accuracy_key: Any,
             rows: Any, click: Any, loss_legend: Any, accuracy_legend: Any, selected: Any,
             loss_figure: Any, accuracy_figure: Any) -> list[Any]:
        current, _ = ViewState.from_inputs(experiment, objective, selected, loss_key,
                                           accuracy_key)
        trigger = ctx.triggered_id
        event = {ids.RUNS_TABLE: rows, ids.TRADEOFF: click, ids.LOSS_CURVES: loss_legend,
                 ids.ACCURACY_CURVES: accuracy_legend}.get(trigger)
        figure = accuracy_figure if trigger == ids.ACCURACY_CURVES else loss_figure
        new = next_state(current, trigger, search, event, figure)
        before = [search, experiment, objective, loss_key, accuracy_key, list(current.selected)]
        after = [new.to_query(), new.experiment, new.objective, new.loss_key, new.accuracy_key,
                 list(new.selected)]
        changed = [a if a != b else no_update for a, b in zip(after, before, strict=True)]
        grid = {"ids": list(new.selected)} if new.selected != current.selected \
            or trigger in (None, ids.URL) else no_update
        return [*changed, grid]

    @app.callback(Output(ids.LOSS_CURVES, "figure"), Output(ids.ACCURACY_CURVES, "figure"),
                  Output(ids.TRADEOFF, "figure"), Output(ids.CALIBRATION, "figure"),
                  Output(ids.CALIBRATION_NOTES, "children"),
                  Output(ids.RUNS_TABLE, "columnDefs"), Output(ids.RUNS_TABLE, "rowData"),
                  Output(ids.LOSS_KEY, "options"), Output(ids.ACCURACY_KEY, "options"),
                  Output(ids.RECOMMENDATION, "children"), Output(ids.MESSAGE, "children"),
                  Output(ids.REFRESH, "disabled"),
                  Input(ids.EXPERIMENT, "value"), Input(ids.OBJECTIVE, "value"),
                  Input(ids.LOSS_KEY, "value"), Input(ids.ACCURACY_KEY, "value"),
                  Input(ids.SELECTION, "data"), Input(ids.SMOOTHING, "value"),
                  Input(ids.LOSS_SCALE, "value"), Input(ids.REFRESH, "n_intervals"),
                  Input(ids.REVIEW_VERSION, "data"))
    def show(experiment: Any, objective: Any, loss_key: Any, accuracy_key: Any, selected: Any,
             smoothing: Any, scale: Any, _tick: Any, _reviewed: Any) -> tuple[Any, ...]:
        state, problem = ViewState.from_inputs(experiment, objective, selected, loss_key,
                                               accuracy_key)
        log_loss = isinstance(scale, list) and "log" in scale
        try:
            view = empty_view(problem) if problem else experiment_view(
                reader, state, smoothing, log_loss, comparisons, webgl=settings.webgl)
        except Exception as error:  # a bug must not leave a blank page: say so, log the rest
            log.exception("drawing %r failed", state)
            view = empty_view(f"Lossboard could not draw this view ({type(error).__name__}: "
                              f"{str(error)[:200]}); the server log has the details.")
        notes = [html.Li(line) for line in view.calibration_notes]
        return (view.loss, view.accuracy, view.tradeoff, view.calibration, notes, view.columns,
                view.rows, view.keys, view.keys, view.recommendation, view.message,
                not view.live)

    return app


# For WSGI servers: `gunicorn --workers 2 --bind 127.0.0.1:8050 dashboard.app:server`.
# Built from the environment at the first request (dashboard.wsgi), not at import.
server = LazyServer()
