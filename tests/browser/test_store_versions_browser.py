"""The page on a store MLflow 2.22.1 wrote (a fixture made by the real library), as a user sees
it: a sweep's children name their parent in the table, the parent is no point on the trade-off,
and accuracy logged in percent reads as a fraction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dashboard import ids
from tests.browser.page import open_dashboard, text_of, traces, wait_until
from tests.helpers.demo import DemoStore
from tests.helpers.fixture_stores import SQLITE_STORES, SWEEP, copy_of, version_of
from tests.helpers.mlflow_server import DashboardServer

ROWS = """
const api = dash_ag_grid.getApi('runs-table'); const rows = [];
api.forEachNode(node => rows.push(node.data));
return {rows: rows, parentShown: api.getColumn('parent').isVisible()};
"""


@pytest.fixture(scope="module")
def older_release_dashboard(tmp_path_factory: pytest.TempPathFactory
                            ) -> Iterator[DashboardServer]:
    [fixture] = [p for p in SQLITE_STORES if version_of(p) == "2.22.1"]
    folder = tmp_path_factory.mktemp("mlflow-2.22.1")
    store = copy_of(fixture, folder)
    server = DashboardServer(folder, backend_uri=f"sqlite:///{store}")
    server.start()
    yield server
    server.stop()


def grid(driver: Any, rows: int = 8) -> dict[str, Any]:
    """The table's rows as ag-grid holds them, and whether the parent column is shown."""
    return wait_until(driver, lambda d: (g := d.execute_script(ROWS)) and len(g["rows"]) >= rows
                      and g, what="the runs table")


def test_a_sweep_on_a_store_of_an_older_release(browser: Any,
                                                older_release_dashboard: DashboardServer) -> None:
    open_dashboard(browser, f"{older_release_dashboard.uri}?experiment={SWEEP}")
    shown = grid(browser, rows=15)  # the sweep's active runs, the one with no metrics too
    rows = {row["run_name"]: row for row in shown["rows"]}
    assert shown["parentShown"]
    assert [rows[f"trial-{i}"]["parent"] for i in range(3)] == ["sweep-parent"] * 3
    assert rows["sweep-parent"]["parent"] is None and rows["sweep-parent"]["quadrant"] is None
    assert rows["percent-accuracy"]["final_accuracy"] == pytest.approx(0.978)
    drawn = {run for trace in traces(browser, "tradeoff-scatter") for run in trace["customdata"]}
    assert rows["trial-0"]["run_id"] in drawn and rows["sweep-parent"]["run_id"] not in drawn
    # its still-running run was left RUNNING when the fixture was made: long stalled by now
    assert text_of(browser, ids.MESSAGE).startswith("1 RUNNING run(s) logged nothing for over")
    assert rows["still-running"]["status"] == "RUNNING (stalled)"


def test_the_parent_column_stays_hidden_where_no_run_has_a_parent(
        browser: Any, demo_dashboard: DashboardServer, demo_store: DemoStore) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    assert not grid(browser)["parentShown"]


