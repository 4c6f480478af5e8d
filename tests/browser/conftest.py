"""Browser fixtures: Debian's Chromium, headless, through its own chromedriver; the dashboard
as a real `lossboard serve` process. Nothing here downloads a browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.demo import DemoStore
from tests.helpers.mlflow_server import DashboardServer

CHROMIUM = Path(os.environ.get("LOSSBOARD_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("LOSSBOARD_CHROMEDRIVER", "/usr/bin/chromedriver"))


@pytest.fixture(scope="session")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser saves files (exports)."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def browser(downloads: Path) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        reason = f"no {CHROMIUM} and {CHROMEDRIVER} (scripts/install-browser.sh installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium Manager: no network calls
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--window-size=1400,2200"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def demo_dashboard(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory,
                   ) -> Iterator[DashboardServer]:
    """`lossboard serve` on the demo store, for the whole session."""
    server = DashboardServer(tmp_path_factory.mktemp("dashboard"), backend_uri=demo_store.uri)
    server.start()
    yield server
    server.stop()
