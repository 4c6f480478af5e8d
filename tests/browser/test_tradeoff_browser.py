"""The trade-off scatter in headless Chromium: the reviewer's words on the plot, the picks named
and clickable, the view opened on the contenders, the baseline and the lift where they matter."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from tests.browser.page import open_dashboard, selected_in_url, traces, wait_until
from tests.helpers.mlflow_server import DashboardServer
from tests.helpers.stores import dashboard_on_runs

SCATTER = "document.querySelector('#tradeoff-scatter .js-plotly-plot')"
ANNOTATIONS = f"return {SCATTER}._fullLayout.annotations.map(a => a.text)"
Y_RANGE = f"return {SCATTER}._fullLayout.yaxis.range"


STAR = """
const gd = document.querySelector('#tradeoff-scatter .js-plotly-plot');
const drawn = document.querySelectorAll('#tradeoff-scatter .scatterlayer .trace');
const stars = [];
for (let i = 0; i < gd._fullData.length; i++) {
  const t = gd._fullData[i];
  if (!t.customdata || !t.marker) continue;
  const symbols = [].concat(t.marker.symbol);
  for (let j = 0; j < t.customdata.length; j++) {
    if ((symbols.length > 1 ? symbols[j] : symbols[0]) === 'star')
      stars.push([t.customdata[j], drawn[i].querySelectorAll('.point')[j], t.x[j], t.y[j]]);
  }
}
return stars.length ? stars : null;
"""


def test_the_picks_are_named_stars_that_select_their_run(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """The one-point "Pareto front" trace sat on the recommended run and took its hover and
    click; now the pick is a star with its name, and clicking it selects it."""
    open_dashboard(browser, demo_dashboard.uri)
    names = browser.execute_script(
        "return Array.from(document.querySelectorAll('#tradeoff-scatter .textpoint'))"
        ".map(t => t.textContent)")
    assert any(n.startswith("mlp-64-decay-0.3-seed") and "★ lowest loss" in n for n in names)
    run, _, x, y = wait_until(browser, lambda d: d.execute_script(STAR), what="the stars")[0]
    # the demo's picks are seeds of one configuration, pixels apart: zoom in as a user would
    browser.execute_script(
        "Plotly.relayout(document.querySelector('#tradeoff-scatter .js-plotly-plot'), "
        "{'xaxis.range': [arguments[0] - 0.0005, arguments[0] + 0.0005], "
        "'yaxis.range': [arguments[1] - 0.002, arguments[1] + 0.002]})", x, y)
    time.sleep(0.5)
    point = next(p for r, p, _, _ in browser.execute_script(STAR) if r == run)
    ActionChains(browser).move_to_element(point).pause(0.3).click().perform()
    assert wait_until(browser, selected_in_url, what="selected= in the URL") == [run]
    front = browser.execute_script(
        "return document.querySelector('#tradeoff-scatter .js-plotly-plot')._fullData"
        ".filter(t => t.name === 'Pareto front').map(t => t.hoverinfo)")
    assert front == ["skip"]


NAMES_AND_TICKS = """
const plot = document.querySelector('#tradeoff-scatter .js-plotly-plot');
const right = Math.max(...Array.from(plot.querySelectorAll('.ytick text'))
                       .map(t => t.getBoundingClientRect().right));
return [right, Array.from(plot.querySelectorAll('.textpoint'))
        .map(t => t.getBoundingClientRect().left)];
"""


def test_names_on_the_scatter_stay_clear_of_the_axis_labels(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """The picks sit at the left edge: their names ran left over the accuracy tick labels."""
    open_dashboard(browser, demo_dashboard.uri)
    ticks_end, names_start = browser.execute_script(NAMES_AND_TICKS)
    assert names_start and min(names_start) > ticks_end, (ticks_end, names_start)


NAME_BOXES = """
return Array.from(document.querySelectorAll('#tradeoff-scatter .textpoint text')).map(t => {
  const box = t.getBoundingClientRect();
  return [t.textContent, box.left, box.top, box.right, box.bottom, t.style.textShadow];
});
"""


def test_names_on_the_scatter_never_run_through_each_other(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """The demo's two picks lie a pixel apart in loss, the lower-loss one less accurate: its
    name went above and the other's below, through each other and the points under them."""
    open_dashboard(browser, demo_dashboard.uri)
    boxes = browser.execute_script(NAME_BOXES)
    assert len(boxes) >= 2
    for i, (a, *box_a, _) in enumerate(boxes):
        for b, *box_b, _ in boxes[i + 1:]:
            apart = (box_a[2] <= box_b[0] or box_b[2] <= box_a[0]
                     or box_a[3] <= box_b[1] or box_b[3] <= box_a[1])
            assert apart, (a, box_a, b, box_b)
    assert all(shadow for *_, shadow in boxes)  # a halo keeps them legible over the points


def test_each_quadrant_is_named_on_the_plot_in_the_reviewers_words(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """The words "overconfident" and "hedging" appeared nowhere on the page."""
    open_dashboard(browser, demo_dashboard.uri)
    named = set(browser.execute_script(ANNOTATIONS))
    assert {"overconfident: high accuracy, high loss", "hedging: low accuracy, low loss",
            "better on both: high accuracy, low loss",
            "worse on both: low accuracy, high loss"} <= named


def test_the_scatter_opens_on_the_contenders_and_a_double_click_shows_every_run(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """Runs 0.1-0.4 less accurate than the rest squeezed the 18 that decide into a sliver at
    the top of a 0.5-1 axis. They are below the view now, said under the chart."""
    open_dashboard(browser, demo_dashboard.uri)
    low, high = browser.execute_script(Y_RANGE)
    accuracies = browser.execute_script(  # every run's point
        f"return {SCATTER}._fullData.filter(t => t.customdata).flatMap(t => Array.from(t.y))")
    assert low > 0.8 and min(accuracies) < 0.6 and high < 1.0, (low, high)
    title = browser.execute_script(f"return {SCATTER}._fullLayout.xaxis.title.text")
    assert "below the view: 5 runs with accuracy under 0.8" in title, title
    assert "the majority-class baseline (0.626)" in title
    browser.execute_script(f"Plotly.relayout({SCATTER}, {{'xaxis.autorange': true, "
                           "'yaxis.autorange': true})")  # what a double-click does
    assert wait_until(browser, lambda d: d.execute_script(Y_RANGE)[0] < min(accuracies),
                      what="every run in view")


def test_the_imbalanced_experiment_shows_its_baseline_and_the_lift_at_1280_px(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """Its baseline (0.90) sat on the scatter's bottom edge, and the lift over it was the
    table's 15th column, 900 px off-screen."""
    size = browser.get_window_size()
    try:
        browser.set_window_size(1280, 1000)
        open_dashboard(browser, f"{demo_dashboard.uri}/?experiment=lossboard-demo-imbalanced")
        low, high = browser.execute_script(Y_RANGE)
        baseline = browser.execute_script(
            f"return {SCATTER}._fullLayout.shapes.find(s => s.line.dash === 'dot').y0")
        assert low < baseline - 0.05 * (high - low), (low, baseline, high)  # not on the edge
        assert "majority-class baseline" in browser.execute_script(ANNOTATIONS)
        edges = wait_until(browser, lambda d: d.execute_script(
            "const grid = document.querySelector('#runs-table').getBoundingClientRect();"
            "const lift = document.querySelector('#runs-table [col-id=\"lift\"]');"
            "return lift && [lift.getBoundingClientRect().right, grid.right];"),
            what="the lift column")
        assert edges[0] <= edges[1], edges
        card = browser.execute_script(
            "return document.getElementById('verdict-accuracy').innerText")
        assert "above always answering the majority class" in card
    finally:
        browser.set_window_size(size["width"], size["height"])


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory,
               store_template: Path) -> Iterator[DashboardServer]:
    """Three runs, one of them best on both: no median worth splitting, a front of one."""
    with dashboard_on_runs(tmp_path_factory.mktemp("three"), store_template, "three",
                           [("best", 0.2, 0.95, {}), ("mid", 0.3, 0.9, {}),
                            ("worst", 0.5, 0.8, {})]) as server:
        yield server


def test_too_few_runs_are_not_split_into_quadrants_and_a_front_of_one_is_not_drawn(
        browser: Any, three_runs: DashboardServer) -> None:
    """A "Pareto front" sat in the legend with nothing drawn, over the pick's point."""
    open_dashboard(browser, f"{three_runs.uri}/?experiment=three")
    named = browser.execute_script(ANNOTATIONS)
    assert "3 runs: too few to split into quadrants at the medians" in named
    assert not any(text.startswith(("overconfident", "hedging")) for text in named)
    assert "Pareto front" not in {t["name"] for t in traces(browser, "tradeoff-scatter")}


POINT_OF = """
const gd = document.querySelector('#tradeoff-scatter .js-plotly-plot');
const drawn = document.querySelectorAll('#tradeoff-scatter .scatterlayer .trace');
for (let i = 0; i < gd._fullData.length; i++) {
  const at = gd._fullData[i].customdata ? Array.from(gd._fullData[i].customdata) : [];
  const j = at.indexOf(arguments[0]);
  if (j >= 0) return drawn[i].querySelectorAll('.point')[j];
}
return null;
"""
ROW_IN_VIEW = """
const row = document.querySelector(
  `#runs-table .ag-center-cols-container [row-id="${arguments[0]}"]`);
const body = document.querySelector('#runs-table .ag-body-viewport').getBoundingClientRect();
if (!row) return false;
const box = row.getBoundingClientRect();
return box.top >= body.top - 1 && box.bottom <= body.bottom + 1;
"""


def test_a_point_clicked_on_the_scatter_brings_its_row_into_the_tables_view(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """The table shows 7 of 24 rows: a run picked on the scatter was selected out of sight."""
    open_dashboard(browser, demo_dashboard.uri)
    order = browser.execute_script(  # the table's rows top to bottom, and which are in view
        "const api = dash_ag_grid.getApi('runs-table'); const ids = [];"
        " api.forEachNodeAfterFilterAndSort(n => ids.push(n.id)); return ids;")
    low, high = browser.execute_script(Y_RANGE)
    accuracy = dict(browser.execute_script(
        f"return {SCATTER}._fullData.filter(t => t.customdata).flatMap(t => "
        "Array.from(t.customdata).map((r, i) => [r, t.y[i]]))"))
    hidden = [r for r in order if not browser.execute_script(ROW_IN_VIEW, r)
              and low < accuracy[r] < high]
    assert hidden, "every row already in view"
    point = browser.execute_script(POINT_OF, hidden[-1])
    ActionChains(browser).move_to_element(point).pause(0.3).click().perform()
    assert wait_until(browser, selected_in_url, what="selected= in the URL") == [hidden[-1]]
    assert wait_until(browser, lambda d: d.execute_script(ROW_IN_VIEW, hidden[-1]),
                      what="its row scrolled into view")
