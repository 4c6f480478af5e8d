"""The run detail drawer: one run's status, numbers, params, tags and its own curves, and a link
to it in MLflow's UI when the tracking URI is a server. Text only: Dash writes strings as text,
so a tag holding `<script>` shows those characters."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd
from dash import dcc, html
from dash.development.base_component import Component

from analysis import frames as f
from analysis.report import Comparison
from dashboard import ids
from dashboard.figures import curves_figure
from dashboard.plot_json import encoded, with_layout
from dashboard.tradeoff_guides import QUADRANT_LABELS
from dashboard.units import unit_colours

HIDDEN_TAGS = {"mlflow.runName", "mlflow.log-model.history"}  # shown elsewhere, or unreadable
MAX_TAG_TEXT = 300
NUMBERS = [(f.FINAL_LOSS, "final val loss"), (f.FINAL_ACCURACY, "final val accuracy"),
           (f.BEST_LOSS, "best val loss"), (f.BEST_ACCURACY, "best val accuracy"),
           (f.EPOCHS, "epochs trained"), (f.QUADRANT, "quadrant")]


def mlflow_ui_link(tracking_uri: str, experiment_id: object, run_id: str) -> str | None:
    """The run's page in the MLflow UI of an http(s) tracking server (no credentials in the
    link); None for any other store."""
    parts = urlsplit(tracking_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    base = f"{parts.scheme}://{host}{parts.path.rstrip('/')}"
    return f"{base}/#/experiments/{quote(str(experiment_id))}/runs/{quote(run_id)}"


def drawer_body(runs: pd.DataFrame, comparison: Comparison, run_id: str,
                tracking_uri: str) -> list[Component]:
    """What the drawer shows for `run_id`; a sentence when the experiment has no such run."""
    found = runs[runs[f.RUN_ID] == run_id]
    if found.empty:
        return [html.P("This run is not in the experiment shown.")]
    run = found.iloc[0]
    name = run[f.RUN_NAME] if isinstance(run[f.RUN_NAME], str) else run_id
    link = mlflow_ui_link(tracking_uri, run.get(f.EXPERIMENT_ID), run_id)
    curves = comparison.curves[comparison.curves[f.RUN_ID] == run_id]
    names = pd.Series({run_id: name})
    return [
        html.H2(name, className="drawer-title"),
        html.P([f"{run[f.STATUS]} · {_times(run)} · run ", html.Code(run_id),
                *([f" · experiment {run[f.EXPERIMENT]}"] if f.EXPERIMENT in run else [])]),
        *([html.A("Open in MLflow's UI", href=link, target="_blank", rel="noopener noreferrer",
                  id=ids.DRAWER_LINK)] if link else []),
        _table("Numbers", _numbers(comparison.table, run_id)),
        html.Div([dcc.Graph(figure=encoded(with_layout(
            curves_figure(curves, names, metric, colours=unit_colours(comparison, runs)),
            height=260, title={"text": f"its {metric} (solid: validation, dashed: train)"})),
            config={"displayModeBar": False})
            for metric in ("loss", "accuracy")], className="drawer-curves"),
        _table("Params", _prefixed(run, f.PARAM_PREFIX)),
        _table("Tags", [(k, v if len(v) <= MAX_TAG_TEXT else v[:MAX_TAG_TEXT] + "…")
                        for k, v in _prefixed(run, f.TAG_PREFIX) if k not in HIDDEN_TAGS]),
    ]


def _times(run: pd.Series) -> str:
    """When it started (UTC) and how long it ran, from the run's milliseconds."""
    start, end = (pd.to_numeric(run.get(c, math.nan), errors="coerce")
                  for c in (f.START_TIME, f.END_TIME))
    if pd.isna(start):
        return "start unknown"
    began = dt.datetime.fromtimestamp(start / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if pd.isna(end):
        return f"started {began}"
    seconds = round((end - start) / 1000)
    return f"started {began}, ran {dt.timedelta(seconds=seconds) if seconds else 'under a second'}"


def _numbers(table: pd.DataFrame, run_id: str) -> list[tuple[str, str]]:
    if run_id not in table.index:
        return []
    row = table.loc[run_id]
    return [(title, QUADRANT_LABELS.get(str(row[field]), _text(row[field]))
             if field == f.QUADRANT else _text(row[field])) for field, title in NUMBERS]


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _prefixed(run: pd.Series, prefix: str) -> list[tuple[str, str]]:
    """The run's `params.*` or `tags.*` it logged, by name."""
    return sorted((str(k).removeprefix(prefix), str(v)) for k, v in run.items()
                  if str(k).startswith(prefix) and not pd.isna(v))


def _table(title: str, rows: list[tuple[str, str]]) -> html.Section:
    body = [html.Tr([html.Th(k, scope="row"), html.Td(v)]) for k, v in rows]
    return html.Section([html.H3(title), html.Table(html.Tbody(body), className="drawer-table")
                         if body else html.P("none logged")])
