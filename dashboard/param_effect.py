"""The param-effect view: pick a param, see each run's final validation loss and accuracy
against its value, side by side, with the median per value joined as a line (the effect)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd

from analysis import frames as f
from dashboard.figures import GUIDE, plain
from dashboard.plot_json import Figure, Trace, figure, merged, note, side_by_side

LOG_SPAN = 100  # positive numeric values spanning this factor or more get a log axis
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
    """"log" for positive numbers over two decades or more, "linear" for other numbers,
    "category" for text."""
    if not pd.api.types.is_numeric_dtype(values):
        return "category"
    positive = len(values) and (values > 0).all()
    return "log" if positive and values.max() / values.min() >= LOG_SPAN else "linear"


def param_effect_figure(table: pd.DataFrame, runs: pd.DataFrame, param: str | None,
                        colours: Mapping[str, str], selected: Collection[str] = ()) -> Figure:
    """Final loss (left) and accuracy (right) against `param`, a point per run in its colour
    (the selected ones larger), the median per value as a grey line."""
    values = param_values(table, runs, param) if param else pd.Series(dtype="object")
    order = sorted(values.unique(), key=lambda v: (isinstance(v, str), v))
    data: list[Trace] = []
    for column, (measure, title) in enumerate(MEASURES, start=1):
        data += _measure(table.loc[values.index, measure], values, order, column, title,
                         colours, set(selected), table.loc[values.index, f.RUN_NAME])
    axis = {"title": {"text": plain(param or "")}, "type": axis_type(values),
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
    """One measure's points against the param, and its median per value as a line."""
    runs = [str(r) for r in values.index]
    hover = [f"{plain(name if isinstance(name, str) else run)}<br>{plain(value)}: {y:.4f}"
             for run, name, value, y in zip(runs, names, values, measure, strict=True)]
    axes = {"xaxis": f"x{column}", "yaxis": f"y{column}"} if column > 1 else {}
    traces = [{"type": "scatter", "x": values.to_list(), "y": measure.to_numpy(),
               "mode": "markers", "customdata": runs, "hovertext": hover,
               "hovertemplate": "%{hovertext}<extra></extra>", "name": title,
               "marker": {"size": [14 if r in selected else 9 for r in runs],
                          "color": [colours.get(r, GUIDE) for r in runs],
                          "line": {"width": 0.5, "color": "black"}}, **axes}]
    medians = measure.groupby(values).median().reindex(order)
    if len(medians) > 1:
        traces.append({"type": "scatter", "x": list(medians.index), "y": medians.to_numpy(),
                       "mode": "lines", "name": "median", "hoverinfo": "skip",
                       "line": {"color": GUIDE, "width": 1.5}, **axes})
    return traces
