"""One run, one param: the run detail drawer and the param-effect view, in headless Chromium
on the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.page import grid_cells, open_dashboard, query, text_of, traces, wait_until
from tests.browser.test_groups_browser import run_cell, shown_rows
from tests.helpers.mlflow_server import DashboardServer, MlflowServer
from tests.helpers.stores import log_finished_runs


def test_a_click_on_a_runs_name_opens_its_details(browser: Any,
                                                  demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    run = str(wait_until(browser, shown_rows, what="table rows")[0][0])
    name = run_cell(browser, run).text
    run_cell(browser, run).click()
    drawer = wait_until(browser, lambda d: d.find_element(By.ID, "run-drawer").is_displayed()
                        and d.find_element(By.ID, "run-drawer"), what="the drawer")
    wait_until(browser, lambda d: name in text_of(d, "run-drawer-body"), what="its name")
    body = text_of(browser, "run-drawer-body")
    assert "FINISHED" in body and run in body and "hidden_layers" in body  # status, id, params
    assert "final val loss" in body and "Tags" in body
    curves = browser.find_elements(By.CSS_SELECTOR, "#run-drawer-body .js-plotly-plot")
    assert len(curves) == 2
    assert not browser.find_elements(By.ID, "run-drawer-mlflow-link")  # SQLite: no MLflow UI
    assert "solid: validation, dashed: train" in text_of(browser, "run-drawer-body")
    # a dialog: focus moves into it, Escape closes it
    wait_until(browser, lambda d: d.switch_to.active_element.get_attribute("id")
               == "run-drawer-close", what="focus on the drawer's Close")
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_until(browser, lambda d: not d.find_element(By.ID, "run-drawer").is_displayed(),
               what="the drawer closed by Escape")
    run_cell(browser, run).click()
    wait_until(browser, lambda d: drawer.is_displayed(), what="the drawer open again")
    drawer.find_element(By.ID, "run-drawer-close").click()
    wait_until(browser, lambda d: not d.find_element(By.ID, "run-drawer").is_displayed(),
               what="the drawer closed")


def param_axis(driver: Any) -> str:
    return str(driver.execute_script(
        "const g = document.querySelector('#param-effect .js-plotly-plot');"
        " return g && g.layout.xaxis.title ? g.layout.xaxis.title.text : ''"))


def test_the_param_effect_view_plots_a_picked_param_kept_in_the_link(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    points = wait_until(browser, lambda d: [t for t in traces(d, "param-effect")
                                            if t["customdata"]], what="the param's points")
    assert [len(t["customdata"]) for t in points] == [24, 24]  # loss and accuracy, per run
    wait_until(browser, lambda d: text_of(d, "param-picker") == (
        "epochs (explains most of the loss)"), what="the param shown named in the picker")
    browser.find_element(By.ID, "param-picker").click()  # Dash 4's dropdown: a button
    option = wait_until(browser, lambda d: d.find_elements(
        By.CSS_SELECTOR, ".dash-options-list-option input[value='weight_decay']"),
        what="the dropdown's options")[0]
    browser.execute_script("arguments[0].closest('label').click()", option)
    wait_until(browser, lambda d: param_axis(d) == "weight_decay", what="weight_decay drawn")
    assert text_of(browser, "param-picker") == "weight_decay"
    assert wait_until(browser, lambda d: query(d).get("param"), what="param=") == ["weight_decay"]
    browser.get(demo_dashboard.uri + "?experiment=lossboard-demo&param=learning_rate")
    wait_until(browser, lambda d: param_axis(d) == "learning_rate", what="a link's param drawn")
    browser.get(demo_dashboard.uri + "?experiment=lossboard-demo&param=nope")
    wait_until(browser, lambda d: "a param 'nope'" in str(d.execute_script(
        "const t = document.querySelector('#param-effect .gtitle');"
        " return t ? t.textContent : ''")), what="the unknown param said, as drawn")


def test_runs_of_two_experiments_are_compared_on_one_page(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    wait_until(browser, lambda d: d.find_elements(By.ID, "compared-experiments"),
               what="the compared-experiments picker")[0].click()
    option = wait_until(browser, lambda d: d.find_elements(
        By.CSS_SELECTOR, ".dash-options-list-option input[value='lossboard-demo-imbalanced']"),
        what="the other experiment in the list")[0]
    browser.execute_script("arguments[0].closest('label').click()", option)
    wait_until(browser, lambda d: query(d).get("compare") == ["lossboard-demo-imbalanced"],
               what="compare= in the URL")
    rows = wait_until(browser, lambda d: len(shown_rows(d)) == 30 and shown_rows(d),
                      what="both experiments' runs in the table")
    shown = grid_cells(browser, "experiment")  # the column is on screen (rows virtualised)
    assert set(shown.values()) <= {"lossboard-demo", "lossboard-demo-imbalanced"} and shown
    experiments = browser.execute_script(
        "const s = new Set(); dash_ag_grid.getApi('runs-table').forEachNode("
        "n => s.add(n.data.experiment)); return Array.from(s).sort();")
    assert experiments == ["lossboard-demo", "lossboard-demo-imbalanced"]
    assert len(rows) == 30
    points = [p for t in traces(browser, "tradeoff-scatter") for p in t["customdata"]]
    assert len(points) == 30  # one scatter, its medians and front over the union
    browser.get(demo_dashboard.uri + "?experiment=lossboard-demo&compare=nope")  # a bad link
    wait_until(browser, lambda d: "'nope'; left out." in text_of(d, "link-message"),
               what="the unknown experiment said")
    assert wait_until(browser, lambda d: len(shown_rows(d)) == 24, what="the demo's runs")


def test_over_a_tracking_server_the_drawer_links_to_the_run_in_mlflows_ui(
        browser: Any, mlflow_server: MlflowServer, tmp_path: Path) -> None:
    experiment, runs = log_finished_runs(mlflow_server.uri, "served",
                                         [("a", 0.2, 0.9, {}), ("b", 0.3, 0.95, {})])
    dashboard = DashboardServer(tmp_path, backend_uri=mlflow_server.uri)
    dashboard.start()
    try:
        open_dashboard(browser, f"{dashboard.uri}/?experiment=served")
        run_cell(browser, runs[0]).click()
        link = wait_until(browser, lambda d: d.find_elements(By.ID, "run-drawer-mlflow-link"),
                          what="the link to MLflow's UI")[0]
        assert link.get_attribute("href") == (
            f"{mlflow_server.uri}/#/experiments/{experiment}/runs/{runs[0]}")
        assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    finally:
        dashboard.stop()
