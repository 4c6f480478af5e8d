"""Frames -> plotly figures, nothing else. Run names are escaped: plotly reads a little HTML."""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboard.analysis import frames as f
from dashboard.analysis.tradeoff import QUADRANTS

QUADRANT_COLOURS = dict(zip(QUADRANTS, ["#d62728", "#9467bd", "#2ca02c", "#7f7f7f"],
                            strict=True))
SPLIT_DASH = {"val": "solid", "train": "dash"}


def plain(text: object) -> str:
    """Text as plotly shows it, never as markup: `<b>` and `<a href>` stay literal."""
    return html.escape(str(text), quote=True)


def run_colours(run_ids: Iterable[object]) -> dict[str, str]:
    """One colour per run, the same in every panel (train and validation lines alike)."""
    palette = qualitative.D3 + qualitative.Set2
    return {r: palette[i % len(palette)] for i, r in enumerate(sorted(map(str, run_ids)))}


def curves_figure(curves: pd.DataFrame, names: pd.Series, metric: str,
                  baseline: float | None = None, log_y: bool = False,
                  divergence: pd.Series | None = None) -> go.Figure:
    """One line per run and split: validation solid, train dashed, x = epoch; an x marks
    where each run's validation loss started rising while accuracy held (`divergence`)."""
    figure = go.Figure()
    picked = curves[curves[f.METRIC] == metric].sort_values(f.EPOCH)
    colour = run_colours(picked[f.RUN_ID].unique())
    for (run_id, split), points in picked.groupby([f.RUN_ID, f.SPLIT], sort=True):
        name = plain(names.get(run_id, run_id))
        figure.add_trace(go.Scatter(
            x=points[f.EPOCH].to_numpy(), y=points[f.VALUE].to_numpy(), mode="lines",
            name=f"{name} ({split})", legendgroup=str(run_id),
            line={"dash": SPLIT_DASH.get(str(split), "dot"), "color": colour[str(run_id)]}))
    if divergence is not None:
        _mark_divergence(figure, picked, divergence.dropna(), names, colour)
    if baseline is not None and metric == "accuracy":
        figure.add_hline(y=baseline, line={"dash": "dot", "color": "black"},
                         annotation_text="majority-class baseline")
    figure.update_layout(title=f"{metric} per epoch", xaxis_title="epoch", yaxis_title=metric,
                         yaxis_type="log" if log_y else "linear",
                         margin={"t": 40, "l": 50, "r": 10, "b": 40}, height=420)
    return figure


def _mark_divergence(figure: go.Figure, picked: pd.DataFrame, epochs: pd.Series,
                     names: pd.Series, colour: dict[str, str]) -> None:
    val = picked[picked[f.SPLIT] == "val"].set_index([f.RUN_ID, f.EPOCH])[f.VALUE]
    at = [(str(r), float(e)) for r, e in epochs.items() if (r, e) in val.index]
    if not at:
        return
    figure.add_trace(go.Scatter(
        x=[e for _, e in at], y=[float(val[(r, e)]) for r, e in at], mode="markers",
        name="divergence", marker={"symbol": "x", "size": 12,
                                   "color": [colour.get(r, "black") for r, _ in at]},
        text=[plain(names.get(r, r)) for r, _ in at],
        hovertemplate="%{text}: loss rising from epoch %{x}<extra></extra>"))


def tradeoff_figure(table: pd.DataFrame) -> go.Figure:
    """Final validation loss against accuracy, coloured by quadrant, split at the medians."""
    figure = go.Figure()
    known = table.dropna(subset=["final_loss", "final_accuracy"])
    for quadrant, rows in known.groupby("quadrant", sort=True):
        figure.add_trace(go.Scatter(
            x=rows["final_loss"].to_numpy(), y=rows["final_accuracy"].to_numpy(),
            mode="markers", name=str(quadrant), customdata=rows["run_id"].to_numpy(),
            text=[plain(n) for n in rows["run_name"]], hovertemplate="%{text}<br>loss %{x:.4f}"
            "<br>accuracy %{y:.4f}<extra></extra>",
            marker={"size": 11, "color": QUADRANT_COLOURS.get(str(quadrant))}))
    front = known[known["pareto"]].sort_values("final_loss")
    figure.add_trace(go.Scatter(x=front["final_loss"].to_numpy(),
                                y=front["final_accuracy"].to_numpy(), mode="lines",
                                name="Pareto front", line={"color": "black", "dash": "dot"}))
    if not known.empty:
        figure.add_vline(x=float(known["final_loss"].median()), line={"color": "#bbbbbb"})
        figure.add_hline(y=float(known["final_accuracy"].median()), line={"color": "#bbbbbb"})
    figure.update_layout(title="final validation loss vs accuracy (lines: medians)",
                         xaxis_title="validation loss (lower is better)",
                         yaxis_title="validation accuracy", height=460,
                         margin={"t": 40, "l": 50, "r": 10, "b": 40})
    return figure
