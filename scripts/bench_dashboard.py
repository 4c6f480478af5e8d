"""First-paint benchmark: the dashboard on a 1000-run experiment, in headless Chromium.

Generates SQLite stores of N runs x E epochs x 4 metrics (default 1000 x 100) and of 10 runs
(the baseline: MLflow's UI charts 10 runs by default), serves each with `lossboard serve`, and
times from navigation start until every panel is drawn (both curve panels, the scatter, the
runs table): opened the moment a server answers (its start-up warm-up still running or just
done), the first load with the warm-up off (the store read cold), and a reload (cached).
Every server listens on the same port, one after the other, and the browser is warmed on the
small page first, so its JavaScript (plotly.js, AG Grid) is cached and compiled in every
measurement: what is timed is the data, not a first visit's downloads.
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
from tests.helpers.mlflow_server import DashboardServer, free_port  # noqa: E402

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


WARM_UP_WAIT = 5.0  # seconds: a visitor some time after a restart; the warm-up is done


class BenchDashboard(DashboardServer):
    """`lossboard serve` with its start-up warm-up on or off (LOSSBOARD_WARM_UP)."""

    def __init__(self, folder: Path, port: int, warm_up: bool) -> None:
        super().__init__(folder, port=port)  # serves folder/mlflow.db
        self.warm_up = warm_up

    def environment(self) -> dict[str, str]:
        return super().environment() | {"LOSSBOARD_WARM_UP": "1" if self.warm_up else "0"}


def generated(folder: Path, runs: int, epochs: int) -> Path:
    """`folder` holding a new store, mlflow.db, of `runs` x `epochs`."""
    folder.mkdir()
    generate(f"sqlite:///{folder / 'mlflow.db'}", runs, epochs, str(folder / "artifacts"))
    return folder


def measured(driver: Any, server: BenchDashboard, loads: int = 1,
             wait: float = 0.0) -> list[tuple[float, int, int]]:
    """Start `server`, wait, load its page `loads` times, stop it."""
    server.start()
    try:
        time.sleep(wait)
        return [first_paint(driver, f"{server.uri}/?experiment={EXPERIMENT}")
                for _ in range(loads)]
    finally:
        server.stop()


def bench_dashboard(runs: int, epochs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lossboard-paint-") as tmp:
        small = generated(Path(tmp) / "small", 10, epochs)
        large = generated(Path(tmp) / "large", runs, epochs)
        port = free_port()  # one origin for every server: the browser's caches apply to all
        driver = chromium()
        try:
            (base, _, base_bytes), = measured(driver, BenchDashboard(small, port, False), 2)[1:]
            (cold, rows, sent), (reload, _, _) = measured(
                driver, BenchDashboard(large, port, False), loads=2)
            (after_start, _, _), = measured(driver, BenchDashboard(large, port, True))
            (after_wait, _, _), = measured(driver, BenchDashboard(large, port, True),
                                           wait=WARM_UP_WAIT)
        finally:
            driver.quit()
    print(f"\nfirst paint in headless Chromium (lossboard serve, SQLite, {epochs} epochs)")
    print(f"  10 runs (baseline: what MLflow's UI charts)       {base:5.2f} s"
          f"   {base_bytes / 1e6:.1f} MB of callback answers")
    print(f"  {rows} runs, opened as the server starts (warm-up)  {after_start:5.2f} s"
          f"   x{after_start / base:.1f}   {sent / 1e6:.1f} MB   target: <= 2 s")
    print(f"  {rows} runs, opened {WARM_UP_WAIT:.0f} s after the server starts     "
          f"{after_wait:5.2f} s   x{after_wait / base:.1f}")
    print(f"  {rows} runs, first load, warm-up off (read cold)   {cold:5.2f} s"
          f"   x{cold / base:.1f}")
    print(f"  {rows} runs, reload (cached reads)                 {reload:5.2f} s"
          f"   x{reload / base:.1f}")
