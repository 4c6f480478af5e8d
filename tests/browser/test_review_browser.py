"""Reviewing in the browser: marking writes MLflow tags, promoting registers the run's model,
export saves files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.tradeoff_figure import REVIEW_OUTLINES
from tests.browser.page import (
    click_first_scatter_point,
    grid_cells,
    open_dashboard,
    selected_in_url,
    text_of,
    wait_until,
)
from tests.helpers.demo import DemoStore
from tests.helpers.mlflow_server import DashboardServer
from tracking import keys

REASON = "lowest loss once calibrated <b>really</b>"


def click(browser: Any, element_id: str) -> None:
    browser.find_element(By.ID, element_id).click()


def message_after(browser: Any, element_id: str, expected: str) -> str:
    click(browser, element_id)
    return str(wait_until(browser, lambda d: expected in (t := text_of(d, "review-message"))
                          and t, what=expected))


OUTLINE = """
for (const t of document.querySelector('#tradeoff-scatter .js-plotly-plot')._fullData) {
  const at = (t.customdata || []).indexOf(arguments[0]);
  if (at >= 0) { const c = t.marker.line.color; return Array.isArray(c) ? c[at] : c; }
}
return null;
"""


def outline_of(browser: Any, run_id: str) -> str | None:
    """The outline colour of the run's point on the trade-off scatter."""
    return browser.execute_script(OUTLINE, run_id)  # type: ignore[no-any-return]


def hover_tooltip(browser: Any, selector: str) -> Any:
    cell = browser.find_element(By.CSS_SELECTOR, selector)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    ActionChains(browser).move_to_element(cell).perform()
    return wait_until(browser, lambda d: next(iter(d.find_elements(By.CSS_SELECTOR,
                                                                   ".ag-tooltip")), None),
                      what="the cell's tooltip")


def test_mark_promote_export_and_clear(browser: Any, demo_dashboard: DashboardServer,
                                       demo_store: DemoStore, downloads: Path) -> None:
    open_dashboard(browser, demo_dashboard.uri)
    assert "Select a run first" in message_after(browser, "review-choose", "Select a run first")
    # the panel sits under the table where runs are selected, its message by its buttons
    top = {element: browser.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        " return [r.top + window.scrollY, r.bottom + window.scrollY];", element)
        for element in ("runs-table", "review-choose", "review-message", "calibration")}
    assert top["runs-table"][1] < top["review-choose"][0] < top["runs-table"][1] + 250
    assert top["review-message"][0] - top["review-choose"][1] < 120
    assert top["review-message"][1] < top["calibration"][0]
    assert text_of(browser, "review-targets").startswith("Nothing selected")
    run_id = click_first_scatter_point(browser)
    name = grid_cells(browser, "run_name")[run_id]
    wait_until(browser, lambda d: text_of(d, "review-targets") == f"Acts on {name}.",
               what="the selected run named in the review panel")
    browser.find_element(By.ID, "review-reason").send_keys(REASON)
    browser.find_element(By.ID, "reviewer").send_keys("ana")
    message_after(browser, "review-choose", f"Marked {name} chosen.")
    tags = MlflowClient(demo_store.uri).get_run(run_id).data.tags
    assert tags[keys.TAG_REVIEW_STATUS] == "chosen" and tags[keys.TAG_REVIEW_REASON] == REASON
    assert tags[keys.TAG_REVIEW_REVIEWER] == "ana"
    wait_until(browser, lambda d: f"chosen: {REASON} (ana" in text_of(d, "runs-table"),
               what="the review in the table")
    review_cell = f'#runs-table .ag-row[row-id="{run_id}"] .ag-cell[col-id="review"]'
    tip = hover_tooltip(browser, review_cell)  # the whole review, however long, and as text
    assert tip.text.startswith(f"chosen: {REASON} (ana, 20")
    assert not tip.find_elements(By.TAG_NAME, "b")
    assert wait_until(browser, lambda d: outline_of(d, run_id) == REVIEW_OUTLINES["chosen"],
                      what="the chosen run's outline on the scatter")

    browser.find_element(By.ID, "model-name").send_keys("demo-classifier")
    said = message_after(browser, "promote", "Registered")  # the demo logs each run's model
    assert said == "Registered model 'demo-classifier' version 1, alias 'champion'."
    champion = MlflowClient(demo_store.uri).get_model_version_by_alias("demo-classifier",
                                                                        "champion")
    assert champion.run_id == run_id

    message_after(browser, "export-html", "Exported as HTML")
    message_after(browser, "export-csv", "Exported as CSV")
    html_file = wait_until(browser, lambda d: next(downloads.glob("lossboard-review-*.html"), 0),
                           what="the HTML export")
    csv_file = wait_until(browser, lambda d: next(downloads.glob("lossboard-review-*.csv"), 0),
                          what="the CSV export")
    page = wait_until(browser, lambda d: (t := html_file.read_text()).endswith("</html>") and t,
                      what="the whole HTML file")
    assert "Lossboard review: lossboard-demo" in page and "<b>really</b>" not in page
    assert "lowest loss once calibrated &lt;b&gt;really&lt;/b&gt;" in page
    assert len(page) > 3_000_000 and 'src="http' not in page  # plotly.js inside: offline
    assert "<td>60</td>" in page and "60.0000" not in page  # whole epochs stay whole
    assert "<h2>Is the difference real?</h2>" in page and "Welch p = " in page
    header = csv_file.read_text().splitlines()[0].split(",")
    assert len(header) == len(set(header)) and "epochs trained" in header  # not epochs,epochs
    rows = list(csv.DictReader(csv_file.open()))
    assert len(rows) == 24 and sum(bool(r["review"]) for r in rows) == 1

    # a status of its own, apart from the page's selection: the run stays selected
    # select-all and type over: React ignores WebDriver's clear() on a controlled field
    browser.find_element(By.ID, "review-reason").send_keys(Keys.CONTROL, "a", Keys.NULL,
                                                           "overconfident after all")
    message_after(browser, "review-reject", f"Marked {name} rejected.")
    assert MlflowClient(demo_store.uri).get_run(run_id).data.tags[keys.TAG_REVIEW_STATUS] \
        == "rejected"
    wait_until(browser, lambda d: "rejected: overconfident after all (ana" in text_of(
        d, "runs-table"), what="the new status in the table")
    assert selected_in_url(browser) == [run_id]
    message_after(browser, "clear-review", f"Cleared the review of {name}.")
    left = MlflowClient(demo_store.uri).get_run(run_id).data.tags
    assert not any(k.startswith(keys.REVIEW_PREFIX) for k in left)
