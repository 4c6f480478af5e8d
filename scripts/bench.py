#!/usr/bin/env python3
"""Benchmarks. Each prints its figures and a ratio against a baseline measured in the same run
(these machines are noisy: compare ratios, not seconds across runs).

  sweep   the default demo sweep (each configuration x 3 seeds): the cost of logging to MLflow,
          as a ratio to the same training with logging switched off, and the wall time of
          `scripts/train.py` (target <= 60 s)
  reader  reading an experiment of --runs x --epochs x 4 metrics: Lossboard's SQL reader cold and
          warm against MLflow's client path, and its REST reader against the bulk-interval
          endpoint MLflow's UI uses, over `mlflow server` with one worker and with its default
          four; SQLite, PostgreSQL, MySQL (see scripts/bench_reader.py)
  files   reading a legacy ./mlruns file store of --runs x --epochs x 4 metrics against the SQLite
          fast path on the same content (see scripts/bench_file_store.py)
  compare `lossboard compare` as a whole process on --runs x --epochs runs without predictions:
          against MLflow's client path, and over REST a second time from the persistent cache
          against the SQL path (see scripts/bench_compare.py)
  quickack  history files from a keep-alive server with Nagle on, the file fetcher against a
          plain session (see scripts/bench_fetch.py)
  paint   the dashboard's first paint of a --runs x --epochs experiment in headless Chromium,
          against the same page for 10 runs (see scripts/bench_dashboard.py)
  soak    8 training processes x 500 epochs into one SQLite file, then into an `mlflow server`
          on PostgreSQL killed and restarted three times, while 10 clients read the dashboard:
          points sent, stored, duplicated, lost, runs left RUNNING, the longest log_epoch, the
          dashboard's p50/p95 against an idle one (see scripts/bench_soak.py; not in the
          default set: it takes a few minutes)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlflow import MlflowClient  # noqa: E402

from scripts.bench_compare import bench_compare  # noqa: E402
from scripts.bench_dashboard import bench_dashboard  # noqa: E402
from scripts.bench_fetch import bench_fetch  # noqa: E402
from scripts.bench_file_store import bench_file_store  # noqa: E402
from scripts.bench_reader import DATABASES, bench_readers  # noqa: E402
from scripts.bench_soak import bench_soak  # noqa: E402
from tracking import TrackingSettings  # noqa: E402
from training.datasets import load_split  # noqa: E402
from training.loop import fit_and_log, train_planned  # noqa: E402
from training.sweep import SWEEPS, plan  # noqa: E402


class NoLogging:
    """Baseline sink: the same training and scoring, nothing written."""

    def log_epoch(self, epoch: int, **metrics: Any) -> None:
        pass

    def log_predictions(self, proba: Any, labels: Any) -> None:
        pass

    def log_model(self, model: Any) -> None:
        pass


def sweep_seconds(settings: TrackingSettings | None) -> float:
    """The whole sweep in this process: logged to `settings`' store, or not at all (None)."""
    started = time.perf_counter()
    for run in plan("bench", list(SWEEPS)):
        if settings is None:
            fit_and_log(run.config, load_split(run.config.dataset), run.seed, NoLogging())
        else:
            train_planned(run, settings)
    return time.perf_counter() - started


def store_creation_seconds(uri: str) -> float:
    started = time.perf_counter()
    MlflowClient(uri).search_experiments()  # creates MLflow's schema in a new SQLite file
    return time.perf_counter() - started


def train_script_seconds(folder: Path) -> float:
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), "--no-progress"],
                   cwd=folder, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def bench_sweep() -> None:
    planned = plan("bench", list(SWEEPS))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = TrackingSettings(f"sqlite:///{folder / 'mlflow.db'}")
        store = store_creation_seconds(settings.tracking_uri)
        baseline = sweep_seconds(None)
        logged = sweep_seconds(settings)
        (folder / "script").mkdir()
        whole = train_script_seconds(folder / "script")
    seeds = sorted({p.seed for p in planned})
    print(f"demo sweep: {len(planned)} runs, {sum(p.config.epochs for p in planned)} epochs, "
          f"seeds {' '.join(map(str, seeds))}")
    print(f"  training only, no logging (baseline)       {baseline:6.1f} s")
    print(f"  same training, logged to SQLite            {logged:6.1f} s   "
          f"x{logged / baseline:.2f} of baseline")
    print(f"  creating a new SQLite store (once)         {store:6.1f} s")
    print(f"  python scripts/train.py, end to end        {whole:6.1f} s   "
          f"x{whole / baseline:.2f} of baseline; target <= 60 s: "
          f"{'met' if whole <= 60 else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="*", metavar="BENCH",
                        help="sweep, reader, files, compare, quickack, paint, soak (default: all "
                             "but soak)")
    parser.add_argument("--runs", type=int, default=1000, help="all but sweep: runs")
    parser.add_argument("--epochs", type=int, default=100, help="all but sweep: epochs")
    parser.add_argument("--databases", default="sqlite,postgresql,mysql",
                        help="reader: any of sqlite,postgresql,mysql (default: all)")
    args = parser.parse_args()
    benches = {"sweep": lambda: bench_sweep(),
               "reader": lambda: bench_readers(args.runs, args.epochs, args.databases.split(",")),
               "files": lambda: bench_file_store(args.runs, args.epochs),
               "compare": lambda: bench_compare(args.runs, args.epochs),
               "quickack": lambda: bench_fetch(),
               "paint": lambda: bench_dashboard(args.runs, args.epochs),
               "soak": lambda: bench_soak(["sqlite", "server"])}
    unknown = set(args.which) - set(benches)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    if set(args.databases.split(",")) - set(DATABASES):
        parser.error(f"--databases takes {', '.join(DATABASES)}")
    for name in args.which or [name for name in benches if name != "soak"]:
        benches[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
