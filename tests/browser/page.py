"""Reading and driving the dashboard page in the browser, by what the user sees."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

TRACES = """
const graph = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
// _fullData: what plotly drew, with numpy arrays (sent base64-encoded) decoded
return graph && graph._fullData ? graph._fullData.map(t => ({
    name: t.name || '', group: t.legendgroup || '', width: (t.line || {}).width || null,
    colour: (t.line || {}).color || null, fill: t.fill || '',
    error_bars: !!((t.error_x || {}).visible && (t.error_y || {}).visible),
    customdata: t.customdata ? Array.from(t.customdata) : [],
    markers: t.marker && t.marker.color !== undefined ? [].concat(t.marker.color) : [],
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


def chosen_answer(driver: Any) -> str:
    """The verdict's sentence for the objective the page is set to (its outlined card)."""
    return str(driver.execute_script(
        "const e = document.querySelector('#verdict .verdict-card.chosen .verdict-reason');"
        " return e ? e.innerText : ''"))


def open_dashboard(driver: Any, url: str) -> None:
    """Load the page and wait until the curves are drawn."""
    driver.get(url)
    wait_until(driver, lambda d: len(traces(d, "loss-curves")) > 1, what="the loss curves")


def grid_cells(driver: Any, column: str) -> dict[str, str]:
    """Run id -> the text the grid shows in `column`, scrolled into view (the grid draws only
    the columns on screen)."""
    driver.execute_script("dash_ag_grid.getApi('runs-table').ensureColumnVisible(arguments[0])",
                          column)
    return wait_until(driver, lambda d: d.execute_script(
        "const out = {}; document.querySelectorAll('#runs-table .ag-row').forEach(row => {"
        " const cell = row.querySelector(`[col-id=\"${arguments[0]}\"]`);"
        " if (cell) out[row.getAttribute('row-id')] = cell.innerText; }); return out;", column),
        what=f"the {column} cells")


def selected_row_ids(driver: Any) -> list[str]:
    """Run ids of the grid's selected rows, as ag-grid itself reports them."""
    return list(driver.execute_script(
        "return dash_ag_grid.getApi('runs-table').getSelectedRows().map(r => r.run_id)"))


def query(driver: Any) -> dict[str, list[str]]:
    """The page URL's query parameters: the dashboard's state."""
    return parse_qs(urlparse(driver.current_url).query)


def selected_in_url(driver: Any) -> list[str]:
    return query(driver).get("selected", [])


def click_first_scatter_point(driver: Any, attempts: int = 3) -> str:
    """Click the trade-off scatter's first point until the page selects its run; its id.

    Plotly takes a click only over a point it has hovered, and the scatter may be redrawn
    between finding the point and clicking it (a click was lost once on a loaded CI machine).
    A click that did not register changed nothing, so clicking again cannot undo a selection."""
    for _ in range(attempts - 1):
        try:
            return _click_first_point(driver)
        except AssertionError:
            pass
    return _click_first_point(driver)


def _click_first_point(driver: Any) -> str:
    point = driver.find_elements(By.CSS_SELECTOR, "#tradeoff-scatter .scatterlayer .point")[0]
    ActionChains(driver).move_to_element(point).pause(0.3).click().perform()
    return str(wait_until(driver, selected_in_url, timeout=15.0, what="selected= in the URL")[0])
