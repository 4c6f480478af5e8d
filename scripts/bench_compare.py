"""`lossboard compare` as a whole process, on runs shaped as most runs are: no predictions
artifact, no history file (autologged or hand-logged).

On one generated SQLite store of N runs x E epochs x 4 metrics, in this one run:
  * baseline: the same report through MLflow's client, in a fresh process: search_runs, each
    run's history per key (get_metric_history), and each run's predictions file asked of
    `download_artifacts` (what `lossboard compare` did before runs were tagged as having them);
  * `lossboard compare --format json` on the SQLite store (the SQL fast path);
  * `lossboard compare` over a local `mlflow server` on the same store, twice with one cache
    folder: the first reads every finished run, the second finds them in the persistent cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_reader import EXPERIMENT, generate  # noqa: E402
from tests.helpers.mlflow_server import MlflowServer  # noqa: E402

CLIENT_PATH = """
import sys, tempfile
from mlflow import MlflowClient
from analysis.report import compare
from tracking.client_reader import ClientReader
uri = sys.argv[1]
data = ClientReader(uri).read("bench")
client = MlflowClient(uri)
with tempfile.TemporaryDirectory() as folder:
    for run_id in data.runs["run_id"]:
        try:
            client.download_artifacts(run_id, "lossboard/val_predictions.npz", folder)
        except Exception:
            pass
print(len(compare(data.runs, data.history).table))
"""


def whole_process(args: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of a fresh Python process running `args`, imports included."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=ROOT,
                   env={**os.environ, **(env or {})})
    return time.perf_counter() - started


def compare_args(uri: str) -> list[str]:
    return ["-m", "dashboard.cli", "compare", "--experiment", EXPERIMENT, "--tracking-uri", uri,
            "--format", "json"]


def bench_compare(runs: int, epochs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lossboard-bench-") as tmp:
        folder = Path(tmp)
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        generate(uri, runs, epochs, str(folder / "artifacts"))
        print(f"\nlossboard compare, whole process: {runs} runs x {epochs} epochs x 4 metrics, "
              "no predictions, no history files (SQLite)")
        baseline = whole_process(["-c", CLIENT_PATH, uri])
        sql = whole_process(compare_args(uri))
        print(f"  MLflow's client path (baseline)      {baseline:7.2f} s")
        print(f"  lossboard compare, SQL path          {sql:7.2f} s   x{baseline / sql:.1f} faster"
              f"   target: >= 10x: {'met' if baseline / sql >= 10 else 'MISSED'}")
        bench_rest_cache(folder, uri, sql)


def bench_rest_cache(folder: Path, uri: str, sql: float) -> None:
    """Compare over REST twice, with one persistent cache: the second against the SQL path."""
    server = MlflowServer(folder, backend_uri=uri, workers=1)
    server.start()
    try:
        env = {"LOSSBOARD_CACHE_DIR": str(folder / "cache")}
        first = whole_process(compare_args(server.uri), env)
        second = whole_process(compare_args(server.uri), env)
        uncached = whole_process([*compare_args(server.uri), "--no-cache"], env)
    finally:
        server.stop()
    print("  over `mlflow server` (one worker), persistent cache in LOSSBOARD_CACHE_DIR:")
    print(f"    first compare (fills the cache)    {first:7.2f} s   x{first / sql:.1f} of SQL")
    print(f"    second compare (from the cache)    {second:7.2f} s   x{second / sql:.1f} of SQL"
          f"   target: <= 2x: {'met' if second <= 2 * sql else 'MISSED'}")
    print(f"    --no-cache                         {uncached:7.2f} s   x{uncached / sql:.1f} of "
          "SQL")
