"""The dashboard in headless Chromium, on the real demo runs, as a user clicks through it."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.page import (
    chosen_answer,
    click_first_scatter_point,
    grid_cells,
    open_dashboard,
    query,
    selected_in_url,
    selected_row_ids,
    text_of,
    traces,
    wait_until,
)
from tests.helpers.mlflow_server import DashboardServer
from training.sweep import REGIMES

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
    assert chosen_answer(browser).startswith(
        "mlp-64-decay-0.3 (3 seeds) has the lowest")  # the seed group's answer
    assert "ECE" in text_of(browser, "calibration-notes")
    # the verdict weighs the strongest disagreeing groups; calibration shows that pair's seeds
    assert "The strongest disagreement: mlp-256-no-decay-long" in text_of(browser, "verdict-why")
    samples = [len(t["customdata"]) for t in traces(browser, "calibration") if t["customdata"]]
    assert samples == [171, 171]  # the true class's probability, sample by sample, per run
    assert "mlp-256-no-decay-long-seed0: ECE" in text_of(browser, "calibration-notes")


def test_the_verdict_comes_first_and_calibration_is_shown_and_explained(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """Bins of one sample jumped between 0 and 1 with no counts; ECE called the overconfident
    run better calibrated with no word why; three runs' histograms overlaid into mud."""
    open_dashboard(browser, demo_dashboard.uri)
    tops = {i: browser.execute_script(
        "return document.getElementById(arguments[0]).getBoundingClientRect().top", i)
        for i in ("verdict", "loss-curves", "tradeoff-scatter")}
    assert tops["verdict"] < tops["loss-curves"] < tops["tradeoff-scatter"], tops
    notes = text_of(browser, "calibration-notes")
    assert "ECE calls mlp-256-no-decay-long-seed0 the better calibrated, yet " in notes
    assert "7 confident mistakes (at least 90% on a wrong class), carrying 99% of its loss" \
        in notes
    assert "is confidently wrong on 3 samples (#" in notes  # one run wrong where the other is not
    bins = browser.execute_script(
        "return document.querySelector('#calibration .js-plotly-plot')._fullData"
        ".filter(t => t.mode === 'markers+text').map(t => [Array.from(t.text),"
        " [].concat(t.marker.symbol)])")
    assert len(bins) == 2 and all(texts and all(c.isdigit() for c in texts)
                                  for texts, _ in bins)  # each bin shows its count
    few = [(int(count), symbol) for texts, symbols in bins
           for count, symbol in zip(texts, symbols * len(texts) if len(symbols) == 1
                                    else symbols, strict=True)]
    assert all((symbol == "circle-open") == (count < 10) for count, symbol in few), few
    rows = browser.execute_script(  # each run's samples on its own row, not overlaid
        "return document.querySelector('#calibration .js-plotly-plot')._fullData"
        ".filter(t => t.yaxis === 'y2').map(t => [Math.min(...t.y), Math.max(...t.y)])")
    assert len(rows) == 2 and rows[0][1] < rows[1][0], rows


def test_the_page_needs_no_other_host_and_the_server_logs_no_request(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """Components render with no CDN; `lossboard serve` is a production server: no Flask
    development-server warning, no line per request unless asked."""
    open_dashboard(browser, demo_dashboard.uri)
    hosts = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert hosts and set(hosts) == {demo_dashboard.uri.split("//")[1]}, set(hosts)
    log = demo_dashboard.log_path.read_text(errors="replace")
    assert "development server" not in log and "GET /" not in log, log[-2000:]


def test_switching_the_objective_changes_the_recommendation(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    by_loss = wait_until(browser, lambda d: chosen_answer(d), what="a recommendation")
    browser.find_element(By.CSS_SELECTOR, "#objective-switch input[value='accuracy']").click()
    by_accuracy = wait_until(browser, lambda d: (t := chosen_answer(d)) != by_loss
                             and t, what="the accuracy recommendation")
    assert "has the lowest validation loss" in by_loss
    assert "has the highest accuracy" in by_accuracy
    assert query(browser)["objective"] == ["accuracy"]
    # the accuracy pick leads three tied groups by a third of a sample: not a headline
    picks = {card: text_of(browser, card).split("\n")[1] for card in ("verdict-loss",
                                                                      "verdict-accuracy")}
    assert picks == {"verdict-loss": "mlp-64-decay-0.3",
                     "verdict-accuracy": "mlp-64-decay-0.3 lead within noise"}, picks


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


def test_the_table_is_the_legend_in_each_runs_colour(browser: Any,
                                                   demo_dashboard: DashboardServer) -> None:
    """No legend eats the curve panels; a run has one colour on every chart and in its table
    swatch: its seed group's, which no other group shares, the same by run and by group."""
    open_dashboard(browser, demo_dashboard.uri)
    for graph in ("loss-curves", "accuracy-curves"):
        assert not browser.find_elements(By.CSS_SELECTOR, f"#{graph} .legend")
    line = {t["group"]: t["colour"] for t in traces(browser, "loss-curves") if t["group"]}
    swatches = run_swatches(browser)
    assert swatches and all(run in line for run in swatches)
    for run, colour in swatches.items():
        assert colour == css_rgb(line[run]), run
    points = scatter_colours(browser)
    assert set(points) == set(line) and all(points[r] == line[r] for r in points)
    calibrated = {t["group"]: t["colour"] for t in traces(browser, "calibration")
                  if t["group"] and t["colour"]}
    assert len(calibrated) == 2 and all(calibrated[r] == line[r] for r in calibrated)
    names = {t["group"]: t["name"].rsplit(" (", 1)[0] for t in traces(browser, "loss-curves")}
    by_group: dict[str, set[str]] = {}
    for run, colour in line.items():
        by_group.setdefault(names[run].rsplit("-seed", 1)[0], set()).add(colour)
    assert all(len(colours) == 1 for colours in by_group.values()), by_group
    assert len({c for colours in by_group.values() for c in colours}) == len(by_group) == 8
    open_dashboard(browser, demo_dashboard.uri + "/?view=groups")
    means = {t["name"].split(" (")[0]: t["colour"] for t in traces(browser, "loss-curves")
             if t["name"].endswith(" seeds) (val)")}
    assert means == {group: colours.pop() for group, colours in by_group.items()}


def run_swatches(driver: Any) -> dict[str, str]:
    """Run id -> the colour of its swatch in the table's run column, as the browser drew it."""
    return dict(wait_until(driver, lambda d: d.execute_script(
        "const out = {}; document.querySelectorAll('#runs-table .ag-row').forEach(row => {"
        " const cell = row.querySelector('[col-id=\"run_name\"]');"
        " if (cell) out[row.getAttribute('row-id')] = getComputedStyle(cell).borderLeftColor;"
        " }); return out;"), what="the run cells"))


def scatter_colours(driver: Any) -> dict[str, str]:
    """Run id -> its point's fill on the trade-off scatter."""
    return {run: colour for t in traces(driver, "tradeoff-scatter")
            for run, colour in zip(t["customdata"], t["markers"], strict=False)
            if isinstance(run, str)}


def css_rgb(colour: str) -> str:
    """`#d62728` or `rgb(102,194,165)` as the browser's computed style writes it."""
    if colour.startswith("#"):
        colour = "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))
    return ", ".join(part.strip() for part in colour.split(","))


def test_param_columns_show_their_values_under_distinct_headings(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """`params.hidden_layers` is a column, not a path into an object: the cells were blank."""
    open_dashboard(browser, demo_dashboard.uri)
    names = grid_cells(browser, "run_name")
    layers = grid_cells(browser, "params.hidden_layers")
    assert layers and all(layers.values()), layers
    for run, shown in layers.items():
        config = names[run].rsplit("-seed", 1)[0]
        expected = next(c for c in REGIMES if c.name == config).hidden_layers
        assert shown == "x".join(map(str, expected))
    headers = browser.execute_script(
        "return dash_ag_grid.getApi('runs-table').getColumns()"
        ".map(c => c.getColDef().headerName)")
    assert len(headers) == len(set(headers)) and "epochs trained" in headers
    # the params heading adds a row above every column's: both kept short (they took 96 px)
    header = browser.execute_script("return document.querySelector('#runs-table .ag-header')"
                                    ".getBoundingClientRect().height")
    assert header <= 64, header


MARGINS_GROWN = """
return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(g => g.layout.margin)
  .map(g => [g.closest('[id]').id, g.layout.margin, g._fullLayout._size])
  .filter(([id, asked, drawn]) => ['l', 'r', 't', 'b'].some(side => asked[side] !== drawn[side]));
"""


def test_every_chart_is_drawn_once_its_margins_fitting_its_labels(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """Plotly draws a chart again when its labels need a wider margin than it was given; with
    every panel's margins grown so, a 1000-run page took ~0.25 s longer to appear."""
    for view in ("experiment=lossboard-demo", "experiment=lossboard-demo&view=groups",
                 "experiment=lossboard-demo&scale=log", "experiment=lossboard-demo-imbalanced"):
        open_dashboard(browser, f"{demo_dashboard.uri}/?{view}")
        wait_until(browser, lambda d: traces(d, "param-effect"), what="the param chart")
        assert browser.execute_script(MARGINS_GROWN) == [], view


BASELINE_NAME_OVER_CURVES = """
const gd = document.querySelector('#accuracy-curves .js-plotly-plot');
const label = [...gd.querySelectorAll('text')]
  .find(t => t.textContent.includes('majority-class baseline'));
if (!label) return null;
const box = label.getBoundingClientRect(), plot = gd.getBoundingClientRect();
const x = gd._fullLayout.xaxis, y = gd._fullLayout.yaxis, size = gd._fullLayout._size;
let inside = 0;
for (const trace of gd._fullData) {
  if (trace.visible !== true || !trace.x) continue;
  for (let i = 0; i < trace.x.length; i++) {
    const left = plot.left + size.l + x.d2p(trace.x[i]);
    const top = plot.top + size.t + y.d2p(trace.y[i]);
    if (left >= box.left && left <= box.right && top >= box.top && top <= box.bottom) inside++;
  }
}
return inside;
"""


def test_the_baseline_is_named_clear_of_the_accuracy_curves(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """On the imbalanced experiment the baseline (0.90) lies just under where every accuracy
    curve ends: its name, above the line at the right, sat among the curves (and under it, two
    curves still crossed it). It is named under the plot now."""
    for experiment in ("lossboard-demo", "lossboard-demo-imbalanced"):
        open_dashboard(browser, f"{demo_dashboard.uri}/?experiment={experiment}")
        assert browser.execute_script(BASELINE_NAME_OVER_CURVES) == 0, experiment


LABELS_APART = """
return Array.from(document.querySelectorAll('label[for]')).map(label => {
  const control = document.getElementById(label.htmlFor);
  if (!control) return null;
  const a = label.getBoundingClientRect(), b = control.getBoundingClientRect();
  const middle = a.top + a.height / 2;
  return middle < b.top || middle > b.bottom || b.left < a.right - 1 ? label.textContent : null;
}).filter(Boolean);
"""


def test_each_control_stays_on_the_line_of_its_label(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """At 1920 px "Show" ended the first row and its "each run / seed groups" switch began the
    second."""
    size = browser.get_window_size()
    try:
        for width in (1280, 1600, 1920):
            browser.set_window_size(width, 1000)
            open_dashboard(browser, demo_dashboard.uri)
            assert browser.execute_script(LABELS_APART) == [], width
    finally:
        browser.set_window_size(size["width"], size["height"])


def test_chart_toolbars_and_table_cells_are_out_of_the_tab_order(
        browser: Any, demo_dashboard: DashboardServer) -> None:
    """Tab walked through 10+ toolbar buttons per chart before reaching the table, then
    through every cell of the table (525 presses) before the review panel under it."""
    open_dashboard(browser, demo_dashboard.uri)
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".modebar-btn"),
               what="the toolbars")
    focusable = browser.execute_script(
        "return Array.from(document.querySelectorAll('.modebar-btn'))"
        ".filter(e => e.tabIndex >= 0).length")
    assert focusable == 0
    body = browser.find_element(By.TAG_NAME, "body")
    reached = []
    for _ in range(60):  # what Tab reaches from the top of the page
        body.send_keys(Keys.TAB) if not reached else browser.switch_to.active_element.send_keys(
            Keys.TAB)
        active = browser.switch_to.active_element
        reached.append(active.get_attribute("id") or active.get_attribute("class")
                       or active.tag_name)
        if reached[-1] == "review-reason":
            break
    assert not any("modebar" in r for r in reached), reached
    assert reached[-1] == "review-reason", reached  # the table is one stop, not 500
    in_grid = [r for r in reached if "ag-" in r]
    assert 1 <= len(in_grid) <= 3, reached  # a header cell, perhaps a checkbox


def test_the_page_follows_the_browsers_colour_scheme(browser: Any,
                                                     demo_dashboard: DashboardServer) -> None:
    """Dark mode was not applied: the page stayed white on a dark system."""
    def colours() -> dict[str, str]:
        return dict(browser.execute_script(
            "return {body: getComputedStyle(document.body).backgroundColor,"
            " plot: getComputedStyle(document.querySelector('#loss-curves .bg')).fill,"
            " text: getComputedStyle(document.querySelector('#loss-curves .gtitle')).fill,"
            " grid: document.body.dataset.agThemeMode, outline: getComputedStyle("
            "document.querySelector('#tradeoff-scatter path.point')).stroke}"))

    try:
        for scheme in ("dark", "light"):
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
                {"name": "prefers-color-scheme", "value": scheme}]})
            open_dashboard(browser, demo_dashboard.uri)
            seen = colours()
            dark = scheme == "dark"
            assert (seen["body"] == "rgb(22, 24, 29)") is dark, seen
            assert (seen["plot"] == "rgb(31, 35, 43)") is dark, seen
            assert (seen["text"] == "rgb(228, 230, 235)") is dark, seen
            assert seen["grid"] == scheme
            # points outlined light on the dark plot: a dark run colour's star stays visible
            assert (seen["outline"] == "rgb(208, 212, 218)") is dark, seen
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
