"""Figures as the JSON plotly.js reads, built as plain dicts rather than `go.Figure`s.

A `go.Figure` validates every property as it is set. Measured on the demo (24 runs, 230 traces
a view), that was about 60% of a redraw; on a 1000-run page, a third of the answer's time. The
builders write the JSON itself, and the unit tests hold each one to plotly's schema instead
(`go.Figure(figure)` validates a dict and raises on any unknown property), so a typo fails
there rather than in a user's browser. This module has what `go.Figure` did for us: its
default template, lines across a plot, a row of subplots, and numeric arrays sent base64-encoded.
"""

from __future__ import annotations

import base64
import json
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

Figure = dict[str, Any]  # {"data": [trace, ...], "layout": {...}}
Trace = dict[str, Any]
TEMPLATE = "package_data/templates/plotly.json"
SUBPLOT_TITLE = {"size": 16}  # as plotly's make_subplots writes them
TYPED = {"float64": "f8", "float32": "f4", "int32": "i4", "int16": "i2", "int8": "i1",
         "uint32": "u4", "uint16": "u2", "uint8": "u1"}  # numpy -> plotly.js typed arrays


@cache
def template() -> dict[str, Any]:
    """The layout part of plotly's default template, "plotly" (what a `go.Figure` is drawn
    with); its trace defaults for 40-odd trace types are left out: the page draws scatters
    only. Read from plotly's JSON file: `plotly.io.templates` would validate it first, 0.1 s
    of a server's first answer."""
    return {"layout": json.loads(pkgutil.get_data("plotly", TEMPLATE) or b"{}")["layout"]}


def figure(data: list[Trace] | None = None, **layout: Any) -> Figure:
    """A figure of `data` with `layout` over the default template."""
    return {"data": list(data or []), "layout": {"template": template(), **layout}}


def with_layout(shown: Figure, **layout: Any) -> Figure:
    """`shown` with `layout` merged into its layout, nested dicts key by key."""
    return {**shown, "layout": merged(shown["layout"], layout)}


def merged(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """`base` updated by `update`, nested dicts key by key."""
    result = dict(base)
    for key, value in update.items():
        old = result.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        result[key] = merged(old, value) if both else value  # type: ignore[arg-type]
    return result


def hline(y: float, line: dict[str, Any]) -> dict[str, Any]:
    """A shape: a line across the plot at `y`."""
    return {"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": y, "y1": y,
            "yref": "y", "line": line}


def vline(x: float, line: dict[str, Any]) -> dict[str, Any]:
    """A shape: a line from the bottom of the plot to its top at `x`."""
    return {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1,
            "yref": "y domain", "line": line}


def note(text: str, **placed: Any) -> dict[str, Any]:
    """An annotation without an arrow, placed by `placed` (x, y, xref, anchors, font)."""
    return {"text": text, "showarrow": False, **placed}


def side_by_side(titles: tuple[str, str], spacing: float) -> dict[str, Any]:
    """The layout of two subplots in a row (x/y left, x2/y2 right), each titled above: what
    `make_subplots(rows=1, cols=2)` writes."""
    width = (1 - spacing) / 2
    domains = ([0.0, width], [round(1 - width, 12), 1.0])
    return {
        "xaxis": {"anchor": "y", "domain": domains[0]},
        "xaxis2": {"anchor": "y2", "domain": domains[1]},
        "yaxis": {"anchor": "x", "domain": [0.0, 1.0]},
        "yaxis2": {"anchor": "x2", "domain": [0.0, 1.0]},
        "annotations": [note(title, x=sum(domain) / 2, y=1.0, xref="paper", yref="paper",
                             xanchor="center", yanchor="bottom", font=SUBPLOT_TITLE)
                        for title, domain in zip(titles, domains, strict=True)]}


def encoded(value: Any) -> Any:
    """`value` (a figure, or anything in one) with each numeric numpy array as plotly.js's
    base64 typed array, as `go.Figure` sends them: a third to a half of the bytes of JSON
    numbers, and decoded faster. Plotly's own encoder is private (`_plotly_utils`)."""
    if isinstance(value, dict):
        return {key: encoded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encoded(item) for item in value]
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return _typed(value)
    return value


def _typed(values: np.ndarray) -> Any:
    if values.dtype.kind in "iu" and len(values):
        small = np.int32 if values.dtype.kind == "i" else np.uint32
        if np.iinfo(small).min <= values.min() and values.max() <= np.iinfo(small).max:
            values = values.astype(small)
    code = TYPED.get(str(values.dtype))
    if code is None:  # strings, objects, booleans, int64 past int32: plain JSON
        return values
    little = values.astype(values.dtype.newbyteorder("<"), copy=False)
    return {"dtype": code, "bdata": base64.b64encode(little.tobytes()).decode("ascii")}
