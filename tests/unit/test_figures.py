import numpy as np
import pandas as pd

from analysis import frames as f
from dashboard.figures import curves_figure, plain, tradeoff_figure

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
    assert [trace.name for trace in figure.data] == ["plain-b (val)"]


def test_tradeoff_colours_quadrants_and_draws_the_front_and_medians() -> None:
    figure = tradeoff_figure(TABLE)
    names = [trace.name for trace in figure.data]
    assert names == ["high-accuracy/high-loss", "high-accuracy/low-loss",
                     "low-accuracy/high-loss", "Pareto front"]
    assert list(figure.data[-1].x) == [0.1, 0.4]
    assert list(figure.data[1].text) == ["&lt;b&gt;a&lt;/b&gt;"]
    assert list(figure.data[1].customdata) == ["a"]
    assert [s.type for s in figure.layout.shapes] == ["line", "line"]


def test_plain_escapes_markup() -> None:
    assert plain('<a href="javascript:x">') == "&lt;a href=&quot;javascript:x&quot;&gt;"


def test_log_scale_and_divergence_marks() -> None:
    figure = curves_figure(CURVES, NAMES, "loss", log_y=True,
                           divergence=pd.Series({"a": 2.0, "b": float("nan")}))
    assert figure.layout.yaxis.type == "log"
    [mark] = [t for t in figure.data if t.name == "divergence"]
    assert list(mark.x) == [2.0] and list(mark.y) == [0.4]  # on a's validation loss at epoch 2
    assert list(mark.text) == ["&lt;img src=x onerror=alert(1)&gt;"]


def many_runs(count: int) -> pd.DataFrame:
    """A `curves` frame with the dtypes the readers give (string columns, not object)."""
    return pd.DataFrame([{f.RUN_ID: f"r{i:03d}", f.SPLIT: split, f.METRIC: "loss",
                          f.EPOCH: float(e), f.VALUE: 1.0 / (e + i + 1)}
                         for i in range(count) for split in ("val", "train") for e in (1, 2, 3)]
                        ).astype(f.CURVE_DTYPES)


def test_selected_runs_bold_and_on_top_the_others_faint() -> None:
    figure = curves_figure(CURVES, NAMES, "loss", selected=["b", "zz-unknown"])
    assert [t.legendgroup for t in figure.data] == ["a", "a", "b"]  # selected drawn last
    assert {t.line.width for t in figure.data if t.legendgroup == "a"} == {1}
    assert figure.data[-1].line.width == 4 and figure.data[-1].opacity == 1.0


def test_crowded_experiments_draw_the_rest_as_one_trace() -> None:
    figure = curves_figure(many_runs(30), pd.Series(dtype="string"), "loss", selected=["r007"],
                           max_lines=24)
    background, *lines = figure.data
    assert background.type == "scatter" and background.name == "other runs (29, validation)"
    assert len(background.x) == 29 * 3 + 28  # a NaN gap between consecutive runs
    assert {t.legendgroup for t in lines} == {"r007"}
    few = curves_figure(many_runs(5), pd.Series(dtype="string"), "loss")
    assert all(t.type == "scatter" for t in few.data) and len(few.data) == 10
    webgl = curves_figure(many_runs(30), pd.Series(dtype="string"), "loss", webgl=True)
    assert [t.type for t in webgl.data] == ["scattergl"] and len(webgl.data[0].x) == 30 * 4 - 1


def test_tradeoff_rings_the_selection_and_joins_disagreeing_pairs() -> None:
    figure = tradeoff_figure(TABLE, selected=["b"], pairs=[("b", "a"), ("x", "a")])
    pairs = figure.data[0]
    assert pairs.name == "disagree (accuracy vs loss)"
    assert list(pairs.x) == [0.4, 0.1, None]  # the pair with an unknown run is left out
    sizes = {t.name: np.atleast_1d(t.marker.size).tolist() for t in figure.data
             if t.mode == "markers"}
    assert sizes["high-accuracy/high-loss"] == [16] and sizes["high-accuracy/low-loss"] == [11]
    # nothing selected: one size, opacity and outline per trace, styled by plotly at once
    plain = [t.marker for t in tradeoff_figure(TABLE).data if t.mode == "markers"]
    assert {(m.size, m.opacity, m.line.width) for m in plain} == {(11, 1.0, 0)}


def test_a_sweeps_parent_is_not_a_point_on_the_tradeoff() -> None:
    with_parent = pd.concat([TABLE, pd.DataFrame({
        "run_id": ["p"], "run_name": ["sweep"], "final_loss": [0.1], "final_accuracy": [0.95],
        "quadrant": [None], "pareto": [False], "child_runs": [3]})], ignore_index=True)
    drawn = {run for trace in tradeoff_figure(with_parent).data
             for run in (trace.customdata if trace.customdata is not None else [])}
    assert drawn == {"a", "b", "c"}
