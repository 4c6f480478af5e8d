"""Reading and driving the dashboard page in the browser, by what the user sees."""

from __future__ import annotations

import time
from typing import Any

TRACES = """
const graph = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
// _fullData: what plotly drew, with numpy arrays (sent base64-encoded) decoded
return graph && graph._fullData ? graph._fullData.map(t => ({
    name: t.name || '', group: t.legendgroup || '', width: (t.line || {}).width || null,
    customdata: t.customdata ? Array.from(t.customdata) : [],
    size: t.marker && t.marker.size !== undefined ? Array.from([].concat(t.marker.size)
        .flatMap(s => (typeof s === 'number' ? [s] : Array.from(s)))) : []})) : null;
"""


def wait_until(driver: Any, condition: Any, timeout: float = 45.0, what: str = "") -> Any:
    """Poll `condition(driver)` until it returns something truthy; fail with `what`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition(driver)
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what or condition} (last: {last!r})")


def traces(driver: Any, graph_id: str) -> list[dict[str, Any]]:
    return driver.execute_script(TRACES, graph_id) or []


def text_of(driver: Any, element_id: str) -> str:
    return str(driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.innerText : ''",
        element_id))


def open_dashboard(driver: Any, url: str) -> None:
    """Load the page and wait until the curves are drawn."""
    driver.get(url)
    wait_until(driver, lambda d: len(traces(d, "loss-curves")) > 1, what="the loss curves")


def selected_row_ids(driver: Any) -> list[str]:
    """Run ids of the grid's selected rows, as ag-grid itself reports them."""
    return list(driver.execute_script(
        "return dash_ag_grid.getApi('runs-table').getSelectedRows().map(r => r.run_id)"))
