"""Soak benchmark: the logger's promises and the dashboard's answer times under load and faults.

Two scenarios, each with 8 training processes (`EpochLogger`, 500 epochs x 4 metrics, 0.1 s
between epochs) logging into one store while 10 clients keep asking the dashboard (`lossboard
serve`) for the experiment's page, as the browser's callback does:
  sqlite   one SQLite file written directly by all 8 (and read by the dashboard): lock contention
  server   an `mlflow server` on a fresh PostgreSQL database, SIGKILLed and restarted three times
           while the runs are logged (the dashboard reads it over REST)
Afterwards anything a logger spooled is sent with `lossboard replay`, and the store is counted
straight from its database: points sent (what the scripts logged), stored, duplicated (a second
row for a run, key and step) and lost (logged, not stored), runs left RUNNING, the longest
`log_epoch` call, and the dashboard's p50/p95 answer time with the share of answers that were
not 200. The baseline for the answer times is one client asking for the same page, alone, once
every run has finished (the answer's own cost, without queueing or training beside it).

    .venv/bin/python scripts/bench_soak.py [--scenarios sqlite,server] [--epochs 500]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from mlflow import MlflowClient  # noqa: E402

from tests.helpers.dash_client import SHOW_OUTPUTS, payload, show_inputs  # noqa: E402
from tests.helpers.mlflow_server import DashboardServer, MlflowServer  # noqa: E402
from tests.helpers.stores import create_database  # noqa: E402

EXPERIMENT = "soak"
TRAINERS, CLIENTS, KILLS = 8, 10, 3
TRAINER = """
import json, sys, time
from tracking import EpochLogger
name, epochs, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
longest, sent = 0.0, 0
with EpochLogger("soak", name, params={"trainer": name}) as run:
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        run.log_epoch(epoch, train_loss=1 / epoch, train_accuracy=1 - 1 / (epoch + 1),
                      val_loss=1.1 / epoch, val_accuracy=1 - 1.1 / (epoch + 1))
        longest = max(longest, time.perf_counter() - started)
        sent += 4
        time.sleep(pause)
report = run.report
print(json.dumps({"name": name, "sent": sent, "longest_ms": longest * 1000,
                  "spool": str(report.spool) if report.spool else None, "lost": report.lost}))
"""


class Readers:
    """`clients` threads asking the dashboard for the experiment's page until stopped."""

    def __init__(self, url: str, clients: int = CLIENTS) -> None:
        self.url, self.failures = url, 0
        self.seconds: list[float] = []
        self._stop = threading.Event()
        self._body = payload(SHOW_OUTPUTS, show_inputs(EXPERIMENT))
        self._threads = [threading.Thread(target=self._ask, daemon=True) for _ in range(clients)]

    def __enter__(self) -> Readers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _ask(self) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                status = session.post(self.url + "/_dash-update-component", json=self._body,
                                      timeout=60).status_code
            except requests.RequestException:
                status = 0
            self.seconds.append(time.perf_counter() - started)
            self.failures += status != 200


def quantiles(seconds: list[float]) -> str:
    if len(seconds) < 2:
        return "too few answers"
    cuts = statistics.quantiles(seconds, n=20)
    return f"p50 {statistics.median(seconds) * 1000:.0f} ms, p95 {cuts[18] * 1000:.0f} ms"


def start_trainers(folder: Path, uri: str, epochs: int) -> list[subprocess.Popen[str]]:
    script = folder / "trainer.py"
    script.write_text(TRAINER)
    env = dict(os.environ) | {"MLFLOW_TRACKING_URI": uri, "PYTHONPATH": str(ROOT),
                              "LOSSBOARD_SPOOL_DIR": str(folder / "unsent"),
                              "LOSSBOARD_FLUSH_TIMEOUT": "120", "LOSSBOARD_REQUEST_TIMEOUT": "5"}
    return [subprocess.Popen([sys.executable, str(script), f"trainer-{i}", str(epochs), "0.1"],
                             cwd=folder, env=env, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL) for i in range(TRAINERS)]


def kill_and_restart(server: MlflowServer, trainers: list[subprocess.Popen[str]]) -> int:
    """SIGKILL the server and start it again, `KILLS` times while the trainers run."""
    kills = 0
    while kills < KILLS and any(t.poll() is None for t in trainers):
        time.sleep(8)
        server.stop(sig=9)
        time.sleep(2)
        server.start()
        kills += 1
    return kills


def stored_counts(database_uri: str) -> dict[str, Any]:
    """Rows per run from the store's own tables: points, distinct (key, step), RUNNING runs."""
    engine = sa.create_engine(database_uri)
    query = sa.text(
        "SELECT r.name, COUNT(*), COUNT(DISTINCT m.key || ':' || CAST(m.step AS VARCHAR(30))), "
        "MAX(r.status) FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id "
        "LEFT JOIN metrics m ON m.run_uuid = r.run_uuid WHERE e.name = :name GROUP BY r.name")
    with engine.connect() as connection:
        rows = connection.execute(query, {"name": EXPERIMENT}).all()
    engine.dispose()
    return {name: (int(points), int(distinct), status) for name, points, distinct, status in rows}


def replay(folder: Path, uri: str) -> int:
    saved = list((folder / "unsent").glob("*/run.json"))
    if saved:
        lossboard = str(Path(sys.executable).with_name("lossboard"))
        subprocess.run([lossboard, "replay", str(folder / "unsent"), "--tracking-uri", uri],
                       capture_output=True, timeout=600, check=False)
    return len(saved)


def scenario(label: str, folder: Path, write_uri: str, database_uri: str, epochs: int,
             server: MlflowServer | None = None) -> None:
    MlflowClient(write_uri).create_experiment(EXPERIMENT)  # the store exists: the page can open
    dashboard = DashboardServer(folder, backend_uri=write_uri)
    dashboard.start()
    try:
        trainers = start_trainers(folder, write_uri, epochs)
        started = time.perf_counter()
        with Readers(dashboard.uri) as busy:
            kills = kill_and_restart(server, trainers) if server else 0
            outputs = [json.loads(t.communicate(timeout=900)[0].strip().splitlines()[-1])
                       for t in trainers]
        seconds = time.perf_counter() - started
        with Readers(dashboard.uri, clients=1) as idle:  # the finished page, one at a time
            time.sleep(10)
    finally:
        dashboard.stop()
    report(label, folder, database_uri, write_uri, outputs, kills, seconds, idle, busy)


def report(label: str, folder: Path, database_uri: str, write_uri: str,
           outputs: list[dict[str, Any]], kills: int, seconds: float, idle: Readers,
           busy: Readers) -> None:
    spooled = replay(folder, write_uri)
    counts = stored_counts(database_uri)
    sent = sum(o["sent"] for o in outputs)
    stored = sum(points for points, _, _ in counts.values())
    distinct = sum(d for _, d, _ in counts.values())
    running = sum(status == "RUNNING" for _, _, status in counts.values())
    print(f"soak {label}: {len(outputs)} runs x {outputs[0]['sent'] // 4} epochs in "
          f"{seconds:.0f} s, server killed {kills} time(s); points sent {sent}, stored {stored}, "
          f"duplicated {stored - distinct}, lost {sent - distinct}; runs spooled {spooled} "
          f"(replayed), left RUNNING {running}; longest log_epoch "
          f"{max(o['longest_ms'] for o in outputs):.1f} ms")
    ratio = statistics.median(busy.seconds) / statistics.median(idle.seconds)
    print(f"  dashboard, {CLIENTS} clients: {quantiles(busy.seconds)} over {len(busy.seconds)} "
          f"answers ({busy.failures} not 200) against {quantiles(idle.seconds)} for one client "
          f"alone, the runs finished (x{ratio:.1f} at p50)")
    verdict = sent == distinct == stored and running == 0
    print(f"  target 0 lost, 0 duplicated, 0 RUNNING: {'met' if verdict else 'MISSED'}")


def bench_soak(scenarios: list[str], epochs: int = 500) -> None:
    with tempfile.TemporaryDirectory(prefix="lossboard-soak-") as root:
        if "sqlite" in scenarios:
            folder = Path(root, "sqlite")
            folder.mkdir()
            uri = f"sqlite:///{folder / 'mlflow.db'}"
            scenario("sqlite", folder, uri, uri, epochs)
        if "server" in scenarios:
            folder = Path(root, "server")
            folder.mkdir()
            database = create_database("postgresql", prefix="lossboard_soak")
            server = MlflowServer(folder, backend_uri=database, workers=2)
            server.start()
            try:
                scenario("server (PostgreSQL)", folder, server.uri, database, epochs, server)
            finally:
                server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="sqlite,server")
    parser.add_argument("--epochs", type=int, default=500)
    arguments = parser.parse_args()
    bench_soak(arguments.scenarios.split(","), arguments.epochs)
