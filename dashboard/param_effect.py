"""The param-effect view: pick a param, see each run's final validation loss and accuracy
against its value, side by side, with the median per value (the effect): joined as a line
where the values have an order, a mark per value where they are names. Opens on the param
that explains most of the spread in the chosen objective's measure."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from analysis import frames as f
from analysis.seed_groups import is_seed
from dashboard.figures import GUIDE, plain
from dashboard.plot_json import Figure, Trace, figure, merged, note, side_by_side

LOG_SPAN = 100  # positive numeric values spanning this factor or more get a log axis
MAX_SLOTS = 12  # numbers with a zero spanning decades: as slots only when this few distinct
DIGITS = re.compile(r"(\d+(?:\.\d+)?)")
MEASURES = [(f.FINAL_LOSS, "final validation loss"),
            (f.FINAL_ACCURACY, "final validation accuracy")]


def param_values(table: pd.DataFrame, runs: pd.DataFrame, param: str) -> pd.Series:
    """The candidates' values of `param` (run id -> value; numbers when every one is one),
    for the runs with a final loss and accuracy; a run that did not log it is left out."""
    known = table[table[f.CHILD_RUNS] == 0].dropna(subset=[f.FINAL_LOSS, f.FINAL_ACCURACY])
    column = f.PARAM_PREFIX + param
    logged = runs.set_index(f.RUN_ID).reindex(columns=[column])[column]
    values = logged.reindex(known.index).dropna().astype(str)
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers if len(values) and numbers.notna().all() else values


def axis_type(values: pd.Series) -> str:
    """"log" for positive numbers over two decades or more, "category" for text and for
    numbers over two decades with a zero or below (weight decay 0, 1e-4, 0.3, 5: on a linear
    axis all but the largest piled up at 0; as categories each is a slot, in numeric order),
    "linear" for other numbers."""
    if not pd.api.types.is_numeric_dtype(values):
        return "category"
    positive = values[values > 0]
    spans = len(positive) > 1 and positive.max() / positive.min() >= LOG_SPAN
    if spans and len(positive) == len(values):
        return "log"
    return "category" if spans and values.nunique() <= MAX_SLOTS else "linear"


def natural_key(value: object) -> tuple[object, ...]:
    """Sorts numbers by value and text with its numbers as numbers: 2, 8, 64, 128x128, 256."""
    if not isinstance(value, str):
        return (0, float(value))  # type: ignore[arg-type]
    parts = DIGITS.split(value)
    return (1, *((float(p), "") if i % 2 else (0.0, p) for i, p in enumerate(parts)))


def strongest_param(table: pd.DataFrame, runs: pd.DataFrame, names: list[str],
                    measure: str) -> str | None:
    """Of `names`, the param whose values explain the largest share of the spread in
    `measure` over the runs (epsilon squared: the between-value sum of squares, less what
    that many values would explain by chance, over the total). A seed explains only noise,
    and a param with a value per run explains everything and nothing: they come last."""
    def share(name: str) -> float:
        values = param_values(table, runs, name)
        y = table.loc[values.index, measure].astype(float)
        kept = np.isfinite(y)
        values, y = values[kept], y[kept]
        levels, n = values.nunique(), len(values)
        total = float(((y - y.mean()) ** 2).sum())
        if is_seed(name) or levels in (0, 1, n) or total == 0:
            return -1.0
        between = float(((y.groupby(values).transform("mean") - y.mean()) ** 2).sum())
        within = (total - between) / (n - levels)
        return float((between - (levels - 1) * within) / total)

    return max(names, key=share, default=None)


def param_effect_figure(table: pd.DataFrame, runs: pd.DataFrame, param: str | None,
                        colours: Mapping[str, str], selected: Collection[str] = ()) -> Figure:
    """Final loss (left) and accuracy (right) against `param`, a point per run in its colour
    (the selected ones larger), the median per value as a grey line."""
    values = param_values(table, runs, param) if param else pd.Series(dtype="object")
    order = sorted(values.unique(), key=natural_key)
    kind, ordered = axis_type(values), pd.api.types.is_numeric_dtype(values)
    if kind == "category" and ordered:  # numbers as slots, named as logged
        values, order = values.map("{:g}".format), [f"{v:g}" for v in order]
    data: list[Trace] = []
    for column, (measure, title) in enumerate(MEASURES, start=1):
        data += _measure(table.loc[values.index, measure], values, order, column, title,
                         colours, set(selected), table.loc[values.index, f.RUN_NAME])
        data += _medians(table.loc[values.index, measure], values, order, column, ordered)
    axis = {"title": {"text": plain(param or "")}, "type": kind,
            "categoryorder": "array", "categoryarray": order}
    layout = merged(side_by_side((MEASURES[0][1], MEASURES[1][1]), 0.08),
                    {"xaxis": axis, "xaxis2": axis})
    if values.empty:
        layout["annotations"].append(note(
            "Pick a param that runs logged." if param else "No param differs between these "
            "runs.", x=0.5, y=0.5, xref="paper", yref="paper"))
    return figure(data, **layout, height=380, showlegend=False, uirevision=f"param-{param}",
                  margin={"t": 40, "l": 50, "r": 10, "b": 54})  # drawn once: see figures.py


def _measure(measure: pd.Series, values: pd.Series, order: list[object], column: int,
             title: str, colours: Mapping[str, str], selected: set[str],
             names: pd.Series) -> list[Trace]:
    """One measure's points against the param."""
    runs = [str(r) for r in values.index]
    hover = [f"{plain(name if isinstance(name, str) else run)}<br>{plain(value)}: {y:.4f}"
             for run, name, value, y in zip(runs, names, values, measure, strict=True)]
    return [{"type": "scatter", "x": values.to_list(), "y": measure.to_numpy(),
             "mode": "markers", "customdata": runs, "hovertext": hover,
             "hovertemplate": "%{hovertext}<extra></extra>", "name": title,
             "marker": {"size": [14 if r in selected else 9 for r in runs],
                        "color": [colours.get(r, GUIDE) for r in runs],
                        "line": {"width": 0.5, "color": "black"}}, **_axes(column)}]


def _medians(measure: pd.Series, values: pd.Series, order: list[object], column: int,
             ordered: bool) -> list[Trace]:
    """The median per value: a line through numbers, a bar across each value that is text
    (a line through names in an order of our choosing would invent a trend)."""
    medians = measure.groupby(values).median().reindex(order)
    if len(medians) < 2:
        return []
    shape = ({"mode": "lines", "line": {"color": GUIDE, "width": 1.5}} if ordered else
             {"mode": "markers", "marker": {"symbol": "line-ew-open", "size": 28,
                                            "line": {"color": GUIDE, "width": 2}}})
    return [{"type": "scatter", "x": list(medians.index), "y": medians.to_numpy(),
             "name": "median", "hoverinfo": "skip", **shape, **_axes(column)}]


def _axes(column: int) -> dict[str, str]:
    """The subplot a trace is drawn on: the left one's axes are plotly's defaults."""
    return {"xaxis": f"x{column}", "yaxis": f"y{column}"} if column > 1 else {}
