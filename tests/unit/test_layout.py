"""The page: every panel a slow callback fills shows a spinner while it waits."""

from __future__ import annotations

from collections.abc import Iterator

from dash import dcc
from dash.development.base_component import Component

from dashboard import ids
from dashboard.layout import page
from dashboard.review_panel import named


def with_ancestors(node: object, above: tuple[Component, ...] = ()
                   ) -> Iterator[tuple[Component, tuple[Component, ...]]]:
    if not isinstance(node, Component):
        return
    yield node, above
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        yield from with_ancestors(child, (*above, node))


def test_slow_panels_are_inside_a_loading_spinner() -> None:
    found = {getattr(n, "id", None): above for n, above in with_ancestors(
        page(["e"], "", "sqlite:///x.db", 10_000))}
    for panel in (ids.LOSS_CURVES, ids.ACCURACY_CURVES, ids.TRADEOFF, ids.RUNS_TABLE,
                  ids.CALIBRATION, ids.CALIBRATION_NOTES, ids.REVIEW_MESSAGE):
        assert any(isinstance(a, dcc.Loading) for a in found[panel]), panel
    assert not any(isinstance(a, dcc.Loading) for a in found[ids.EXPERIMENT])  # controls stay


def test_a_review_message_names_a_few_runs_then_counts_the_rest() -> None:
    assert named(["a"]) == "a" and named(["a", "b"]) == "a and b"
    assert named(["a", "b", "c"]) == "a, b and c"
    assert named(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more"
