"""Run names, params and tags are shown as text: markup in them never runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException

from tests.browser.page import open_dashboard, text_of, traces, wait_until
from tests.helpers.mlflow_server import DashboardServer
from tests.helpers.stores import dashboard_on_runs

HOSTILE = ["<img src=x onerror=alert(1)>", '<img src=x onerror="window.__xss=1">',
           "<script>window.__xss=2</script>", '<a href="javascript:window.__xss=3">link</a>']


@pytest.fixture(scope="module")
def hostile_dashboard(tmp_path_factory: pytest.TempPathFactory,
                      store_template: Path) -> Iterator[DashboardServer]:
    runs = [(name, 0.5 + i / 10, 0.9 - i / 20, {"note": HOSTILE[-1 - i]})
            for i, name in enumerate(HOSTILE)]
    with dashboard_on_runs(tmp_path_factory.mktemp("hostile"), store_template,
                           "<b>hostile</b>", runs) as server:
        yield server


def test_markup_in_names_and_params_shows_as_text_and_runs_no_script(
        browser: Any, hostile_dashboard: DashboardServer) -> None:
    open_dashboard(browser, hostile_dashboard.uri)
    grid = wait_until(browser, lambda d: (t := text_of(d, "runs-table")) and HOSTILE[0] in t
                      and t, what="the names in the table")
    assert all(name in grid for name in HOSTILE)  # names and the `note` param, verbatim
    named = browser.execute_script(  # the scatter writes the picks' names beside their points
        "return document.querySelector('#tradeoff-scatter .textpoint') ? Array.from("
        "document.querySelectorAll('#tradeoff-scatter .textpoint')).map(t => t.textContent)"
        ".join('|') : ''")
    assert any(name in named for name in HOSTILE), named
    assert "<b>hostile</b>" in text_of(browser, "experiment-picker")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018  (reading it is what raises)
    assert browser.execute_script("return window.__xss === undefined")
    assert browser.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
    assert len(traces(browser, "tradeoff-scatter")) > 0
