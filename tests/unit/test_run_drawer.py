"""The run detail drawer: what it says about one run, as text, and where it links."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import pytest

from analysis import frames as f
from dashboard import ids
from dashboard.run_drawer import drawer_body, mlflow_ui_link
from dashboard.units import by_run
from tests.unit.test_seed_groups import RUNS
from tests.unit.test_units import seeded


@pytest.mark.parametrize(("uri", "link"), [
    ("http://mlflow:5000", "http://mlflow:5000/#/experiments/7/runs/abc"),
    ("https://ana:s3cret@mlflow.example.com/mlflow/",
     "https://mlflow.example.com/mlflow/#/experiments/7/runs/abc"),
    ("sqlite:///mlflow.db", None), ("postgresql://u:p@db/mlflow", None), ("./mlruns", None)])
def test_the_mlflow_link_only_for_a_server_and_never_with_credentials(
        uri: str, link: str | None) -> None:
    assert mlflow_ui_link(uri, "7", "abc") == link


def texts(component: Any) -> list[str]:
    """Every string in a component tree."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for child in component for t in texts(child)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


def test_the_drawer_shows_status_numbers_params_tags_and_its_own_curves() -> None:
    runs = RUNS.assign(**{f.EXPERIMENT_ID: "7", f.START_TIME: 1_764_000_000_000,
                          f.END_TIME: 1_764_000_090_000, "tags.note": "<script>x</script>",
                          "tags.mlflow.runName": "wide-0"})
    body = drawer_body(runs, seeded(), "wide-0", "http://mlflow:5000")
    words = texts(body)
    assert words[0] == "wide-0" and any("ran 0:01:30" in w for w in words)
    assert "FINISHED" in " ".join(words) and "0.3000" in words  # its final val loss
    assert ("width" in words and "64" in words) and "<script>x</script>" in words  # as text
    assert "mlflow.runName" not in words
    assert any(w.startswith(("overconfident", "hedging", "better on both", "worse on both"))
               for w in words)  # the quadrant in the reviewer's words
    link = next(c for c in body if getattr(c, "id", None) == ids.DRAWER_LINK)
    assert link.href == "http://mlflow:5000/#/experiments/7/runs/wide-0"
    graphs = [go.Figure(g.figure) for c in body for g in getattr(c, "children", []) or []
              if type(g).__name__ == "Graph"]  # go.Figure: checked against plotly's schema
    assert len(graphs) == 2 and {t.legendgroup for g in graphs for t in g.data} == {"wide-0"}
    colour = by_run(seeded(), runs, []).colours["wide-0"]  # its colour on the page
    assert {t.line.color for g in graphs for t in g.data} == {colour}


def test_a_run_the_experiment_lacks_is_said_and_a_file_store_gets_no_link() -> None:
    assert texts(drawer_body(RUNS, seeded(), "gone", "http://x")) == [
        "This run is not in the experiment shown."]
    body = drawer_body(RUNS, seeded(), "alone", "sqlite:///m.db")
    assert all(getattr(c, "id", None) != ids.DRAWER_LINK for c in body)
    assert "start unknown" in " ".join(texts(body))


def test_a_run_shorter_than_a_second_says_so_rather_than_0_00_00() -> None:
    runs = RUNS.assign(**{f.START_TIME: 1_764_000_000_000, f.END_TIME: 1_764_000_000_400})
    assert any("ran under a second" in w for w in texts(drawer_body(runs, seeded(), "wide-0", "")))
