"""The trade-off scatter in the reviewer's words: final validation loss against accuracy,
each quadrant named on the plot, each run in its own colour (quadrant by marker shape), the
front, the picks and the selection named, the majority-class baseline as a line."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis import frames as f
from analysis.tradeoff import (
    HIGH_ACC_HIGH_LOSS,
    HIGH_ACC_LOW_LOSS,
    LOW_ACC_HIGH_LOSS,
    LOW_ACC_LOW_LOSS,
)
from dashboard.figures import GUIDE, plain, run_colours
from dashboard.plot_json import Figure, Trace, figure
from dashboard.tradeoff_guides import (
    MIN_RUNS_FOR_QUADRANTS,
    QUADRANT_LABELS,
    contenders_view,
    guides,
)
from dashboard.units import SPREAD

QUADRANT_SYMBOLS = {HIGH_ACC_HIGH_LOSS: "diamond", LOW_ACC_LOW_LOSS: "square",
                    HIGH_ACC_LOW_LOSS: "circle", LOW_ACC_HIGH_LOSS: "triangle-down"}
NAMED_FRONT = 5  # a front of more runs than this is not named run by run
# named points take turns above and below their point, so that two close ones do not overwrite;
# near the left or right edge a name runs inwards, never over the axis's tick labels
EDGE = 0.3  # of the loss range, from either side
NEAR = 0.05  # of the loss range: names of points closer than this in x would collide
KEY_COLOUR = "#888888"
PICK = "star"
# a reviewed run's outline: its status at a glance, its fill still the run's own colour
REVIEW_OUTLINES = {"chosen": "#1a7f37", "shortlisted": "#d4a017", "rejected": "#cf222e"}
# room for the tick labels, axis titles and the legend below: a margin automargin must grow
# draws the chart twice (measured: 1000 points drew in 215 ms with the margin grown, 120 without)
MARGIN = {"t": 64, "l": 72, "r": 10, "b": 116}


def tradeoff_figure(table: pd.DataFrame, selected: Collection[str] = (),
                    pairs: Iterable[tuple[str, str]] = (), *,
                    colours: Mapping[str, str] | None = None,
                    picks: Mapping[str, str] | None = None, baseline: float | None = None,
                    details: Mapping[str, str] | None = None,
                    reviews: Mapping[str, str] | None = None) -> Figure:
    """The scatter of `table`'s candidates (a sweep's parent is not one). `picks`: run id ->
    what it wins ("lowest loss"), drawn as a star and named; `details`: run id -> the params
    that tell it apart, shown on hover; `reviews`: run id -> its review status, outlined in
    that status's colour; `pairs` that disagree joined by a dotted line."""
    known = table[table[f.CHILD_RUNS] == 0].dropna(subset=[f.FINAL_LOSS, f.FINAL_ACCURACY])
    colour = {**run_colours(known[f.RUN_ID]), **(colours or {})}
    split = len(known) >= MIN_RUNS_FOR_QUADRANTS
    groups = known.groupby(f.QUADRANT, sort=True) if split else [("", known)]
    marks = Marks(set(selected), picks or {}, details or {}, reviews or {})
    data = _disagreements(known.set_index(f.RUN_ID), pairs)
    for quadrant, rows in groups:
        data += _points(rows, str(quadrant), colour, marks)
    data += _review_keys(set(marks.reviews.values()))
    data += _front(known[known[f.PARETO]].sort_values(f.FINAL_LOSS))
    data += _names(known, marks.selected, marks.picks)
    xaxis, yaxis = contenders_view(known, baseline, marks.selected)
    return figure(data, title={"text": "final validation loss vs accuracy (click a point to "
                                       "select its run)"}, uirevision="tradeoff",
                  xaxis=xaxis, yaxis=yaxis, height=480,
                  legend={"orientation": "h", "y": -0.18}, margin=MARGIN,
                  **guides(known, split, baseline))


@dataclass(frozen=True)
class Marks:
    """What sets a point apart beyond its quadrant, by run id."""

    selected: set[str]  # the page's selection: ringed
    picks: Mapping[str, str]  # what it wins: a star
    details: Mapping[str, str]  # the params that tell it apart: on hover
    reviews: Mapping[str, str]  # its review status: the outline's colour


def _hover(rows: pd.DataFrame, label: str, marks: Marks) -> list[str]:
    nan = pd.Series(np.nan, index=rows.index)
    spreads = (rows.get(f.FINAL_LOSS + SPREAD, nan), rows.get(f.FINAL_ACCURACY + SPREAD, nan))
    return [f"{plain(name)}<br>loss {loss:.4f} · accuracy {acc:.4f}"
            + (f"<br>± {sd_loss:.4f} · ± {sd_acc:.4f} (sd over seeds)" if sd_loss == sd_loss
               else "")
            + (f"<br>{plain(marks.details[run])}" if marks.details.get(run) else "")
            + (f"<br>{label}" if label else "")
            + (f"<br>review: {plain(marks.reviews[run])}" if run in marks.reviews else "")
            for run, name, loss, acc, sd_loss, sd_acc in zip(
                rows[f.RUN_ID], rows[f.RUN_NAME].fillna(rows[f.RUN_ID]), rows[f.FINAL_LOSS],
                rows[f.FINAL_ACCURACY], *spreads, strict=True)]


def _points(rows: pd.DataFrame, quadrant: str, colour: Mapping[str, str],
            marks: Marks) -> list[Trace]:
    """One quadrant's runs, each in its colour, the quadrant by shape (a pick: a star), a
    reviewed run outlined in its status's colour; its key in the legend is the shape in grey."""
    runs = rows[f.RUN_ID].astype(str).to_numpy()
    ringed = np.isin(runs, list(marks.selected))
    picked = np.isin(runs, list(marks.picks))
    status = np.array([marks.reviews.get(r, "") for r in runs], dtype=object)
    reviewed = status != ""
    symbol = QUADRANT_SYMBOLS.get(quadrant, "circle")
    label = QUADRANT_LABELS.get(quadrant, "")
    points = {
        "type": "scatter", "x": rows[f.FINAL_LOSS].to_numpy(),
        "y": rows[f.FINAL_ACCURACY].to_numpy(), "mode": "markers", "name": label or "runs",
        "customdata": runs, "showlegend": False, "hovertext": _hover(rows, label, marks),
        "hovertemplate": "%{hovertext}<extra></extra>",
        "marker": {"size": _one_or_each(np.where(picked, 18, np.where(ringed, 16, 11))),
                   "symbol": _one_or_each(np.where(picked, PICK, symbol)),
                   "opacity": _one_or_each(np.where(ringed | picked | (not marks.selected),
                                                    1.0, 0.35)),
                   "line": {"width": _one_or_each(np.where(ringed, 3, np.where(reviewed, 2.5,
                                                                               0.5))),
                            "color": _one_or_each(np.array([REVIEW_OUTLINES.get(s, "black")
                                                            for s in status]))},
                   "color": [colour.get(r, KEY_COLOUR) for r in runs]}}
    for axis, measure in (("error_x", f.FINAL_LOSS), ("error_y", f.FINAL_ACCURACY)):
        if (bars := _error_bars(rows, measure)) is not None:
            points[axis] = bars
    key = {"type": "scatter", "x": [None], "y": [None], "mode": "markers",
           "name": label or "runs", "hoverinfo": "skip",
           "marker": {"symbol": symbol, "size": 10, "color": KEY_COLOUR}}
    return [points, key]


def _error_bars(rows: pd.DataFrame, measure: str) -> dict[str, Any] | None:
    """A seed group's ± 1 standard deviation over its seeds, where the rows carry one."""
    spread = measure + SPREAD
    if spread not in rows or not rows[spread].notna().any():
        return None
    return {"type": "data", "array": rows[spread].fillna(0).to_numpy(), "visible": True,
            "color": GUIDE, "thickness": 1, "width": 3}


def _review_keys(statuses: set[str]) -> list[Trace]:
    """A legend key for each review status on the plot: a hollow ring in its colour."""
    return [{"type": "scatter", "x": [None], "y": [None], "mode": "markers",
             "name": f"reviewed {status} (outline)", "hoverinfo": "skip",
             "marker": {"symbol": "circle-open", "size": 11, "color": outline,
                        "line": {"width": 2.5}}}
            for status, outline in REVIEW_OUTLINES.items() if status in statuses]


def _one_or_each(values: np.ndarray) -> Any:
    """One value when every point has it: plotly then styles the points together rather than
    one by one (measured: a 1000-point scatter draws in 85 ms rather than 120 ms)."""
    return values[0].item() if len(values) and (values == values[0]).all() else values


def _front(front: pd.DataFrame) -> list[Trace]:
    """The Pareto front as a line, under the points and never taking their hover or click."""
    if len(front) < 2:
        return []
    return [{"type": "scatter", "x": front[f.FINAL_LOSS].to_numpy(),
             "y": front[f.FINAL_ACCURACY].to_numpy(), "mode": "lines", "name": "Pareto front",
             "hoverinfo": "skip", "line": {"color": GUIDE, "dash": "dot", "width": 1}}]


def _names(known: pd.DataFrame, chosen: set[str], picks: Mapping[str, str]) -> list[Trace]:
    """The names of the picks, the selected runs and a short front, beside their points."""
    front = known[f.PARETO] & (known[f.PARETO].sum() <= NAMED_FRONT)
    named = known[known[f.RUN_ID].isin(chosen | set(picks)) | front].sort_values(f.FINAL_LOSS)
    if named.empty:
        return []
    text = [plain(name) + (f" ★ {picks[run]}" if run in picks else "")
            for run, name in zip(named[f.RUN_ID], named[f.RUN_NAME].fillna(named[f.RUN_ID]),
                                 strict=True)]
    return [{"type": "scatter", "x": named[f.FINAL_LOSS].to_numpy(),
             "y": named[f.FINAL_ACCURACY].to_numpy(), "mode": "text", "text": text,
             "textposition": label_positions(named[f.FINAL_LOSS], named[f.FINAL_ACCURACY],
                                             known[f.FINAL_LOSS]),
             "hoverinfo": "skip", "showlegend": False, "cliponaxis": False,
             # a halo of the background's colour: legible over the points
             "textfont": {"size": 11, "shadow": "auto"}}]


def label_positions(x: pd.Series, y: pd.Series, every: pd.Series) -> list[str]:
    """Where each name goes beside its point at (`x`, `y`), `x` among `every` point's x: to the
    right near the left edge, to the left near the right edge; of points close in x, the upper
    one's name above it, the lowest one's below (so names never cross) and any between beside
    theirs; the others alternately above and below."""
    low, high = float(every.min()), float(every.max())
    span = (high - low) or 1.0
    xs, ys = x.astype(float).tolist(), y.astype(float).tolist()  # floats: inf - inf is nan
    vertical = ["top" if i % 2 == 0 else "bottom" for i in range(len(xs))]
    for cluster in _close_in_x(xs, span * NEAR):
        if len(cluster) > 1:
            ranked = sorted(cluster, key=lambda i: -ys[i])
            for i in ranked[1:-1]:
                vertical[i] = "middle"
            vertical[ranked[0]], vertical[ranked[-1]] = "top", "bottom"
    return [f"{v} " + ("right" if (u - low) / span < EDGE else "left"
                       if (high - u) / span < EDGE else "center")
            for v, u in zip(vertical, xs, strict=True)]


def _close_in_x(xs: list[float], near: float) -> list[list[int]]:
    """Indices of `xs` (ascending) in runs whose neighbours are within `near` of each other."""
    clusters: list[list[int]] = []
    for i, value in enumerate(xs):
        if clusters and value - xs[clusters[-1][-1]] <= near:
            clusters[-1].append(i)
        else:
            clusters.append([i])
    return clusters


def _disagreements(known: pd.DataFrame, pairs: Iterable[tuple[str, str]]) -> list[Trace]:
    """One trace of dotted segments: each pair where one run has the higher accuracy and the
    other the lower loss."""
    loss, accuracy = known[f.FINAL_LOSS], known[f.FINAL_ACCURACY]
    x: list[float | None] = []
    y: list[float | None] = []
    for a, b in pairs:
        if a in known.index and b in known.index:
            x += [float(loss[a]), float(loss[b]), None]
            y += [float(accuracy[a]), float(accuracy[b]), None]
    if not x:
        return []
    return [{"type": "scatter", "x": x, "y": y, "mode": "lines",
             "name": "disagree (accuracy vs loss)", "hoverinfo": "skip",
             "line": {"color": GUIDE, "dash": "dash", "width": 1.5}}]  # no run's colour
