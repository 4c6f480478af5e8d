"""The URL holds the view: a pasted link opens the same page (selection, objective, smoothing,
scale, train curves, each chart's zoom), and a link naming what the store lacks says so."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By

from tests.browser.page import (
    chosen_answer,
    open_dashboard,
    query,
    selected_row_ids,
    text_of,
    traces,
    wait_until,
)
from tests.helpers.mlflow_server import DashboardServer


def test_a_pasted_link_shows_the_same_view(browser: Any,
                                           demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    first = [p for t in traces(browser, "tradeoff-scatter") for p in t["customdata"]][0]
    link = f"{demo_dashboard.uri}/?experiment=lossboard-demo&objective=accuracy&selected={first}"
    open_dashboard(browser, link)
    assert wait_until(browser, lambda d: "highest" in chosen_answer(d),
                      what="the accuracy recommendation")
    assert browser.find_element(
        By.CSS_SELECTOR, "#objective-switch input[value='accuracy']").is_selected()
    assert wait_until(browser, lambda d: selected_row_ids(d) == [first], what="the row ticked")


def test_a_link_keeps_smoothing_log_scale_and_the_train_switch(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    link = (f"{demo_dashboard.uri}/?experiment=lossboard-demo&smoothing=0.5&scale=log"
            "&train=off")
    open_dashboard(browser, link)
    wait_until(browser, lambda d: d.execute_script(
        "return document.querySelector('#loss-curves .js-plotly-plot')._fullLayout.yaxis.type")
        == "log", what="a log-scale loss axis")
    assert not any(t["name"].endswith("(train)") for t in traces(browser, "loss-curves"))
    assert browser.find_element(By.CSS_SELECTOR, "#loss-scale input").is_selected()
    assert not browser.find_element(By.CSS_SELECTOR, "#train-curves input").is_selected()
    handle = browser.find_element(By.CSS_SELECTOR, "#smoothing-slider [role=slider]")
    assert handle.get_attribute("aria-valuenow") == "0.5"
    kept = query(browser)
    assert (kept["smoothing"], kept["scale"], kept["train"]) == (["0.5"], ["log"], ["off"])


RANGE = ("const g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
         " return g && g._fullLayout && g._fullLayout[arguments[1]] ?"
         " g._fullLayout[arguments[1]].range : null")


def zoom_until(browser: Any, graph: str, update: dict[str, Any], done: Any, what: str) -> None:
    """Zoom `graph` as a drag or a double-click reports it, again until `done`: a redraw that
    lands at the same moment can swallow the first report."""
    wait_until(browser, lambda d: done(d) or d.execute_script(
        "const g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        " if (g && g._fullLayout) Plotly.relayout(g, arguments[1]); return false;",
        graph, update), what=what)


def test_the_zoom_is_kept_in_the_link_and_a_link_opens_zoomed(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, f"{demo_dashboard.uri}/?experiment=lossboard-demo&loss_x=10,40")
    assert browser.execute_script(RANGE, "loss-curves", "xaxis") == [10, 40]
    assert browser.execute_script(RANGE, "accuracy-curves", "xaxis")[0] < 5  # its own zoom
    zoom_until(browser, "tradeoff-scatter", {"xaxis.range[0]": 0.05, "xaxis.range[1]": 0.25},
               lambda d: query(d).get("tradeoff_x") == ["0.05,0.25"],
               what="the scatter's zoom in the URL")
    zoom_until(browser, "loss-curves", {"xaxis.autorange": True},  # a double-click
               lambda d: "loss_x" not in query(d), what="loss_x gone from the URL")
    assert query(browser)["tradeoff_x"] == ["0.05,0.25"]
    browser.refresh()  # the link as it now stands opens the same zoom
    wait_until(browser, lambda d: d.execute_script(RANGE, "tradeoff-scatter", "xaxis")
               == [0.05, 0.25], what="the scatter opened zoomed")


def test_a_link_to_an_unknown_experiment_says_so_and_keeps_the_rest(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, f"{demo_dashboard.uri}/?experiment=nope&objective=accuracy"
                            "&smoothing=0.3")
    said = wait_until(browser, lambda d: text_of(d, "link-message"), what="the link's note")
    assert said.startswith("This link names the experiment 'nope', which this store does not "
                           "have; showing 'lossboard")
    kept = wait_until(browser, lambda d: (q := query(d)).get("experiment", [""])[0]
                      .startswith("lossboard") and q, what="the URL naming a real experiment")
    assert (kept["objective"], kept["smoothing"]) == (["accuracy"], ["0.3"])
    assert "highest accuracy" in wait_until(browser, lambda d: chosen_answer(d),
                                            what="the accuracy recommendation")


