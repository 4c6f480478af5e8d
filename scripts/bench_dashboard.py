"""First-paint benchmark: the dashboard on a 1000-run experiment, in headless Chromium.

Generates SQLite stores of N runs x E epochs x 4 metrics (default 1000 x 100) and of 10 runs
(the baseline: MLflow's UI charts 10 runs by default), serves each with `lossboard serve`, and
times from navigation start until every panel is drawn (both curve panels, the scatter, the
runs table): opened the moment a server answers (its start-up warm-up still running or just
done), the first load with the warm-up off (the store read cold), and a reload (cached);
each the median of ROUNDS rounds, since one load varies by a few tenths of a second here.
Every server listens on the same port, one after the other, and the browser is warmed on the
small page first, so its JavaScript (plotly.js, AG Grid) is cached and compiled in every
measurement: what is timed is the data, not a first visit's downloads.

Then the loss panel of the large page (one faint line per run) is drawn again as SVG and as
WebGL, in Chromium as started here and with ANGLE's SwiftShader: the evidence for an SVG
background on machines without a GPU.
"""

from __future__ import annotations

import os
import statistics
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


NO_GPU = ("--disable-gpu",)  # as the tests run it
SOFTWARE_GL = ("--use-angle=swiftshader", "--enable-unsafe-swiftshader")  # WebGL's fastest here


def chromium(graphics: tuple[str, ...] = NO_GPU) -> Any:
    """Headless Chromium, with `graphics` flags."""
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,2200", *graphics):
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


REPLOT = """
const [kind, done] = [arguments[0], arguments[arguments.length - 1]];
const shown = document.querySelector('#loss-curves .js-plotly-plot');
const data = shown.data.map(trace => Object.assign({}, trace, {type: kind}));
const target = document.createElement('div');
document.body.appendChild(target);
const start = performance.now();
Plotly.newPlot(target, data, shown.layout).then(() => requestAnimationFrame(() =>
    requestAnimationFrame(() => { done(performance.now() - start); target.remove(); })));
"""


def background_draws(server: BenchDashboard, graphics: tuple[str, ...]) -> dict[str, float]:
    """Median seconds to draw the loss panel (every run's faint line) again, as SVG and as
    WebGL, in a Chromium started with `graphics` flags: why the background is SVG."""
    driver = chromium(graphics)
    driver.set_script_timeout(120)
    server.start()
    try:
        first_paint(driver, f"{server.uri}/?experiment={EXPERIMENT}")
        return {kind: statistics.median(driver.execute_async_script(REPLOT, kind) / 1000
                                        for _ in range(3)) for kind in ("scatter", "scattergl")}
    finally:
        server.stop()
        driver.quit()


ROUNDS = 3  # each first paint is the median of this many: one load varies by ~0.3 s here


def paints(driver: Any, small: Path, large: Path, port: int) -> dict[str, list[float]]:
    """Seconds to the first paint, by case, one sample a round; "sent": callback bytes."""
    found: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        (base, _, base_bytes), = measured(driver, BenchDashboard(small, port, False), 2)[1:]
        (cold, rows, sent), (reload, _, _) = measured(
            driver, BenchDashboard(large, port, False), loads=2)
        (after_start, _, _), = measured(driver, BenchDashboard(large, port, True))
        (after_wait, _, _), = measured(driver, BenchDashboard(large, port, True),
                                       wait=WARM_UP_WAIT)
        for case, value in (("base", base), ("cold", cold), ("reload", reload),
                            ("after_start", after_start), ("after_wait", after_wait),
                            ("rows", rows), ("sent", sent), ("base_bytes", base_bytes)):
            found.setdefault(case, []).append(float(value))
    return found


def bench_dashboard(runs: int, epochs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lossboard-paint-") as tmp:
        small = generated(Path(tmp) / "small", 10, epochs)
        large = generated(Path(tmp) / "large", runs, epochs)
        port = free_port()  # one origin for every server: the browser's caches apply to all
        driver = chromium()
        try:
            found = paints(driver, small, large, port)
        finally:
            driver.quit()
        default_gl = background_draws(BenchDashboard(large, port, True), NO_GPU)
        angle_gl = background_draws(BenchDashboard(large, port, True), SOFTWARE_GL)
    report_paints(found)
    report_backgrounds(int(found["rows"][0]), default_gl, angle_gl)


def report_paints(found: dict[str, list[float]]) -> None:
    median = {case: statistics.median(values) for case, values in found.items()}
    base, rows = median["base"], int(median["rows"])

    def rounds(case: str) -> str:
        return "(" + ", ".join(f"{value:.2f}" for value in found[case]) + ")"

    def line(label: str, case: str, extra: str = "") -> None:
        print(f"  {label:<47} {median[case]:5.2f} s {rounds(case)}   "
              f"x{median[case] / base:.1f}{extra}")

    print(f"\nfirst paint in headless Chromium (lossboard serve, SQLite), median of {ROUNDS} "
          "(each round's)")
    print(f"  {'10 runs (baseline: what MLflow charts)':<47} {base:5.2f} s {rounds('base')}   "
          f"{median['base_bytes'] / 1e6:.1f} MB of callback answers")
    line(f"{rows} runs, opened as the server starts (warm-up)", "after_start",
         f"   {median['sent'] / 1e6:.1f} MB   target: <= 2 s")
    line(f"{rows} runs, opened {WARM_UP_WAIT:.0f} s after the server starts", "after_wait")
    line(f"{rows} runs, first load, warm-up off (read cold)", "cold")
    line(f"{rows} runs, reload (cached reads)", "reload")


def report_backgrounds(rows: int, default_gl: dict[str, float],
                       angle_gl: dict[str, float]) -> None:
    svg = default_gl["scatter"]
    print(f"background of {rows} runs: the loss panel drawn again (median of 3)")
    print(f"  SVG, one path (what the dashboard sends)        {svg:5.2f} s")
    for label, found in ((f"WebGL, {NO_GPU[0]}", default_gl),
                         (f"WebGL, {SOFTWARE_GL[0]}", angle_gl)):
        print(f"  {label:<47} {found['scattergl']:5.2f} s   x{found['scattergl'] / svg:.1f}")
