"""Each chart's zoom, as the URL keeps it (`loss_x=10,60`) and as plotly reports it.

A zoom is a sorted tuple of (axis, low, high), the axis one of AXES: `loss_x`, `loss_y`,
`accuracy_x`, ... Plotly sends a chart's new ranges in its `relayoutData` (`xaxis.range[0]` and
`xaxis.range[1]`, or `xaxis.autorange` when the user double-clicks back); a range from a link is
two finite numbers, low below high, or it is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dashboard import ids

PANELS = {ids.LOSS_CURVES: "loss", ids.ACCURACY_CURVES: "accuracy", ids.TRADEOFF: "tradeoff"}
AXES = tuple(f"{panel}_{axis}" for panel in PANELS.values() for axis in "xy")
Zoom = tuple[tuple[str, float, float], ...]


def parsed_range(text: object) -> tuple[float, float] | None:
    """`"low,high"` from a link as two finite numbers, low below high; None otherwise."""
    if not isinstance(text, str) or text.count(",") != 1:
        return None
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        return None
    return (low, high) if math.isfinite(low) and math.isfinite(high) and low < high else None


def zoom_from_query(first: Mapping[str, str]) -> Zoom:
    """The zoom a link's query parameters hold (each axis's first value)."""
    found = {axis: parsed_range(first.get(axis)) for axis in AXES}
    return tuple((axis, *span) for axis, span in found.items() if span is not None)


def zoom_query(zoom: Zoom) -> dict[str, str]:
    """The zoom as query parameters, six significant digits (plotly reports 16)."""
    return {axis: f"{low:.6g},{high:.6g}" for axis, low, high in zoom}


def zoomed(zoom: Zoom, graph_id: object, relayout: object) -> Zoom:
    """`zoom` after the chart `graph_id` reported `relayout` (anything else: unchanged)."""
    panel = PANELS.get(graph_id) if isinstance(graph_id, str) else None
    if panel is None or not isinstance(relayout, dict):
        return zoom
    ranges = {axis: (low, high) for axis, low, high in zoom}
    for axis in "xy":
        key = f"{panel}_{axis}"
        if relayout.get(f"{axis}axis.autorange"):
            ranges.pop(key, None)
        elif (span := _reported(relayout, axis)) is not None:
            ranges[key] = span
    return tuple((axis, *ranges[axis]) for axis in AXES if axis in ranges)


def _reported(relayout: dict[str, Any], axis: str) -> tuple[float, float] | None:
    span = relayout.get(f"{axis}axis.range")
    low, high = span if isinstance(span, list) and len(span) == 2 else (
        relayout.get(f"{axis}axis.range[0]"), relayout.get(f"{axis}axis.range[1]"))
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
    return parsed_range(f"{low},{high}") if numbers else None


def without(zoom: Zoom, axes: tuple[str, ...]) -> Zoom:
    """`zoom` less the ranges of `axes`."""
    return tuple(entry for entry in zoom if entry[0] not in axes)


def axis_ranges(zoom: Zoom, panel: str) -> dict[str, dict[str, list[float]]]:
    """The layout that opens `panel` ("loss", ...) at its zoom: `{"xaxis": {"range": ...}}`."""
    return {f"{axis[-1]}axis": {"range": [low, high]} for axis, low, high in zoom
            if axis.startswith(f"{panel}_")}
