"""First-paint benchmark: the dashboard on a 1000-run experiment, in headless Chromium.

Generates SQLite stores of N runs x E epochs x 4 metrics (default 1000 x 100) and of 10 runs
(the baseline: MLflow's UI charts 10 runs by default), serves each with `lossboard serve`, and
times from navigation start until every panel is drawn (both curve panels, the scatter, the
runs table): on the first load (the store read cold) and on a reload (read from the cache).
The browser is warmed on the small page first, so its JavaScript (plotly.js, AG Grid) is
cached and compiled in every measurement.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_reader import EXPERIMENT, generate  # noqa: E402
from tests.helpers.mlflow_server import DashboardServer  # noqa: E402

DRAWN = """
const drawn = id => { const g = document.querySelector('#' + id + ' .js-plotly-plot');
                      return g && g._fullData && g._fullData.length > 0; };
let rows = 0;
try { rows = dash_ag_grid.getApi('runs-table').getDisplayedRowCount(); } catch (e) {}
if (!(drawn('loss-curves') && drawn('accuracy-curves') && drawn('tradeoff-scatter') && rows))
    return null;
const sent = performance.getEntriesByType('resource')
    .filter(e => e.name.includes('_dash-update-component'))
    .reduce((total, e) => total + e.transferSize, 0);
return [performance.now() / 1000, rows, sent];
"""


def chromium() -> Any:
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,2200"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def first_paint(driver: Any, url: str, timeout: float = 120.0) -> tuple[float, int, int]:
    """(seconds from navigation start to every panel drawn, table rows, bytes of callbacks)."""
    driver.get(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = driver.execute_script(DRAWN)
        if found:
            return float(found[0]), int(found[1]), int(found[2])
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not finish drawing in {timeout} s")


def served(folder: Path, runs: int, epochs: int) -> DashboardServer:
    folder.mkdir()
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    generate(uri, runs, epochs, str(folder / "artifacts"))
    server = DashboardServer(folder, backend_uri=uri)
    server.start()
    return server


def bench_dashboard(runs: int, epochs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lossboard-paint-") as tmp:
        small, large = served(Path(tmp) / "small", 10, epochs), None
        driver = chromium()
        try:
            large = served(Path(tmp) / "large", runs, epochs)
            page = f"/?experiment={EXPERIMENT}"
            first_paint(driver, small.uri + page)  # warm the browser's caches
            base, _, base_bytes = first_paint(driver, small.uri + page)
            cold, rows, sent = first_paint(driver, large.uri + page)
            warm, _, _ = first_paint(driver, large.uri + page)
        finally:
            driver.quit()
            for server in (small, large):
                if server:
                    server.stop()
    print(f"\nfirst paint in headless Chromium (lossboard serve, SQLite, {epochs} epochs)")
    print(f"  10 runs (baseline: what MLflow's UI charts)   {base:5.2f} s"
          f"   {base_bytes / 1e6:.1f} MB of callback answers")
    print(f"  {rows} runs, first load (store read cold)   {cold:5.2f} s   x{cold / base:.1f}"
          f"   {sent / 1e6:.1f} MB   target: <= 2 s")
    print(f"  {rows} runs, reload (cached reads)          {warm:5.2f} s   x{warm / base:.1f}")
