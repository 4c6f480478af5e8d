"""`create_app(settings, reader)`: the Dash app. Debug stays off; callbacks stay thin."""

from __future__ import annotations

import re
from typing import Any

from dash import Dash, Input, Output, dcc, html

from dashboard import ids
from dashboard.settings import DashboardSettings
from dashboard.views import MAX_SMOOTHING, bounded_wait, experiment_view
from tracking.reader import ReaderError, RunReader

SIDE_BY_SIDE = {"display": "flex", "gap": "12px"}
HALF = {"flex": "1 1 0", "minWidth": 0}


def _experiment_options(reader: RunReader) -> tuple[list[str], str]:
    try:
        with bounded_wait():
            return reader.experiment_names(), ""
    except ReaderError as error:
        return [], str(error)


def _first_choice(names: list[str]) -> str | None:
    """Open on a real experiment: MLflow's always-present `Default` one only if it is alone."""
    return next((n for n in names if n != "Default"), names[0] if names else None)


def layout(reader: RunReader, store: str) -> html.Div:
    """Built on every page load, so new experiments appear without a restart."""
    names, problem = _experiment_options(reader)
    return html.Div([
        html.H1("Lossboard"),
        html.P(f"Where validation loss and accuracy disagree. Reading {store}."),
        html.Div([
            html.Label("Experiment", htmlFor=ids.EXPERIMENT),
            dcc.Dropdown(id=ids.EXPERIMENT, options=names, value=_first_choice(names),
                         clearable=False, style={"minWidth": "320px"}),
            html.Label("What do you care about?", htmlFor=ids.OBJECTIVE),
            dcc.RadioItems(id=ids.OBJECTIVE, value="loss", inline=True, options=[
                {"label": " loss (probabilities close to the truth)", "value": "loss"},
                {"label": " accuracy (argmax hits)", "value": "accuracy"}]),
        ], style={"display": "flex", "gap": "16px", "alignItems": "center",
                  "flexWrap": "wrap"}),
        html.Div([
            html.Label("Smoothing", htmlFor=ids.SMOOTHING),
            html.Div(dcc.Slider(id=ids.SMOOTHING, min=0, max=MAX_SMOOTHING, step=0.05, value=0,
                                marks={0: "0", 0.5: "0.5", 0.9: "0.9"}),
                     style={"width": "260px"}),
            dcc.Checklist(id=ids.LOSS_SCALE, options=[{"label": " log-scale loss",
                                                       "value": "log"}], value=[]),
        ], style={"display": "flex", "gap": "16px", "alignItems": "center"}),
        html.Div(problem, id=ids.MESSAGE, role="status", style={"color": "#b00020"}),
        html.P(id=ids.RECOMMENDATION, style={"fontWeight": "bold"}),
        dcc.Loading(html.Div([
            html.Div(dcc.Graph(id=ids.LOSS_CURVES), style=HALF),
            html.Div(dcc.Graph(id=ids.ACCURACY_CURVES), style=HALF),
        ], style=SIDE_BY_SIDE)),
        dcc.Graph(id=ids.TRADEOFF),
    ], style={"fontFamily": "system-ui, sans-serif", "margin": "0 24px"})


def create_app(settings: DashboardSettings, reader: RunReader) -> Dash:
    """The dashboard over `reader` (wrap it in tracking.cache.CachedReader to serve a team)."""
    app = Dash(__name__, title="Lossboard", update_title="", health_endpoint="health")
    app.layout = lambda: layout(reader, redact(settings.tracking_uri))

    @app.callback(Output(ids.LOSS_CURVES, "figure"), Output(ids.ACCURACY_CURVES, "figure"),
                  Output(ids.TRADEOFF, "figure"), Output(ids.RECOMMENDATION, "children"),
                  Output(ids.MESSAGE, "children"), Input(ids.EXPERIMENT, "value"),
                  Input(ids.OBJECTIVE, "value"), Input(ids.SMOOTHING, "value"),
                  Input(ids.LOSS_SCALE, "value"))
    def show(experiment: Any, objective: Any, smoothing: Any, scale: Any) -> tuple[Any, ...]:
        log_loss = isinstance(scale, list) and "log" in scale
        view = experiment_view(reader, experiment, objective, smoothing, log_loss)
        return view.loss, view.accuracy, view.tradeoff, view.recommendation, view.message

    return app


def redact(uri: str) -> str:
    """The tracking URI without its password, fit to show on the page."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", uri)
