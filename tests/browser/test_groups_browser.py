"""The page by seed group, in headless Chromium on the demo (8 configurations x 3 seeds): the
switch, mean lines in bands, points with error bars, rows that open to their runs."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By

from tests.browser.page import (
    open_dashboard,
    query,
    selected_in_url,
    traces,
    wait_until,
)
from tests.helpers.mlflow_server import DashboardServer

CONFIGURATIONS = 8
ROWS = """
const out = []; const api = dash_ag_grid.getApi('runs-table');
api.forEachNodeAfterFilterAndSort(n => out.push([n.data.run_id, n.data.member_of || null]));
return out;"""


def shown_rows(driver: Any) -> list[list[str | None]]:
    """[row id, its group (None for a group's own row)] in the order the grid shows them."""
    return list(driver.execute_script(ROWS))


def run_cell(driver: Any, row_id: str) -> Any:
    return driver.find_element(
        By.CSS_SELECTOR, f"#runs-table .ag-row[row-id='{row_id}'] [col-id='run_name']")


def test_the_switch_draws_each_configuration_once_with_its_seeds_spread(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    browser.find_element(By.CSS_SELECTOR, "#grouping-switch input[value='groups']").click()
    wait_until(browser, lambda d: query(d).get("view") == ["groups"], what="view=groups")
    bands = wait_until(browser, lambda d: [t for t in traces(d, "loss-curves")
                                           if t["fill"] == "toself"], what="bands")
    assert len(bands) == CONFIGURATIONS  # one band of ± 1 sd per group's validation line
    means = {t["name"] for t in traces(browser, "loss-curves") if t["group"]}
    assert len(means) == 2 * CONFIGURATIONS and all("(3 seeds)" in name for name in means)
    points = [t for t in traces(browser, "tradeoff-scatter") if t["customdata"]]
    assert sum(len(t["customdata"]) for t in points) == CONFIGURATIONS
    assert all(t["error_bars"] for t in points)
    rows = wait_until(browser, shown_rows, what="table rows")
    assert len(rows) == CONFIGURATIONS and all(group is None for _, group in rows)
    assert run_cell(browser, str(rows[0][0])).text.startswith("▸ ")


def test_a_group_row_opens_to_its_runs_which_stay_under_it_when_sorted(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri + "?experiment=lossboard-demo&view=groups")
    group = str(wait_until(browser, shown_rows, what="table rows")[0][0])
    run_cell(browser, group).click()
    opened = wait_until(browser, lambda d: len(shown_rows(d)) == CONFIGURATIONS + 3
                        and shown_rows(d), what="the group's three runs")
    at = [row[0] for row in opened].index(group)
    assert [row[1] for row in opened[at + 1:at + 4]] == [group] * 3
    assert run_cell(browser, group).text.startswith("▾ ")
    assert not browser.find_element(By.ID, "run-drawer").is_displayed()  # a group: no drawer
    member = str(opened[at + 1][0])
    assert run_cell(browser, member).text.startswith("└ ")
    header = browser.find_element(By.CSS_SELECTOR,
                                  "#runs-table .ag-header-cell[col-id='final_loss']")
    header.click()  # sorted by final loss: the runs still right under their group
    wait_until(browser, lambda d: d.execute_script(
        "return dash_ag_grid.getApi('runs-table').getColumnState()"
        ".some(c => c.colId === 'final_loss' && c.sort)"), what="the sort")
    ordered = shown_rows(browser)
    at = [row[0] for row in ordered].index(group)
    assert [row[1] for row in ordered[at + 1:at + 4]] == [group] * 3
    run_cell(browser, group).click()  # and closed again
    wait_until(browser, lambda d: len(shown_rows(d)) == CONFIGURATIONS, what="closed")


def test_a_ticked_seed_is_drawn_among_the_means(browser: Any,
                                               demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri + "?experiment=lossboard-demo&view=groups")
    group = str(wait_until(browser, shown_rows, what="table rows")[0][0])
    run_cell(browser, group).click()
    member = wait_until(browser, lambda d: next((r[0] for r in shown_rows(d) if r[1]), None),
                        what="an opened run")
    box = f"#runs-table .ag-row[row-id='{member}'] .ag-selection-checkbox input"
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, box), what="its checkbox")
    browser.find_element(By.CSS_SELECTOR, box).click()
    assert wait_until(browser, selected_in_url, what="selected=") == [member]
    wait_until(browser, lambda d: any(t["group"] == member and t["width"] == 4
                                      for t in traces(d, "loss-curves")),
               what="the ticked seed's own bold line")



CUT_NAMES = """
return Array.from(document.querySelectorAll("#runs-table .ag-row [col-id='run_name']"))
  .map(cell => [cell.textContent, cell.querySelector('.ag-cell-value') || cell])
  .filter(([, value]) => value.scrollWidth > value.clientWidth).map(([text]) => text);
"""


def test_group_names_show_whole_in_the_table(browser: Any,
                                             demo_dashboard: DashboardServer) -> None:
    """At 1280 px "mlp-128x128-no-decay-long (3 seeds)" showed as "mlp-128x128-no-decay-long (..."
    in a run column sized for run names."""
    size = browser.get_window_size()
    browser.set_window_size(1280, 1000)
    try:
        open_dashboard(browser, demo_dashboard.uri + "?experiment=lossboard-demo&view=groups")
        wait_until(browser, lambda d: len(shown_rows(d)) == CONFIGURATIONS, what="the groups")
        names = [run_cell(browser, str(row)).text for row, _ in shown_rows(browser)]
        assert any("128x128" in name for name in names)
        assert browser.execute_script(CUT_NAMES) == []
    finally:
        browser.set_window_size(size["width"], size["height"])
