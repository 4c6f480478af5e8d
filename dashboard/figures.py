"""Frames -> plotly figures, nothing else. Run names are escaped: plotly reads a little HTML."""

from __future__ import annotations

import html
from collections.abc import Collection, Iterable, Mapping

import numpy as np
import pandas as pd
from plotly.colors import convert_colors_to_same_type, qualitative, unlabel_rgb

from analysis import frames as f
from analysis.series import thin
from dashboard.plot_json import Figure, Trace, figure, hline

SPLIT_DASH = {"val": "solid", "train": "dash"}
GUIDE = "#777777"  # baselines and fronts: mid grey, readable on the light and the dark theme
MAX_LINES = 24  # runs drawn one trace each; beyond that the unselected share one trace
BACKGROUND = "rgba(110, 110, 110, 0.22)"
BACKGROUND_POINTS = 24  # per background run: its shape, not its detail (measured: 50 -> 24
# points cut a 1000-run page's callback answer from 1.7 to 1.0 MB and its first paint by ~0.4 s)
BACKGROUND_BUDGET = 12_000  # points in all: past 500 runs each gets fewer, down to MIN_POINTS
MIN_POINTS = 8
SPREAD = "std"  # a seed group's standard deviation beside its mean, per epoch
BAND_ALPHA = 0.18
# room for the axis titles and tick labels (a log axis's and three decimals' too): plotly's
# automargin grows a margin too small for them by drawing the chart again (measured: a
# 1000-run loss panel drew in 160 ms with the margin grown, in 95 ms without)
CURVES_MARGIN = {"t": 40, "l": 72, "r": 10, "b": 54}


def plain(text: object) -> str:
    """Text as plotly shows it, never as markup: `<b>` and `<a href>` stay literal."""
    return html.escape(str(text), quote=True)


# D3's ten without its grey (the guides' and the background's colour), then four more of
# distinct hues: Set2's pink and tan were near-copies of D3's pink and orange on screen
PALETTE = [c for c in qualitative.D3 if c != "#7F7F7F"] + [
    "rgb(27,158,119)", "rgb(230,171,2)", "rgb(231,41,138)", "rgb(141,160,203)"]


def run_colours(run_ids: Iterable[object]) -> dict[str, str]:
    """One colour per run, in the order of their ids (the page gives each seed group one:
    `dashboard.units.unit_colours`)."""
    return {r: PALETTE[i % len(PALETTE)] for i, r in enumerate(sorted(map(str, run_ids)))}


def curves_figure(curves: pd.DataFrame, names: pd.Series, metric: str, *,
                  selected: Collection[str] = (), baseline: float | None = None,
                  log_y: bool = False, divergence: pd.Series | None = None,
                  max_lines: int = MAX_LINES, webgl: bool = False,
                  colours: Mapping[str, str] | None = None, train: bool = True,
                  featured: Collection[str] = ()) -> Figure:
    """One line per run and split: validation solid, train dashed (unless `train` is off),
    x = epoch; selected runs bold and on top; each run in its colour (`colours`, the page's
    one per run), no legend: the runs table is the legend. With more than `max_lines` runs the
    unselected ones are one faint trace (validation only, each run thinned to
    BACKGROUND_POINTS points; `webgl`: a WebGL trace), but for the `featured` ones (the
    picks) while nothing is selected. An x marks where a run's validation
    loss started rising while accuracy held (`divergence`)."""
    data: list[Trace] = []
    picked = curves[curves[f.METRIC] == metric].sort_values(f.EPOCH)
    if not train:
        picked = picked[picked[f.SPLIT] != "train"]
    runs = sorted(map(str, picked[f.RUN_ID].unique()))
    chosen = [r for r in selected if r in set(runs)]
    crowded = len(runs) > max_lines
    if crowded:
        chosen = chosen or [r for r in featured if r in set(runs)]
        data += _background(picked[~picked[f.RUN_ID].isin(chosen)], webgl)
    colour = {**run_colours(runs), **(colours or {})}
    drawn = chosen if crowded else [r for r in runs if r not in chosen] + chosen
    for run_id in drawn:
        data += _run_lines(picked[picked[f.RUN_ID] == run_id], run_id,
                           plain(names.get(run_id, run_id)), colour[run_id],
                           emphasis=_emphasis(run_id, [r for r in chosen if r in selected]))
    marks = _divergence_marks(picked, divergence[divergence.index.isin(drawn)].dropna(),
                              names, colour) if divergence is not None else []
    x_title, shapes = "epoch", []
    if marks:  # said under the plot: the marks are no run's line
        x_title += "   (×: where validation loss began rising while accuracy held)"
    if baseline is not None and metric == "accuracy":  # named under the plot: clear of curves
        x_title += f"   (dotted: the majority-class baseline, {baseline:.3f})"
        shapes.append(hline(baseline, {"dash": "dot", "color": GUIDE}))
    title = f"{metric} per epoch" + (f" · {len(runs) - len(chosen)} more in grey (select to "
                                     "colour)" if crowded else "")
    epochs = curves[f.EPOCH].astype(float)  # both panels span every metric's epochs
    span = [float(epochs.min()), float(epochs.max())] if len(epochs) else []
    return figure(data + marks, title={"text": title},
                  xaxis={"title": {"text": x_title},
                         **({"range": span} if span and span[0] < span[1] else {})},
                  yaxis={"title": {"text": metric}, "type": "log" if log_y else "linear",
                         "exponentformat": "power"},  # 10⁻⁴, not "100µ", on a log axis
                  uirevision=metric, showlegend=False, height=420, margin=CURVES_MARGIN,
                  shapes=shapes)


def _emphasis(run_id: str, chosen: list[str]) -> str:
    return "normal" if not chosen else ("bold" if run_id in chosen else "faint")


def _run_lines(points: pd.DataFrame, run_id: str, name: str, colour: str,
               emphasis: str) -> list[Trace]:
    """A run's (or a seed group's mean) line per split; a group's validation line in a band of
    one standard deviation over its seeds (`std` beside the mean)."""
    width, opacity = {"normal": (2, 1.0), "bold": (4, 1.0), "faint": (1, 0.25)}[emphasis]
    traces = []
    for split, line in points.groupby(f.SPLIT, sort=True):
        spread = SPREAD in line and bool(line[SPREAD].notna().any())
        if spread and split == "val":
            traces.append(_band(line, colour, opacity))
        traces.append({
            "type": "scatter", "x": line[f.EPOCH].to_numpy(), "y": line[f.VALUE].to_numpy(),
            "mode": "lines", "name": f"{name} ({split})", "legendgroup": run_id,
            "opacity": opacity,
            "hovertemplate": f"{name} ({split})<br>epoch %{{x}}: %{{y:.4f}}"
                             + (" ± %{customdata:.4f} (mean ± sd over seeds)" if spread else "")
                             + "<extra></extra>",
            "line": {"dash": SPLIT_DASH.get(str(split), "dot"), "color": colour,
                     "width": width},
            **({"customdata": line[SPREAD].to_numpy()} if spread else {})})
    return traces


def _band(line: pd.DataFrame, colour: str, opacity: float) -> Trace:
    """mean ± std as one filled outline (up the top edge, back along the bottom), under the
    line, taking no hover or click."""
    known = line[line[SPREAD].notna()]
    x = known[f.EPOCH].to_numpy()
    upper = (known[f.VALUE] + known[SPREAD]).to_numpy()
    lower = (known[f.VALUE] - known[SPREAD]).to_numpy()
    return {"type": "scatter", "x": np.concatenate([x, x[::-1]]),
            "y": np.concatenate([upper, lower[::-1]]), "mode": "lines", "fill": "toself",
            "fillcolor": translucent(colour, BAND_ALPHA * opacity), "hoverinfo": "skip",
            "line": {"width": 0}, "name": "± 1 sd over seeds", "showlegend": False}


def translucent(colour: str, alpha: float) -> str:
    """`#1f77b4` or `rgb(...)` as `rgba(r, g, b, alpha)`."""
    red, green, blue = unlabel_rgb(convert_colors_to_same_type(colour, "rgb")[0][0])
    return f"rgba({red:g}, {green:g}, {blue:g}, {alpha:g})"


def _background(points: pd.DataFrame, webgl: bool) -> list[Trace]:
    """Every other run's validation line in one trace, NaN-separated: a single SVG path, or
    with `webgl` a WebGL trace.

    SVG by default: measured in headless Chromium on a 2-core machine without a GPU, the loss
    panel of 1000 runs draws in 0.14 s as SVG and in 4.2 s as WebGL, which Chromium renders in
    software there (scripts/bench_dashboard.py); a browser with a GPU may prefer WebGL."""
    val = points[points[f.SPLIT] == "val"]
    if val.empty:
        return []
    ordered = thin(val, background_points(val[f.RUN_ID].nunique()))  # by run and epoch
    runs = ordered[f.RUN_ID].to_numpy(dtype=object)
    # float32 halves what goes over the wire; a faint background needs no more precision
    x = ordered[f.EPOCH].to_numpy(dtype="float32")
    y = ordered[f.VALUE].to_numpy(dtype="float32")
    at = np.flatnonzero(runs[1:] != runs[:-1]) + 1  # a gap before each new run's first point
    return [{"type": "scattergl" if webgl else "scatter", "x": np.insert(x, at, np.nan),
             "y": np.insert(y, at, np.nan), "mode": "lines",
             "name": f"other runs ({ordered[f.RUN_ID].nunique()}, validation)",
             "hoverinfo": "skip", "line": {"color": BACKGROUND, "width": 1},
             "connectgaps": False}]


def background_points(runs: int) -> int:
    """Points per background run: BACKGROUND_POINTS, fewer past BACKGROUND_BUDGET in all."""
    return max(MIN_POINTS, min(BACKGROUND_POINTS, BACKGROUND_BUDGET // max(runs, 1)))


def _divergence_marks(picked: pd.DataFrame, epochs: pd.Series, names: pd.Series,
                      colour: dict[str, str]) -> list[Trace]:
    val = picked[picked[f.SPLIT] == "val"].set_index([f.RUN_ID, f.EPOCH])[f.VALUE]
    at = [(str(r), float(e)) for r, e in epochs.items() if (r, e) in val.index]
    if not at:
        return []
    return [{"type": "scatter", "x": [e for _, e in at], "y": [float(val[(r, e)]) for r, e in at],
             "mode": "markers", "name": "divergence",
             "marker": {"symbol": "x", "size": 12,
                        "color": [colour.get(r, "black") for r, _ in at]},
             "text": [plain(names.get(r, r)) for r, _ in at],
             "hovertemplate": "%{text}: loss rising from epoch %{x}<extra></extra>"}]
