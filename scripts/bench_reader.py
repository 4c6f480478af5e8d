"""Reader benchmark: Lossboard's readers against MLflow's own paths, on one generated store.

For each database (SQLite, and PostgreSQL when reachable) it builds an experiment of N runs x E
epochs x 4 metrics, then times in this one run:
  * SQL reader cold (a fresh process: time and peak memory) and warm (cached, second read);
  * MLflow's client path: search_runs, then get_metric_history per run and key (baseline);
  * over a local `mlflow server` on the same store, with one worker and with MLflow's default
    of 4: the REST reader, from the history files Lossboard's logger writes and from the bulk
    endpoint alone (as for autologged runs), against `get-history-bulk-interval` called the
    way MLflow's UI calls it (baseline).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from mlflow import MlflowClient
from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlRun, SqlTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import http_request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.mlflow_server import MlflowServer  # noqa: E402
from tests.helpers.stores import create_database  # noqa: E402
from tracking import keys  # noqa: E402
from tracking.cache import CachedReader  # noqa: E402
from tracking.history_file import encode  # noqa: E402
from tracking.rest_reader import RestReader  # noqa: E402
from tracking.sql_reader import SqlReader  # noqa: E402

KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
EXPERIMENT = "bench"
UI_POINTS_PER_RUN = 320  # what MLflow's UI asks the interval endpoint for


def generate(uri: str, runs: int, epochs: int, artifacts: str,
             history_files: bool = False) -> None:
    """N finished runs with E epochs of the 4 keys, inserted through MLflow's ORM models. With
    `history_files`, each run also has the history file Lossboard's logger writes as a run
    ends, in `artifacts` as an `mlflow server --artifacts-destination` there serves it."""
    store = SqlAlchemyStore(uri, artifacts)  # type: ignore[no-untyped-call]
    experiment_id = int(store.create_experiment(EXPERIMENT))  # type: ignore[no-untyped-call]
    rng = np.random.default_rng(0)
    now = int(time.time() * 1000)
    ids = [uuid.uuid4().hex for _ in range(runs)]
    run_rows = [dict(run_uuid=i, name=f"run-{n}", source_type="LOCAL", source_name="", user_id="",
                     status="FINISHED", start_time=now, end_time=now + epochs, source_version="",
                     lifecycle_stage="active", artifact_uri=f"{artifacts}/{i}",
                     experiment_id=experiment_id, entry_point_name="")
                for n, i in enumerate(ids)]
    values = rng.random((runs, len(KEYS), epochs))
    metrics = [dict(key=k, value=float(values[r, j, s]), timestamp=now + s, step=s + 1,
                    is_nan=False, run_uuid=i)
               for r, i in enumerate(ids) for j, k in enumerate(KEYS) for s in range(epochs)]
    latest = [dict(key=k, value=float(values[r, j, -1]), timestamp=now + epochs - 1,
                   step=epochs, is_nan=False, run_uuid=i)
              for r, i in enumerate(ids) for j, k in enumerate(KEYS)]
    tags: list[dict[str, Any]] = [dict(key="mlflow.runName", value=r["name"],
                                       run_uuid=r["run_uuid"]) for r in run_rows]
    if history_files:
        tags += write_history_files(run_rows, metrics, Path(artifacts))
    with store.ManagedSessionMaker() as session:
        session.bulk_insert_mappings(SqlRun, run_rows)
        session.bulk_insert_mappings(SqlTag, tags)
        session.bulk_insert_mappings(SqlMetric, metrics)
        session.bulk_insert_mappings(SqlLatestMetric, latest)


def write_history_files(run_rows: list[dict[str, Any]], metrics: list[dict[str, Any]],
                        artifacts: Path) -> list[dict[str, str]]:
    """Each run's history file where the server serves it (its artifact root moves there);
    returns the tags that announce them."""
    points: dict[str, list[tuple[str, int, float, int]]] = {}
    for m in metrics:
        points.setdefault(m["run_uuid"], []).append((m["key"], m["step"], m["value"],
                                                      m["timestamp"]))
    for row in run_rows:
        root = f"{row['experiment_id']}/{row['run_uuid']}/artifacts"
        row["artifact_uri"] = f"mlflow-artifacts:/{root}"
        path = artifacts / root / keys.HISTORY_ARTIFACT
        path.parent.mkdir(parents=True)
        path.write_bytes(encode(points[row["run_uuid"]]))
    return [dict(key=keys.TAG_HISTORY_FILE, value=keys.HISTORY_ARTIFACT, run_uuid=r["run_uuid"])
            for r in run_rows]


def cold_read(uri: str) -> tuple[float, float, float]:
    """(seconds, peak MB, MB after imports alone) of one SQL read in a fresh process; the time
    leaves out the imports."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec from this (large) process
    peak = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024"
    code = ("import time, json, sys\n"
            "from tracking.sql_reader import SqlReader\n"
            "t = time.perf_counter(); d = SqlReader(sys.argv[1]).read('bench')\n"
            f"print(json.dumps([time.perf_counter() - t, {peak}]))")
    # the same process without the read: what Python, pandas and Arrow cost before any data
    idle = f"import json\nimport tracking.sql_reader\nprint(json.dumps({peak}))"
    out = subprocess.run([sys.executable, "-c", code, uri], check=True, capture_output=True,
                         text=True, cwd=ROOT).stdout
    seconds, megabytes = json.loads(out.strip().splitlines()[-1])
    imports = subprocess.run([sys.executable, "-c", idle], check=True, capture_output=True,
                             text=True, cwd=ROOT).stdout
    return float(seconds), float(megabytes), float(json.loads(imports.strip().splitlines()[-1]))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def client_path(uri: str) -> None:
    """MLflow's client, the way a script would: search_runs, then each run's history per key."""
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=50_000)
    for run in runs:
        for key in KEYS:
            client.get_metric_history(run.info.run_id, key)


def ui_interval_path(uri: str) -> None:
    """MLflow's UI: get-history-bulk-interval, 100 runs and 320 points a call, per key."""
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    ids = [r.info.run_id for r in client.search_runs([experiment.experiment_id],
                                                     max_results=50_000)]
    creds = get_default_host_creds(uri)  # type: ignore[no-untyped-call]
    jobs = [(key, ids[i:i + 100]) for key in KEYS for i in range(0, len(ids), 100)]

    def call(job: tuple[str, list[str]]) -> None:
        response = http_request(  # type: ignore[no-untyped-call]
            creds, "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval", "GET",
            params={"run_ids": job[1], "metric_key": job[0], "max_results": UI_POINTS_PER_RUN})
        response.raise_for_status()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(call, jobs))


def bench_store(label: str, uri: str, folder: Path, runs: int, epochs: int) -> None:
    started = time.perf_counter()
    generate(uri, runs, epochs, str(folder / "artifacts"), history_files=True)
    print(f"\n{label}: {runs} runs x {epochs} epochs x {len(KEYS)} metrics "
          f"(generated in {time.perf_counter() - started:.1f} s)")
    cold, peak, imports = cold_read(uri)
    cached = CachedReader(SqlReader(uri))
    cached.read(EXPERIMENT)
    warm = timed(lambda: cached.read(EXPERIMENT))
    baseline = timed(lambda: client_path(uri))
    print(f"  MLflow client path (baseline)        {baseline:7.2f} s")
    print(f"  SQL reader, cold (fresh process)     {cold:7.2f} s   x{baseline / cold:.0f} faster"
          f"   peak {peak:.0f} MB ({imports:.0f} MB of it imports)"
          "   targets: <= 1.0 s, >= 10x, <= 300 MB")
    print(f"  SQL reader, warm (cached)            {warm:7.3f} s   x{baseline / warm:.0f} faster"
          f"   target: <= 0.15 s")
    for workers, setup in ((1, "one worker"), (None, "MLflow's default: 4 workers")):
        bench_server(MlflowServer(folder, backend_uri=uri, workers=workers), setup)


def bench_server(server: MlflowServer, setup: str) -> None:
    """The REST reader against the UI's endpoint, over one `mlflow server`."""
    server.start()
    try:
        interval = timed(lambda: ui_interval_path(server.uri))
        files = timed(lambda: RestReader(server.uri).read(EXPERIMENT))
        bulk = timed(lambda: RestReader(server.uri, history_files=False).read(EXPERIMENT))
    finally:
        server.stop()
    print(f"  over `mlflow server`, {setup}:")
    print(f"    UI's get-history-bulk-interval     {interval:7.2f} s   (baseline, over REST)")
    print(f"    REST reader, history files         {files:7.2f} s   x{interval / files:.1f} faster"
          f"   target: >= 5x (runs Lossboard's logger wrote)")
    print(f"    REST reader, bulk endpoint         {bulk:7.2f} s   x{interval / bulk:.1f} faster"
          "   (runs without history files: autologged)")


def fresh_database(kind: str) -> str | None:
    """A new database on the local PostgreSQL or MySQL/MariaDB server, or None without one."""
    try:
        return create_database(kind, prefix="lossboard_bench")
    except Exception as error:
        print(f"\n{kind}: skipped ({error})")
        return None


DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL (MariaDB)"}


def bench_readers(runs: int, epochs: int, databases: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="lossboard-bench-") as tmp:
        for kind in databases:
            folder = Path(tmp) / kind
            folder.mkdir()
            uri = f"sqlite:///{folder / 'mlflow.db'}" if kind == "sqlite" else fresh_database(kind)
            if uri:
                bench_store(DATABASES[kind], uri, folder, runs, epochs)
