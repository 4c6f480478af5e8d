"""A crowded experiment: beyond MAX_LINES runs, the unselected ones are one faint trace, an SVG
path by default and WebGL with `lossboard serve --webgl`; a selected run is drawn on top."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from dashboard.figures import MAX_LINES
from tests.browser.page import traces, wait_until
from tests.helpers.mlflow_server import DashboardServer

RUNS = MAX_LINES + 6
BACKGROUND = """
const graph = document.querySelector('#loss-curves .js-plotly-plot');
const first = graph && graph._fullData && graph._fullData[0];
return first ? [first.type, first.name, document.querySelectorAll('#loss-curves canvas').length]
             : null;
"""


class WebGLDashboard(DashboardServer):
    def command(self) -> list[str]:
        return [*super().command(), "--webgl"]


@pytest.fixture(scope="module")
def crowded_store(tmp_path_factory: pytest.TempPathFactory, store_template: Path) -> Path:
    folder = tmp_path_factory.mktemp("crowded")
    shutil.copy(store_template, folder / "mlflow.db")
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.create_experiment("crowded")
    for i in range(RUNS):
        run = client.create_run(experiment, run_name=f"run-{i:02d}").info.run_id
        client.log_batch(run, metrics=[
            metric for epoch in range(5) for metric in (
                Metric("val_loss", 1.0 / (epoch + i + 1), 0, epoch),
                Metric("val_accuracy", 0.5 + epoch / 20 + i / 200, 0, epoch))])
        client.set_terminated(run)
    return folder


@pytest.fixture(params=[DashboardServer, WebGLDashboard], ids=["svg", "webgl"])
def crowded_dashboard(request: pytest.FixtureRequest, crowded_store: Path,
                      tmp_path: Path) -> Iterator[DashboardServer]:
    server = request.param(tmp_path, backend_uri=f"sqlite:///{crowded_store / 'mlflow.db'}")
    server.start()
    yield server
    server.stop()


def test_the_other_runs_are_one_faint_trace_and_a_selection_draws_on_top(
        browser: Any, crowded_dashboard: DashboardServer) -> None:
    webgl = isinstance(crowded_dashboard, WebGLDashboard)
    browser.get(f"{crowded_dashboard.uri}/?experiment=crowded")
    kind, name, canvases = wait_until(browser, lambda d: d.execute_script(BACKGROUND),
                                      what="the background trace")
    lines = [t for t in traces(browser, "accuracy-curves") if t["group"]]
    featured = {t["group"] for t in lines}  # nothing selected: only the picks' own lines
    assert 1 <= len(featured) <= 2 and {t["width"] for t in lines} == {2}
    assert name == f"other runs ({RUNS - len(featured)}, validation)"
    assert kind == ("scattergl" if webgl else "scatter")
    assert (canvases > 0) is webgl  # WebGL draws on a canvas; SVG needs none
    stars = {p for t in traces(browser, "tradeoff-scatter") for p, size in
             zip(t["customdata"], t["size"] * len(t["customdata"]) if len(t["size"]) == 1
                 else t["size"], strict=False) if size == 18}  # a pick's star: size 18
    assert featured == stars
    first = wait_until(browser, lambda d: [p for t in traces(d, "tradeoff-scatter")
                                           for p in t["customdata"]], what="scatter points")[0]
    browser.get(f"{crowded_dashboard.uri}/?experiment=crowded&selected={first}")
    wait_until(browser, lambda d: any(t["group"] == first and t["width"] == 4
                                      for t in traces(d, "loss-curves")),
               what="the selected run's line, bold, above the background")
    assert wait_until(browser, lambda d: d.execute_script(BACKGROUND), what="background")[1] \
        == f"other runs ({RUNS - 1}, validation)"
