"""The param-effect view: final loss and accuracy against one param's values."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import frames as f
from dashboard import param_effect
from dashboard.param_effect import axis_type, param_values, strongest_param
from tests.helpers.figures import validated
from tests.unit.test_seed_groups import RUNS
from tests.unit.test_units import seeded

param_effect_figure = validated(param_effect.param_effect_figure)


def test_values_are_numbers_when_every_run_logged_a_number() -> None:
    comparison = seeded()
    widths = param_values(comparison.table, RUNS, "width")
    assert widths.to_dict() == {**{f"wide-{s}": 64 for s in range(3)},
                                **{f"thin-{s}": 8 for s in range(3)}, "alone": 32}
    mixed = RUNS.assign(**{"params.width": ["64"] * 3 + ["narrow"] * 3 + ["32"]})
    assert param_values(comparison.table, mixed, "width")["thin-0"] == "narrow"
    assert param_values(comparison.table, RUNS, "depth").empty  # logged by no run


@pytest.mark.parametrize(("values", "expected"), [
    ([0.001, 0.01, 0.1], "log"), ([8, 32, 64], "linear"), ([0, 1e-4, 0.3, 5], "category"),
    ([-1.0, *range(1, 2000, 100)], "linear"), (["adam", "sgd"], "category")])
def test_the_axis_suits_the_values(values: list[object], expected: str) -> None:
    assert axis_type(pd.Series(values)) == expected


def test_each_run_is_a_point_in_its_colour_and_the_medians_a_line() -> None:
    comparison = seeded()
    colours = {r: "#123456" for r in comparison.table.index}
    figure = param_effect_figure(comparison.table, RUNS, "width", colours, ["alone"])
    points = [t for t in figure.data if t.mode == "markers"]
    medians = [t for t in figure.data if t.mode == "lines"]
    assert len(points) == 2 and len(medians) == 2  # loss (left) and accuracy (right)
    loss = points[0]
    assert dict(zip(loss.customdata, loss.y, strict=True))["wide-1"] == pytest.approx(0.34)
    assert list(medians[0].x) == [8, 32, 64]
    assert list(medians[0].y) == pytest.approx([0.21, 0.50, 0.32])
    assert max(loss.marker.size) == 14 and list(loss.marker.color) == ["#123456"] * 7
    assert figure.layout.xaxis.title.text == "width"


def test_values_in_their_natural_order_and_names_get_no_trend_line() -> None:
    """hidden_layers sorted as text (128x128, 16, 2, 256, ...) with a line through them read
    as a trend; weight decay 0 ... 5 piled up at 0 on a linear axis."""
    comparison = seeded()
    layers = RUNS.assign(**{"params.width": ["16"] * 3 + ["128x128"] * 3 + ["2"]})
    figure = param_effect_figure(comparison.table, layers, "width", {})
    assert list(figure.layout.xaxis.categoryarray) == ["2", "16", "128x128"]
    medians = [t for t in figure.data if t.name == "median"]
    assert [t.mode for t in medians] == ["markers", "markers"]  # a bar per value, no line
    decay = RUNS.assign(**{"params.width": ["0"] * 3 + ["0.0001"] * 3 + ["5"]})
    slots = param_effect_figure(comparison.table, decay, "width", {})
    assert slots.layout.xaxis.type == "category"
    assert list(slots.layout.xaxis.categoryarray) == ["0", "0.0001", "5"]
    assert [t.mode for t in slots.data if t.name == "median"] == ["lines", "lines"]  # ordered


def test_the_view_opens_on_the_param_that_explains_most_of_the_measure() -> None:
    comparison = seeded()  # width decides the loss; the seed and a run-unique param do not
    runs = RUNS.assign(**{"params.tag": [f"t{i}" for i in range(7)]})
    assert strongest_param(comparison.table, runs, ["seed", "tag", "width"],
                           f.FINAL_LOSS) == "width"
    assert strongest_param(comparison.table, runs, [], f.FINAL_LOSS) is None


def test_without_a_param_the_chart_says_so() -> None:
    comparison = seeded()
    figure = param_effect_figure(comparison.table, RUNS, None, {})
    assert figure.layout.annotations[-1].text == "No param differs between these runs."
    hostile = RUNS.assign(**{"params.width": "<img src=x>"})
    hover = param_effect_figure(comparison.table.assign(**{f.RUN_NAME: "<b>x</b>"}), hostile,
                                "width", {}).data[0].hovertext
    assert all(text == "&lt;b&gt;x&lt;/b&gt;<br>&lt;img src=x&gt;: " + text.split(": ")[-1]
               for text in hover)
