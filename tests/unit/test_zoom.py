"""Each chart's zoom as the URL keeps it and as plotly reports it."""

from __future__ import annotations

import pytest

from dashboard import ids
from dashboard.state import ViewState, next_state
from dashboard.zoom import axis_ranges, parsed_range, zoom_query, zoomed


@pytest.mark.parametrize("text", ["1", "2,1", "1,1", "nan,2", "1,inf", "a,b", "1,2,3", None, 7])
def test_a_range_from_a_link_is_two_finite_numbers_low_first_or_nothing(text: object) -> None:
    assert parsed_range(text) is None


def test_plotly_reports_become_ranges_and_a_double_click_drops_them() -> None:
    zoom = zoomed((), ids.LOSS_CURVES, {"xaxis.range[0]": 10, "xaxis.range[1]": 60.5})
    zoom = zoomed(zoom, ids.TRADEOFF, {"xaxis.range": [0.1, 0.3], "yaxis.range": [0.9, 1.0]})
    assert zoom == (("loss_x", 10.0, 60.5), ("tradeoff_x", 0.1, 0.3), ("tradeoff_y", 0.9, 1.0))
    assert axis_ranges(zoom, "tradeoff") == {"xaxis": {"range": [0.1, 0.3]},
                                             "yaxis": {"range": [0.9, 1.0]}}
    assert zoomed(zoom, ids.LOSS_CURVES, {"autosize": True}) == zoom  # a first draw
    assert zoomed(zoom, ids.LOSS_CURVES, {"xaxis.autorange": True}) == zoom[1:]
    assert zoomed(zoom, ids.LOSS_CURVES, {"xaxis.range[0]": "<b>", "xaxis.range[1]": 2}) == zoom
    assert zoomed(zoom, "elsewhere", {"xaxis.range": [1, 2]}) == zoom


def test_the_zoom_goes_through_the_url_and_back() -> None:
    state = ViewState("e", zoom=(("accuracy_y", 0.93, 0.97), ("loss_x", 1e-06, 123.456789)))
    query = state.to_query()
    assert "loss_x=1e-06%2C123.457" in query
    assert ViewState.from_query(query).zoom == (("loss_x", 1e-06, 123.457),
                                                 ("accuracy_y", 0.93, 0.97))
    assert zoom_query(()) == {}
    forged = ViewState.from_query("?experiment=e&loss_x=5,1&tradeoff_y=0,1&loss_y=x")
    assert forged.zoom == (("tradeoff_y", 0.0, 1.0),)


def test_log_scale_drops_the_loss_panels_y_range_and_new_keys_every_range() -> None:
    state = ViewState("e", zoom=(("loss_x", 1, 5), ("loss_y", -1, 0), ("tradeoff_x", 0, 1)))
    assert next_state(state, ids.LOSS_SCALE, "").zoom == (("loss_x", 1, 5), ("tradeoff_x", 0, 1))
    assert next_state(state, ids.LOSS_KEY, "").zoom == ()
    assert next_state(state, ids.EXPERIMENT, "").zoom == ()
