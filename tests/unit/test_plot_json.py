"""Figures as plain JSON: what `go.Figure` used to do for the builders, checked against it."""

from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from dashboard.plot_json import encoded, figure, hline, merged, note, side_by_side, vline
from dashboard.views import message_figure


def decoded(spec: dict[str, str]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<" + spec["dtype"])


def test_numeric_arrays_go_base64_encoded_and_the_rest_as_they_are() -> None:
    epochs = np.arange(3, dtype="int64")
    values = np.array([0.5, np.nan, 0.25], dtype="float32")
    sent = encoded({"data": [{"x": epochs, "y": values, "customdata": np.array(["a", "b"]),
                              "text": ["kept"], "marker": {"size": np.array([1.5])}}],
                    "layout": {"height": 300}})
    trace = sent["data"][0]
    assert trace["x"]["dtype"] == "i4" and decoded(trace["x"]).tolist() == [0, 1, 2]
    assert trace["y"]["dtype"] == "f4"
    np.testing.assert_array_equal(decoded(trace["y"]), values)  # NaN kept: a gap
    assert decoded(trace["marker"]["size"]).tolist() == [1.5]
    assert trace["customdata"].tolist() == ["a", "b"] and trace["text"] == ["kept"]
    assert sent["layout"] == {"height": 300}
    huge = encoded(np.array([2**40], dtype="int64"))
    assert isinstance(huge, np.ndarray)  # past int32: plotly.js has no int64, sent as JSON


def test_an_encoded_figure_is_what_plotly_itself_sends() -> None:
    trace = {"type": "scatter", "x": np.array([1.0, 2.0]), "y": np.array([3, 4])}
    mine = encoded(figure([trace]))["data"][0]
    plotlys = go.Figure(figure([trace])).to_dict()["data"][0]
    assert [decoded(mine[k]).tolist() for k in "xy"] == [decoded(plotlys[k]).tolist()
                                                         for k in "xy"]


def test_a_figure_is_drawn_with_plotlys_default_template() -> None:
    assert pio.templates.default == "plotly"
    assert figure()["layout"]["template"]["layout"] == go.Figure().to_dict()["layout"][
        "template"]["layout"]


def test_layouts_merge_key_by_key() -> None:
    base = {"xaxis": {"title": {"text": "epoch"}, "type": "linear"}, "height": 300}
    assert merged(base, {"xaxis": {"range": [1, 2], "type": "log"}, "height": 200}) == {
        "xaxis": {"title": {"text": "epoch"}, "type": "log", "range": [1, 2]}, "height": 200}
    assert base["xaxis"] == {"title": {"text": "epoch"}, "type": "linear"}  # not changed


def test_two_subplots_in_a_row_are_laid_out_as_make_subplots_does() -> None:
    plotlys = make_subplots(rows=1, cols=2, horizontal_spacing=0.16,
                            subplot_titles=("left", "right")).to_dict()["layout"]
    mine = side_by_side(("left", "right"), 0.16)
    assert mine == {key: plotlys[key] for key in mine}


@pytest.mark.parametrize("shape", [hline(0.5, {"color": "red"}), vline(2.0, {"dash": "dot"})])
def test_lines_across_the_plot_are_the_shapes_plotly_adds(shape: dict[str, object]) -> None:
    added = go.Figure()
    if shape["xref"] == "x domain":
        added.add_hline(y=0.5, line={"color": "red"})
    else:
        added.add_vline(x=2.0, line={"dash": "dot"})
    assert added.to_dict()["layout"]["shapes"] == [shape]


def test_every_figure_passes_plotlys_own_validation() -> None:
    shown = figure([{"type": "scatter", "x": [1], "y": [2]}],
                   annotations=[note("why", x=0.5, y=0.5, xref="paper", yref="paper")])
    go.Figure(shown)
    go.Figure(message_figure("Pick an experiment."))
    with pytest.raises(ValueError, match="colour"):
        go.Figure(figure([{"type": "scatter", "line": {"colour": "red"}}]))
