"""The page: controls, then curves side by side, trade-off and runs table, calibration."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.auth import User
from dashboard.review_panel import review_panel
from dashboard.state import MAX_SMOOTHING
from dashboard.table import DEFAULT_COLUMN, GRID_OPTIONS

ROW = {"display": "flex", "gap": "16px", "alignItems": "center", "flexWrap": "wrap"}
PAIR = {"display": "flex", "gap": "8px", "alignItems": "center"}
SIDE_BY_SIDE = {"display": "flex", "gap": "12px"}
HALF = {"flex": "1 1 0", "minWidth": 0}
KEY_PICKER = {"minWidth": "200px"}


def first_choice(names: list[str]) -> str | None:
    """Open on a real experiment: MLflow's always-present `Default` one only if it is alone."""
    return next((n for n in names if n != "Default"), names[0] if names else None)


def controls(names: list[str]) -> html.Div:
    return html.Div([
        html.Div([
            labelled("Experiment", dcc.Dropdown(
                id=ids.EXPERIMENT, options=names, value=first_choice(names), clearable=False,
                style={"minWidth": "320px"})),
            labelled("compared with", dcc.Dropdown(
                id=ids.COMPARED, options=names, value=[], multi=True,
                placeholder="other experiments (optional)", style={"minWidth": "260px"})),
            labelled("What do you care about?", dcc.RadioItems(
                id=ids.OBJECTIVE, value="loss", inline=True, options=[
                    {"label": " loss (probabilities close to the truth)", "value": "loss"},
                    {"label": " accuracy (argmax hits)", "value": "accuracy"}])),
            labelled("Show", dcc.RadioItems(id=ids.GROUPING, value="runs", inline=True, options=[
                {"label": " each run", "value": "runs"},
                {"label": " seed groups (mean ± sd)", "value": "groups"}])),
        ], style=ROW),
        html.Div([
            labelled("Loss key", dcc.Dropdown(id=ids.LOSS_KEY, placeholder="found automatically",
                                              style=KEY_PICKER)),
            labelled("Accuracy key", dcc.Dropdown(
                id=ids.ACCURACY_KEY, placeholder="found automatically", style=KEY_PICKER)),
            labelled("Smoothing", html.Div(dcc.Slider(
                id=ids.SMOOTHING, min=0, max=MAX_SMOOTHING, step=0.05, value=0,
                marks={0: "0", 0.5: "0.5", 0.9: "0.9"}), style={"width": "180px"}), ids.SMOOTHING),
            dcc.Checklist(id=ids.LOSS_SCALE, value=[],
                          options=[{"label": " log-scale loss", "value": "log"}]),
            dcc.Checklist(id=ids.TRAIN_CURVES, value=["train"],
                          options=[{"label": " train curves (dashed)", "value": "train"}]),
        ], style=ROW),
    ])


def labelled(text: str, control: Component, target: str | None = None) -> html.Div:
    """A control with its label (for `target`, else the control's id) before it, kept on one
    line when the row wraps."""
    target = target or str(getattr(control, "id", ""))
    return html.Div([html.Label(text, htmlFor=target), control], style=PAIR)


def header(user: User | None) -> html.Header:
    """The title, and who is signed in when sign-in is on."""
    who = [] if user is None else [html.Span(f"Signed in as {user.name} ({user.role})",
                                             id=ids.SIGNED_IN)]
    return html.Header([html.H1("Lossboard"), *who],
                       style={**ROW, "justifyContent": "space-between"})


EXPERIMENT_LIST_MS = 60_000  # new experiments reach an open page's picker within a minute


def loading(component: Component) -> dcc.Loading:
    """A spinner over `component` while a callback it shows is slower than 0.3 s."""
    return dcc.Loading(component, delay_show=300)


def page(names: list[str], problem: str, store: str, refresh_ms: int,
         user: User | None = None) -> html.Div:
    """The whole page; `user` is who signed in (None: sign-in is off)."""
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.SELECTION, data=[]),
        dcc.Store(id=ids.OPEN_GROUPS, data=[]),
        dcc.Interval(id=ids.REFRESH, interval=refresh_ms, disabled=True),
        dcc.Interval(id=ids.EXPERIMENT_LIST_REFRESH, interval=EXPERIMENT_LIST_MS),
        header(user),
        html.P(f"Where validation loss and accuracy disagree. Reading {store}. Select runs in "
               "the table or on the scatter: they are highlighted everywhere. Each run keeps "
               "its colour on every chart; the table is the legend. Click a run's name for "
               "its details."),
        controls(names),
        html.Div(problem, id=ids.MESSAGE, role="status", style={"color": "#b00020"}),
        html.Div(id=ids.LINK_MESSAGE, role="status", style={"color": "#8a5a00"}),
        html.Section(id=ids.VERDICT, className="verdict"),
        loading(html.Div([
            html.Div(dcc.Graph(id=ids.LOSS_CURVES), style=HALF),
            html.Div(dcc.Graph(id=ids.ACCURACY_CURVES), style=HALF),
        ], style=SIDE_BY_SIDE)),
        loading(dcc.Graph(id=ids.TRADEOFF)),
        loading(dag.AgGrid(id=ids.RUNS_TABLE, rowData=[], columnDefs=[],
                           getRowId="params.data.run_id", dashGridOptions=GRID_OPTIONS,
                           defaultColDef=DEFAULT_COLUMN,
                           style={"height": "360px"})),
        review_panel(user),  # under the table where runs are selected, its messages beside it
        html.H2("Calibration", style={"fontSize": "1.2em"}),
        html.P("Where validation predictions were logged: the selected runs, else the two "
               "the verdict weighs against each other."),
        loading(html.Div([dcc.Graph(id=ids.CALIBRATION), html.Ul(id=ids.CALIBRATION_NOTES)])),
        html.Aside([html.Button("Close", id=ids.DRAWER_CLOSE, className="drawer-close"),
                    html.Div(id=ids.DRAWER_BODY)], id=ids.DRAWER, hidden=True,
                   className="drawer", role="dialog",
                   **{"aria-label": "Run details"}),  # type: ignore[arg-type]
        html.H2("Param effect", style={"fontSize": "1.2em"}),
        html.Div([html.Label("Param", htmlFor=ids.PARAM),
                  dcc.Dropdown(id=ids.PARAM, placeholder="the one that matters most",
                               style=KEY_PICKER)], style=ROW),
        loading(dcc.Graph(id=ids.PARAM_EFFECT)),
    ], style={"fontFamily": "system-ui, sans-serif", "margin": "0 24px"})
