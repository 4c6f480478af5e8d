"""The dashboard in headless Chromium, on the real demo runs, as a user clicks through it."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.browser.page import (
    click_first_scatter_point,
    open_dashboard,
    query,
    selected_in_url,
    selected_row_ids,
    text_of,
    traces,
    wait_until,
)
from tests.helpers.mlflow_server import DashboardServer

DEMO_RUNS = 24  # 8 configurations x 3 seeds


def run_lines(driver: Any, graph: str) -> set[str]:
    return {t["name"] for t in traces(driver, graph) if t["group"]}


def test_demo_loads_with_both_curve_panels_the_scatter_and_the_table(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    assert query(browser)["experiment"] == ["lossboard-demo"]
    for graph in ("loss-curves", "accuracy-curves"):
        lines = run_lines(browser, graph)
        assert len(lines) == 2 * DEMO_RUNS, lines  # validation and train per run
        assert {"mlp-256-no-decay-long-seed0 (val)", "mlp-256-no-decay-long-seed2 (train)"} <= lines
    points = [p for t in traces(browser, "tradeoff-scatter") for p in t["customdata"]]
    assert len(points) == DEMO_RUNS
    rows = wait_until(browser, lambda d: d.execute_script(
        "return dash_ag_grid.getApi('runs-table').getDisplayedRowCount()"), what="table rows")
    assert rows == DEMO_RUNS
    statuses = browser.execute_script(
        "const s = []; dash_ag_grid.getApi('runs-table').forEachNode(n => s.push(n.data.status));"
        " return s;")
    assert statuses == ["FINISHED"] * DEMO_RUNS  # finished runs are never called stalled
    assert text_of(browser, "status-message") == ""  # and no stalled note above the charts
    assert text_of(browser, "recommendation").startswith(
        "mlp-64-decay-0.3 (3 seeds) has the lowest")  # the seed group's answer
    assert "ECE" in text_of(browser, "calibration-notes")


def test_switching_the_objective_changes_the_recommendation(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    by_loss = wait_until(browser, lambda d: text_of(d, "recommendation"), what="a recommendation")
    browser.find_element(By.CSS_SELECTOR, "#objective-switch input[value='accuracy']").click()
    by_accuracy = wait_until(browser, lambda d: (t := text_of(d, "recommendation")) != by_loss
                             and t, what="the accuracy recommendation")
    assert "has the lowest validation loss" in by_loss
    assert "has the highest accuracy" in by_accuracy
    assert query(browser)["objective"] == ["accuracy"]


def test_clicking_a_scatter_point_highlights_that_run_everywhere(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    run_id = click_first_scatter_point(browser)
    assert wait_until(browser, lambda d: selected_row_ids(d) == [run_id], what="the row ticked")
    wait_until(browser, lambda d: any(t["group"] == run_id and t["width"] == 4
                                      for t in traces(d, "accuracy-curves")),
               what="the run's accuracy lines drawn bold")
    faint = [t for t in traces(browser, "loss-curves") if t["group"] and t["group"] != run_id]
    assert faint and all(t["width"] == 1 for t in faint)
    ringed = [s for t in traces(browser, "tradeoff-scatter") for s in t["size"]]
    assert sorted(ringed).count(16) == 1  # the one selected point drawn larger


def test_a_pasted_link_shows_the_same_view(browser: Any,
                                           demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    first = [p for t in traces(browser, "tradeoff-scatter") for p in t["customdata"]][0]
    link = f"{demo_dashboard.uri}/?experiment=lossboard-demo&objective=accuracy&selected={first}"
    open_dashboard(browser, link)
    assert wait_until(browser, lambda d: "highest" in text_of(d, "recommendation"),
                      what="the accuracy recommendation")
    assert browser.find_element(
        By.CSS_SELECTOR, "#objective-switch input[value='accuracy']").is_selected()
    assert wait_until(browser, lambda d: selected_row_ids(d) == [first], what="the row ticked")


def test_ticking_rows_in_the_table_selects_them(browser: Any,
                                                demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    wait_until(browser, lambda d: d.find_elements(
        By.CSS_SELECTOR, "#runs-table .ag-row .ag-selection-checkbox input"), what="checkboxes")
    boxes = browser.find_elements(By.CSS_SELECTOR,
                                  "#runs-table .ag-center-cols-container .ag-row")
    assert boxes
    browser.find_elements(By.CSS_SELECTOR,
                          "#runs-table .ag-row .ag-selection-checkbox input")[0].click()
    picked = wait_until(browser, selected_in_url, what="selected= in URL")
    assert len(picked[0].split(",")) == 1
    wait_until(browser, lambda d: any(t["width"] == 4 for t in traces(d, "loss-curves")),
               what="bold lines for the ticked run")


def test_clicking_a_legend_entry_selects_its_run(browser: Any,
                                                 demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    entry = browser.find_elements(By.CSS_SELECTOR, "#loss-curves .legend .legendtoggle")[0]
    ActionChains(browser).move_to_element(entry).click().perform()
    picked = wait_until(browser, selected_in_url, what="selected= in URL")
    wait_until(browser, lambda d: {t["group"] for t in traces(d, "loss-curves")
                                   if t["width"] == 4} == set(picked), what="bold legend run")
