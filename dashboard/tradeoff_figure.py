"""The trade-off scatter in the reviewer's words: final validation loss against accuracy,
each quadrant named on the plot, each run in its own colour (quadrant by marker shape), the
front, the picks and the selection named, the majority-class baseline as a line."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis import frames as f
from analysis.tradeoff import (
    HIGH_ACC_HIGH_LOSS,
    HIGH_ACC_LOW_LOSS,
    LOW_ACC_HIGH_LOSS,
    LOW_ACC_LOW_LOSS,
)
from dashboard.figures import GUIDE, plain, run_colours

QUADRANT_LABELS = {HIGH_ACC_HIGH_LOSS: "overconfident: high accuracy, high loss",
                   LOW_ACC_LOW_LOSS: "hedging: low accuracy, low loss",
                   HIGH_ACC_LOW_LOSS: "better on both: high accuracy, low loss",
                   LOW_ACC_HIGH_LOSS: "worse on both: low accuracy, high loss"}
QUADRANT_SYMBOLS = {HIGH_ACC_HIGH_LOSS: "diamond", LOW_ACC_LOW_LOSS: "square",
                    HIGH_ACC_LOW_LOSS: "circle", LOW_ACC_HIGH_LOSS: "triangle-down"}
# each label by its corner (high loss is right, high accuracy is up): the top two just above
# the plot, where no point can sit under them (accurate runs crowd the top edge)
CORNERS = {HIGH_ACC_HIGH_LOSS: (1, 1, "right", "bottom"),
           LOW_ACC_LOW_LOSS: (0, 0, "left", "bottom"),
           HIGH_ACC_LOW_LOSS: (0, 1, "left", "bottom"),
           LOW_ACC_HIGH_LOSS: (1, 0, "right", "bottom")}
NAMED_FRONT = 5  # a front of more runs than this is not named run by run
# named points take turns around their point, so that two close ones do not overwrite
LABEL_POSITIONS = ["top center", "bottom center", "middle right", "middle left"]
MIN_RUNS_FOR_QUADRANTS = 4  # fewer runs than this have no median worth splitting at
KEY_COLOUR = "#888888"
PICK = "star"


def tradeoff_figure(table: pd.DataFrame, selected: Collection[str] = (),
                    pairs: Iterable[tuple[str, str]] = (), *,
                    colours: Mapping[str, str] | None = None,
                    picks: Mapping[str, str] | None = None, baseline: float | None = None,
                    details: Mapping[str, str] | None = None) -> go.Figure:
    """The scatter of `table`'s candidates (a sweep's parent is not one). `picks`: run id ->
    what it wins ("lowest loss"), drawn as a star and named; `details`: run id -> the params
    that tell it apart, shown on hover; `pairs` that disagree joined by a dotted line."""
    figure = go.Figure()
    known = table[table[f.CHILD_RUNS] == 0].dropna(subset=[f.FINAL_LOSS, f.FINAL_ACCURACY])
    colour = {**run_colours(known[f.RUN_ID]), **(colours or {})}
    split = len(known) >= MIN_RUNS_FOR_QUADRANTS
    _add_disagreements(figure, known.set_index(f.RUN_ID), pairs)
    groups = known.groupby(f.QUADRANT, sort=True) if split else [("", known)]
    for quadrant, rows in groups:
        _add_points(figure, rows, str(quadrant), colour, set(selected), picks or {},
                    details or {})
    _add_front(figure, known[known[f.PARETO]].sort_values(f.FINAL_LOSS))
    _add_names(figure, known, set(selected), picks or {})
    _add_guides(figure, known, split, baseline)
    figure.update_layout(title="final validation loss vs accuracy (click a point to select "
                               "its run)", uirevision="tradeoff",
                         xaxis_title="validation loss (lower is better)",
                         yaxis_title="validation accuracy", height=480,
                         legend={"orientation": "h", "y": -0.18},
                         margin={"t": 64, "l": 50, "r": 10, "b": 40})
    return figure


def _hover(rows: pd.DataFrame, label: str, details: Mapping[str, str]) -> list[str]:
    return [f"{plain(name)}<br>loss {loss:.4f} · accuracy {acc:.4f}"
            + (f"<br>{plain(details[run])}" if details.get(run) else "")
            + (f"<br>{label}" if label else "")
            for run, name, loss, acc in zip(rows[f.RUN_ID], rows[f.RUN_NAME].fillna(rows[f.RUN_ID]),
                                            rows[f.FINAL_LOSS], rows[f.FINAL_ACCURACY],
                                            strict=True)]


def _add_points(figure: go.Figure, rows: pd.DataFrame, quadrant: str,
                colour: Mapping[str, str], chosen: set[str], picks: Mapping[str, str],
                details: Mapping[str, str]) -> None:
    """One quadrant's runs, each in its colour, the quadrant by shape (a pick: a star); its
    key in the legend is the shape in grey."""
    runs = rows[f.RUN_ID].astype(str).to_numpy()
    ringed = np.isin(runs, list(chosen))
    picked = np.isin(runs, list(picks))
    symbol = QUADRANT_SYMBOLS.get(quadrant, "circle")
    label = QUADRANT_LABELS.get(quadrant, "")
    figure.add_trace(go.Scatter(
        x=rows[f.FINAL_LOSS].to_numpy(), y=rows[f.FINAL_ACCURACY].to_numpy(), mode="markers",
        name=label or "runs", customdata=runs, showlegend=False,
        hovertext=_hover(rows, label, details), hovertemplate="%{hovertext}<extra></extra>",
        marker={"size": _one_or_each(np.where(picked, 18, np.where(ringed, 16, 11))),
                "symbol": _one_or_each(np.where(picked, PICK, symbol)),
                "opacity": _one_or_each(np.where(ringed | picked | (not chosen), 1.0, 0.35)),
                "line": {"width": _one_or_each(np.where(ringed, 3, 0.5)), "color": "black"},
                "color": [colour.get(r, KEY_COLOUR) for r in runs]}))
    figure.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label or "runs",
                                hoverinfo="skip", marker={"symbol": symbol, "size": 10,
                                                          "color": KEY_COLOUR}))


def _one_or_each(values: np.ndarray) -> Any:
    """One value when every point has it: plotly then styles the points together rather than
    one by one (measured: a 1000-point scatter draws in 85 ms rather than 120 ms)."""
    return values[0].item() if len(values) and (values == values[0]).all() else values


def _add_front(figure: go.Figure, front: pd.DataFrame) -> None:
    """The Pareto front as a line, under the points and never taking their hover or click."""
    if len(front) < 2:
        return
    figure.add_trace(go.Scatter(x=front[f.FINAL_LOSS].to_numpy(),
                                y=front[f.FINAL_ACCURACY].to_numpy(), mode="lines",
                                name="Pareto front", hoverinfo="skip",
                                line={"color": GUIDE, "dash": "dot", "width": 1}))


def _add_names(figure: go.Figure, known: pd.DataFrame, chosen: set[str],
               picks: Mapping[str, str]) -> None:
    """The names of the picks, the selected runs and a short front, beside their points."""
    front = known[f.PARETO] & (known[f.PARETO].sum() <= NAMED_FRONT)
    named = known[known[f.RUN_ID].isin(chosen | set(picks)) | front].sort_values(f.FINAL_LOSS)
    if named.empty:
        return
    text = [plain(name) + (f" ★ {picks[run]}" if run in picks else "")
            for run, name in zip(named[f.RUN_ID], named[f.RUN_NAME].fillna(named[f.RUN_ID]),
                                 strict=True)]
    figure.add_trace(go.Scatter(x=named[f.FINAL_LOSS].to_numpy(),
                                y=named[f.FINAL_ACCURACY].to_numpy(), mode="text", text=text,
                                textposition=[LABEL_POSITIONS[i % len(LABEL_POSITIONS)]
                                              for i in range(len(named))],
                                hoverinfo="skip", showlegend=False, cliponaxis=False,
                                textfont={"size": 11}))


def _add_guides(figure: go.Figure, known: pd.DataFrame, split: bool,
                baseline: float | None) -> None:
    """The medians and the quadrants' names when there are enough runs to split (else say
    so), and the majority-class baseline."""
    if split:
        figure.add_vline(x=float(known[f.FINAL_LOSS].median()), line={"color": "#bbbbbb"})
        figure.add_hline(y=float(known[f.FINAL_ACCURACY].median()), line={"color": "#bbbbbb"})
        for quadrant, (x, y, xanchor, yanchor) in CORNERS.items():
            figure.add_annotation(text=QUADRANT_LABELS[quadrant], x=x, y=y, xref="x domain",
                                  yref="y domain", xanchor=xanchor, yanchor=yanchor,
                                  showarrow=False, font={"size": 12, "color": "#555555"})
    elif len(known):
        figure.add_annotation(
            text=f"{len(known)} run{'s' if len(known) != 1 else ''}: too few to split into "
                 "quadrants at the medians",
            x=0.5, y=1, xref="x domain", yref="y domain", yanchor="top", showarrow=False)
    if baseline is not None:
        figure.add_hline(y=baseline, line={"dash": "dot", "color": GUIDE},
                         annotation_text="majority-class baseline",
                         annotation_position="top")  # the corners hold the quadrants' names


def _add_disagreements(figure: go.Figure, known: pd.DataFrame,
                       pairs: Iterable[tuple[str, str]]) -> None:
    """One trace of dotted segments: each pair where one run has the higher accuracy and the
    other the lower loss."""
    loss, accuracy = known[f.FINAL_LOSS], known[f.FINAL_ACCURACY]
    x: list[float | None] = []
    y: list[float | None] = []
    for a, b in pairs:
        if a in known.index and b in known.index:
            x += [float(loss[a]), float(loss[b]), None]
            y += [float(accuracy[a]), float(accuracy[b]), None]
    if x:
        figure.add_trace(go.Scatter(x=x, y=y, mode="lines", name="disagree (accuracy vs loss)",
                                    hoverinfo="skip", line={"color": "#ff7f0e", "dash": "dot"}))
