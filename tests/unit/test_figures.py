import math
import warnings

import numpy as np
import pandas as pd

from analysis import frames as f
from dashboard import figures
from dashboard import tradeoff_figure as tradeoff
from dashboard.figures import background_points, plain, run_colours
from dashboard.tradeoff_figure import REVIEW_OUTLINES, label_positions
from dashboard.tradeoff_guides import QUADRANT_LABELS
from tests.helpers.figures import validated

curves_figure = validated(figures.curves_figure)
tradeoff_figure = validated(tradeoff.tradeoff_figure)

CURVES = pd.DataFrame({
    f.RUN_ID: ["a", "a", "a", "a", "b", "b"],
    f.SPLIT: ["val", "val", "train", "train", "val", "val"],
    f.METRIC: ["loss", "loss", "loss", "loss", "loss", "accuracy"],
    f.EPOCH: [2.0, 1.0, 1.0, 2.0, 1.0, 1.0],
    f.VALUE: [0.4, 0.5, 0.45, 0.3, 0.6, 0.7],
})
NAMES = pd.Series({"a": "<img src=x onerror=alert(1)>", "b": "plain-b"})
TABLE = pd.DataFrame({  # the comparison table's columns the trade-off scatter reads
    "run_id": ["a", "b", "c"], "run_name": ["<b>a</b>", "b", "c"],
    "final_loss": [0.1, 0.4, 0.5], "final_accuracy": [0.9, 0.95, 0.7],
    "quadrant": ["high-accuracy/low-loss", "high-accuracy/high-loss", "low-accuracy/high-loss"],
    "pareto": [True, True, False], "child_runs": [0, 0, 0]})


def test_curves_one_line_per_run_and_split_validation_solid_train_dashed() -> None:
    figure = curves_figure(CURVES, NAMES, "loss")
    lines = {trace.name: trace for trace in figure.data}
    assert set(lines) == {"&lt;img src=x onerror=alert(1)&gt; (train)",
                          "&lt;img src=x onerror=alert(1)&gt; (val)", "plain-b (val)"}
    val = lines["&lt;img src=x onerror=alert(1)&gt; (val)"]
    assert list(val.x) == [1.0, 2.0] and list(val.y) == [0.5, 0.4]  # sorted by epoch
    assert val.line.dash == "solid"
    train = lines["&lt;img src=x onerror=alert(1)&gt; (train)"]
    assert train.line.dash == "dash" and train.line.color == val.line.color
    assert lines["plain-b (val)"].line.color != val.line.color


def test_accuracy_panel_draws_the_majority_baseline() -> None:
    figure = curves_figure(CURVES, NAMES, "accuracy", baseline=0.62)
    assert [shape.y0 for shape in figure.layout.shapes] == [0.62]
    assert figure.layout.xaxis.title.text.endswith("(dotted: the majority-class baseline, 0.620)")
    loss = curves_figure(CURVES, NAMES, "loss", baseline=0.62)
    assert loss.layout.xaxis.title.text == "epoch" and not loss.layout.shapes
    assert [trace.name for trace in figure.data] == ["plain-b (val)"]


def test_tradeoff_names_quadrants_draws_runs_in_their_colours_and_the_front() -> None:
    four = pd.concat([TABLE, pd.DataFrame({
        "run_id": ["d"], "run_name": ["d"], "final_loss": [0.2], "final_accuracy": [0.6],
        "quadrant": ["low-accuracy/low-loss"], "pareto": [False], "child_runs": [0]})],
        ignore_index=True)
    colours = {"a": "#000001", "b": "#000002", "c": "#000003", "d": "#000004"}
    figure = tradeoff_figure(four, colours=colours, details={"a": "lr=0.1"})
    points = [t for t in figure.data if t.mode == "markers" and t.customdata is not None]
    assert {r: c for t in points for r, c in zip(t.customdata, t.marker.color, strict=True)} \
        == colours  # one colour per run, the quadrant by shape
    assert {t.marker.symbol for t in points} == {"circle", "diamond", "triangle-down", "square"}
    corners = {a.text for a in figure.layout.annotations}
    assert corners == set(QUADRANT_LABELS.values())
    assert "overconfident: high accuracy, high loss" in corners
    [front] = [t for t in figure.data if t.name == "Pareto front"]
    assert front.hoverinfo == "skip"  # the front never takes a point's hover or click
    hover = next(t for t in points if "a" in t.customdata).hovertext[0]
    assert hover.startswith("&lt;b&gt;a&lt;/b&gt;<br>loss 0.1000 · accuracy 0.9000<br>lr=0.1")
    assert len(figure.layout.shapes) == 2  # the medians


def test_too_few_runs_are_not_split_into_quadrants_and_say_so() -> None:
    figure = tradeoff_figure(TABLE, baseline=0.62)
    assert [a.text for a in figure.layout.annotations] == [
        "3 runs: too few to split into quadrants at the medians", "majority-class baseline"]
    assert [s.y0 for s in figure.layout.shapes] == [0.62]  # the baseline, no medians


def test_the_picks_are_stars_and_named_with_what_they_win() -> None:
    figure = tradeoff_figure(TABLE, picks={"a": "lowest loss"}, selected=["c"])
    [names] = [t for t in figure.data if t.mode == "text"]
    assert sorted(names.text) == ["&lt;b&gt;a&lt;/b&gt; ★ lowest loss", "b", "c"]  # + front
    [points] = [t for t in figure.data if t.mode == "markers" and t.customdata is not None]
    symbols = dict(zip(points.customdata, points.marker.symbol, strict=True))
    assert symbols["a"] == "star" and symbols["b"] == "circle"


def test_plain_escapes_markup() -> None:
    assert plain('<a href="javascript:x">') == "&lt;a href=&quot;javascript:x&quot;&gt;"


def test_log_scale_and_divergence_marks() -> None:
    figure = curves_figure(CURVES, NAMES, "loss", log_y=True,
                           divergence=pd.Series({"a": 2.0, "b": float("nan")}))
    assert figure.layout.yaxis.type == "log"
    [mark] = [t for t in figure.data if t.name == "divergence"]
    assert list(mark.x) == [2.0] and list(mark.y) == [0.4]  # on a's validation loss at epoch 2
    assert list(mark.text) == ["&lt;img src=x onerror=alert(1)&gt;"]
    assert figure.layout.xaxis.title.text == (  # the marks said under the plot, not guessed
        "epoch   (×: where validation loss began rising while accuracy held)")
    assert figure.layout.yaxis.exponentformat == "power"  # 10⁻⁴ rather than "100µ"
    accuracy = curves_figure(CURVES, NAMES, "accuracy")
    assert list(figure.layout.xaxis.range) == list(accuracy.layout.xaxis.range) == [1.0, 2.0]


def many_runs(count: int, epochs: int = 3) -> pd.DataFrame:
    """A `curves` frame with the dtypes the readers give (string columns, not object)."""
    return pd.DataFrame([{f.RUN_ID: f"r{i:04d}", f.SPLIT: split, f.METRIC: "loss",
                          f.EPOCH: float(e), f.VALUE: 1.0 / (e + i + 1)}
                         for i in range(count) for split in ("val", "train")
                         for e in range(1, epochs + 1)]).astype(f.CURVE_DTYPES)


def test_selected_runs_bold_and_on_top_the_others_faint() -> None:
    figure = curves_figure(CURVES, NAMES, "loss", selected=["b", "zz-unknown"])
    assert [t.legendgroup for t in figure.data] == ["a", "a", "b"]  # selected drawn last
    assert {t.line.width for t in figure.data if t.legendgroup == "a"} == {1}
    assert figure.data[-1].line.width == 4 and figure.data[-1].opacity == 1.0


def test_crowded_experiments_draw_the_rest_as_one_trace() -> None:
    figure = curves_figure(many_runs(30), pd.Series(dtype="string"), "loss", selected=["r0007"],
                           max_lines=24)
    background, *lines = figure.data
    assert background.type == "scatter" and background.name == "other runs (29, validation)"
    assert len(background.x) == 29 * 3 + 28  # a NaN gap between consecutive runs
    assert {t.legendgroup for t in lines} == {"r0007"}
    picks = curves_figure(many_runs(30), pd.Series(dtype="string"), "loss", max_lines=24,
                          featured=["r0003"])  # nothing selected: the picks stand out
    assert picks.data[0].name == "other runs (29, validation)"
    assert {(t.legendgroup, t.line.width) for t in picks.data[1:]} == {("r0003", 2)}
    assert picks.layout.title.text == "loss per epoch · 29 more in grey (select to colour)"
    few = curves_figure(many_runs(5), pd.Series(dtype="string"), "loss")
    assert all(t.type == "scatter" for t in few.data) and len(few.data) == 10
    webgl = curves_figure(many_runs(30), pd.Series(dtype="string"), "loss", webgl=True)
    assert [t.type for t in webgl.data] == ["scattergl"] and len(webgl.data[0].x) == 30 * 4 - 1


def test_tradeoff_rings_the_selection_and_joins_disagreeing_pairs() -> None:
    figure = tradeoff_figure(TABLE, selected=["b"], pairs=[("b", "a"), ("x", "a")])
    pairs = figure.data[0]
    assert pairs.name == "disagree (accuracy vs loss)"
    assert list(pairs.x) == [0.4, 0.1, None]  # the pair with an unknown run is left out
    [points] = [t for t in figure.data if t.mode == "markers" and t.customdata is not None]
    sizes = dict(zip(points.customdata, points.marker.size, strict=True))
    assert sizes == {"a": 11, "b": 16, "c": 11}
    # nothing selected: one size, opacity and outline per trace, styled by plotly at once
    [plain_points] = [t for t in tradeoff_figure(TABLE).data
                      if t.mode == "markers" and t.customdata is not None]
    marker = plain_points.marker
    assert (marker.size, marker.opacity, marker.line.width) == (11, 1.0, 0.5)


def test_a_sweeps_parent_is_not_a_point_on_the_tradeoff() -> None:
    with_parent = pd.concat([TABLE, pd.DataFrame({
        "run_id": ["p"], "run_name": ["sweep"], "final_loss": [0.1], "final_accuracy": [0.95],
        "quadrant": [None], "pareto": [False], "child_runs": [3]})], ignore_index=True)
    drawn = {run for trace in tradeoff_figure(with_parent).data
             for run in (trace.customdata if trace.customdata is not None else [])}
    assert drawn == {"a", "b", "c"}


def test_curve_panels_have_no_legend_and_take_the_pages_colours() -> None:
    """The runs table is the legend: a panel's own legend took ~45% of its width."""
    colours = {"a": "#010203", "b": "#040506"}
    figure = curves_figure(CURVES, NAMES, "loss", colours=colours)
    assert figure.layout.showlegend is False
    assert {t.legendgroup: t.line.color for t in figure.data} == colours
    accuracy = curves_figure(CURVES, NAMES, "accuracy", colours=colours)
    assert [t.line.color for t in accuracy.data] == ["#040506"]  # b alone, in b's colour


def test_train_curves_can_be_left_out() -> None:
    figure = curves_figure(CURVES, NAMES, "loss", train=False)
    assert all(t.name.endswith("(val)") for t in figure.data) and len(figure.data) == 2


def test_a_large_background_shares_a_budget_of_points() -> None:
    assert [background_points(n) for n in (30, 500, 1000, 10_000)] == [24, 24, 12, 8]
    figure = curves_figure(many_runs(1000, epochs=40), pd.Series(dtype="string"), "loss")
    drawn = np.isfinite(np.asarray(figure.data[0].x, dtype=float))  # the gaps are NaN
    assert drawn.sum() == 1000 * 12  # each run's 40 epochs thinned to 12 points


def test_a_reviewed_run_is_outlined_in_its_statuss_colour_and_says_so_on_hover() -> None:
    figure = tradeoff_figure(TABLE, reviews={"a": "chosen", "c": "rejected"})
    [points] = [t for t in figure.data if t.mode == "markers" and t.customdata is not None]
    outline = dict(zip(points.customdata, zip(points.marker.line.color, points.marker.line.width,
                                              strict=True), strict=True))
    assert outline == {"a": (REVIEW_OUTLINES["chosen"], 2.5), "b": ("black", 0.5),
                       "c": (REVIEW_OUTLINES["rejected"], 2.5)}
    hover = dict(zip(points.customdata, points.hovertext, strict=True))
    assert hover["a"].endswith("<br>review: chosen") and "review" not in hover["b"]
    fills = dict(zip(points.customdata, points.marker.color, strict=True))
    assert fills == {r: c for r, c in run_colours(TABLE["run_id"]).items()}  # fills unchanged
    keys = [t.name for t in figure.data if t.name and t.name.startswith("reviewed")]
    assert keys == ["reviewed chosen (outline)", "reviewed rejected (outline)"]
    # a status is a tag anyone can set: shown as text, outlined in black when it is no known one
    [odd] = [t for t in tradeoff_figure(TABLE, reviews={"b": "<b>x</b>"}).data
             if t.mode == "markers" and t.customdata is not None]
    assert odd.hovertext[1].endswith("review: &lt;b&gt;x&lt;/b&gt;")
    assert odd.marker.line.color == "black"  # one outline colour for all: styled at once


def test_names_near_an_edge_run_inwards_and_close_ones_never_cross() -> None:
    every = pd.Series([0.1, 0.5, 0.9])
    # the demo's two picks: the lower-loss one is the less accurate, so alternating by loss
    # put its name above and the other's below, through each other
    assert label_positions(pd.Series([0.1, 0.12, 0.5, 0.9]), pd.Series([0.95, 0.96, 0.8, 0.7]),
                           every) == ["bottom right", "top right", "top center", "bottom left"]
    assert label_positions(pd.Series([0.1, 0.102, 0.104]), pd.Series([0.9, 0.95, 0.93]),
                           every) == ["bottom right", "top right", "middle right"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an infinite loss (a diverged run) places quietly
        assert label_positions(pd.Series([0.1, math.inf]), pd.Series([0.9, math.nan]),
                               pd.Series([0.1, math.inf])) == ["top right", "bottom center"]


def contenders_and_stragglers() -> pd.DataFrame:
    """18 runs within a few samples of each other, and 6 far less accurate ones."""
    rng = np.random.default_rng(3)
    accuracy = np.r_[rng.uniform(0.94, 0.965, 18), [0.88, 0.81, 0.75, 0.68, 0.53, 0.54]]
    loss = np.r_[rng.uniform(0.09, 0.46, 18), [0.39, 0.44, 0.54, 0.59, 0.69, 0.92]]
    ids = [f"r{i}" for i in range(24)]
    return pd.DataFrame({"run_id": ids, "run_name": ids, "final_loss": loss,
                         "final_accuracy": accuracy, "quadrant": "low-accuracy/high-loss",
                         "pareto": False, "child_runs": 0})


def test_the_scatter_opens_on_the_contenders_and_says_what_is_below() -> None:
    """Six runs 0.06-0.4 under the rest squeezed the decision into a sliver of the axis."""
    table = contenders_and_stragglers()
    layout = tradeoff_figure(table, baseline=0.626).layout
    low, high = layout.yaxis.range
    assert 0.85 < low < 0.88 and 0.965 < high < 0.975  # 0.88 is the nearest straggler
    assert layout.xaxis.range[1] < 0.5  # the far ones' losses are left out too
    title = layout.xaxis.title.text
    assert title.startswith("validation loss (lower is better)   ·   below the view: 5 runs "
                            "with accuracy under 0.8")
    assert title.endswith(" and the majority-class baseline (0.626); double-click to see all")
    chosen = tradeoff_figure(table, selected=["r23"]).layout  # a selected straggler is shown
    assert chosen.yaxis.range[0] < 0.54 and "below the view: 4 runs" in chosen.xaxis.title.text


def test_a_near_baseline_is_inside_the_view_with_room_for_its_name() -> None:
    table = contenders_and_stragglers().head(18)
    layout = tradeoff_figure(table, baseline=0.92).layout
    low, high = layout.yaxis.range
    assert low < 0.92 - 0.003 and high > table["final_accuracy"].max()
    assert layout.xaxis.title.text == "validation loss (lower is better)"
    assert "range" not in layout.xaxis.to_plotly_json()  # nothing left out: plotly's own
