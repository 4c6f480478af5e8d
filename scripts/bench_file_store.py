"""File store benchmark: `FileReader` on a legacy `./mlruns` folder against the SQLite fast path.

One experiment of N finished runs x E epochs x 4 metrics is generated once, into a SQLite store
by `scripts/bench_reader.generate` (MLflow's ORM models, bulk inserts), and the same content
(run ids, names, times, every value) is laid out as MLflow's file store. MLflow's own FileStore
takes ~17 ms a run (1000 runs: 17 s), so it writes only the store's skeleton (Default
experiment, `.trash`, the experiment) and a few check runs, in a subprocess whose environment
alone has MLFLOW_ALLOW_FILE_STORE=true; `write_run` writes the N runs, after being checked byte
for byte (every file and folder) against MLflow's check runs. Then, measured in this one run:
FileReader and SqlReader cold (a fresh process: the read alone, imports left out; best of 3) and
warm (a full read again in the same process; best of 3), and the ratios file / SQLite against the
target (<= 3x).

    .venv/bin/python scripts/bench_file_store.py [--runs 1000] [--epochs 100]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from scripts.bench_reader import EXPERIMENT, KEYS, generate  # noqa: E402
from tracking.file_reader import FileReader  # noqa: E402
from tracking.file_store import read_meta  # noqa: E402
from tracking.sql_reader import SqlReader  # noqa: E402

CHECK_RUNS = 3  # runs MLflow's FileStore logs, to check `write_run` against
TARGET = 3.0
Run = dict[str, Any]  # run_id, name, start_time, end_time, tags {key: value}, metrics {key: lines}


def read_content(db: Path) -> list[Run]:
    """The runs `generate` inserted, as a file store holds them (metric lines in step order)."""
    with sqlite3.connect(db) as conn:
        runs = {row[0]: {"run_id": row[0], "name": row[1], "start_time": row[2],
                         "end_time": row[3], "tags": {}, "metrics": {}}
                for row in conn.execute("SELECT run_uuid, name, start_time, end_time FROM runs")}
        for run_id, key, value in conn.execute("SELECT run_uuid, key, value FROM tags"):
            runs[run_id]["tags"][key] = value
        for run_id, key, value, timestamp, step in conn.execute(
                "SELECT run_uuid, key, value, timestamp, step FROM metrics "
                "ORDER BY run_uuid, key, step, timestamp"):
            runs[run_id]["metrics"].setdefault(key, []).append(f"{timestamp} {value} {step}\n")
    return sorted(runs.values(), key=lambda run: str(run["name"]))


def write_run(experiment: Path, experiment_id: str, artifact_location: str, run: Run) -> None:
    """One finished run as MLflow 3.17's FileStore leaves it after create_run, log_batch and
    update_run_info: meta.yaml (status as its int), metrics/, empty params/ and artifacts/,
    tags/ (create_run's mlflow.runName)."""
    folder = experiment / run["run_id"]
    for sub in ("metrics", "params", "artifacts", "tags"):
        (folder / sub).mkdir(parents=True)
    meta = {"artifact_uri": f"{artifact_location}/{run['run_id']}/artifacts",
            "end_time": run["end_time"], "entry_point_name": "", "experiment_id": experiment_id,
            "lifecycle_stage": "active", "run_id": run["run_id"], "run_name": run["name"],
            "source_name": "", "source_type": 4, "source_version": "",
            "start_time": run["start_time"], "status": 3, "tags": [], "user_id": ""}
    with open(folder / "meta.yaml", "w", encoding="utf-8") as handle:  # as MLflow's write_yaml
        yaml.dump(meta, handle, default_flow_style=False, allow_unicode=True, sort_keys=True,
                  Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))
    for kind in ("tags", "metrics"):
        for key, value in run[kind].items():
            (folder / kind / key).write_text("".join(value) if kind == "metrics" else value,
                                             encoding="utf-8")


def mlflow_child(root: str, spec: str) -> None:
    """(In the subprocess.) MLflow's FileStore makes the store at `root` and the experiment;
    with runs in `spec`, it logs them too. Prints the experiment id and the run ids."""
    from mlflow.entities import Metric, RunStatus
    from mlflow.store.tracking.file_store import FileStore

    store = FileStore(root)  # type: ignore[no-untyped-call]
    experiment_id = store.create_experiment(EXPERIMENT)  # type: ignore[no-untyped-call]
    ids = []
    for run in json.loads(Path(spec).read_text()):
        made = store.create_run(  # type: ignore[no-untyped-call]
            experiment_id, "", run["start_time"], [], run["name"])
        metrics = [Metric(key, float(value), int(ts), int(step)) for key, lines in
                   run["metrics"].items() for ts, value, step in (ln.split() for ln in lines)]
        run_id = made.info.run_id
        store.log_batch(run_id, metrics, [], [])  # type: ignore[no-untyped-call]
        store.update_run_info(run_id, RunStatus.FINISHED,  # type: ignore[no-untyped-call]
                              run["end_time"], None)
        ids.append(run_id)
    print(json.dumps({"experiment_id": experiment_id, "run_ids": ids}))


def mlflow_writes(root: Path, runs: list[Run]) -> tuple[str, list[str]]:
    """Have MLflow's FileStore write `root` (and `runs`): its experiment id and run ids."""
    spec = root.with_suffix(".json")
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(json.dumps(runs))
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}  # that process only
    out = subprocess.run([sys.executable, __file__, "--mlflow-child", str(root), str(spec)],
                         check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout
    made = json.loads(out.strip().splitlines()[-1])
    return str(made["experiment_id"]), list(made["run_ids"])


def artifact_location(experiment: Path) -> str:
    """Where MLflow put the experiment's artifacts: its runs' artifact_uri start with it."""
    meta = read_meta(str(experiment / "meta.yaml"))
    assert meta is not None, experiment
    return str(meta["artifact_location"])


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path below `folder` (folders too) and its bytes (None for a folder)."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


def check_writer(scratch: Path, runs: list[Run]) -> None:
    """`write_run` writes what MLflow's FileStore writes for the same runs, byte for byte."""
    experiment_id, ids = mlflow_writes(scratch / "mlruns", runs)
    experiment = scratch / "mlruns" / experiment_id
    location = artifact_location(experiment)
    mine = scratch / "mine"
    for run, run_id in zip(runs, ids, strict=True):
        write_run(mine, experiment_id, location, {**run, "run_id": run_id})
        if tree(mine / run_id) != tree(experiment / run_id):
            raise SystemExit(f"write_run differs from MLflow's FileStore for run {run['name']}")


def build(folder: Path, runs: int, epochs: int) -> tuple[str, str]:
    """The SQLite store and the same content as a file store: their URIs."""
    db = folder / "mlflow.db"
    generate(f"sqlite:///{db}", runs, epochs, str(folder / "artifacts"))
    content = read_content(db)
    check_writer(folder / "check", content[:CHECK_RUNS])
    root = folder / "mlruns"
    experiment_id, _ = mlflow_writes(root, [])
    location = artifact_location(root / experiment_id)
    for run in content:
        write_run(root / experiment_id, experiment_id, location, run)
    return str(root), f"sqlite:///{db}"


def cold_read(reader: str, uri: str, repeats: int = 3) -> tuple[float, float]:
    """(seconds, peak MB) of one read in a fresh process, the best of `repeats`; the time
    leaves out the imports."""
    module, name = {"file": ("tracking.file_reader", "FileReader"),
                    "sql": ("tracking.sql_reader", "SqlReader")}[reader]
    peak = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024"
    code = (f"import time, json, sys\nfrom {module} import {name}\n"
            f"t = time.perf_counter(); d = {name}(sys.argv[1]).read({EXPERIMENT!r})\n"
            f"assert len(d.history)\nprint(json.dumps([time.perf_counter() - t, {peak}]))")
    results = []
    for _ in range(repeats):  # the best of a few: one fresh process is a noisy sample
        out = subprocess.run([sys.executable, "-c", code, uri], check=True, capture_output=True,
                             text=True, cwd=ROOT).stdout
        seconds, megabytes = json.loads(out.strip().splitlines()[-1])
        results.append((float(seconds), float(megabytes)))
    return min(results)


def warm_read(reader: FileReader | SqlReader, repeats: int = 3) -> float:
    """The best of a few full reads in this process, after a first one."""
    reader.read(EXPERIMENT)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        reader.read(EXPERIMENT)
        times.append(time.perf_counter() - started)
    return min(times)


def bench_file_store(runs: int, epochs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lossboard-bench-files-") as tmp:
        started = time.perf_counter()
        path, sqlite = build(Path(tmp), runs, epochs)
        print(f"file store vs SQLite: {runs} runs x {epochs} epochs x {len(KEYS)} metrics "
              f"(built in {time.perf_counter() - started:.1f} s; writer checked against "
              f"MLflow's FileStore on {CHECK_RUNS} runs)")
        same = FileReader(path).read(EXPERIMENT).history
        assert len(same) == len(SqlReader(sqlite).read(EXPERIMENT).history) == runs * epochs * 4
        (file_cold, file_peak), (sql_cold, sql_peak) = cold_read("file", path), cold_read(
            "sql", sqlite)
        file_warm, sql_warm = warm_read(FileReader(path)), warm_read(SqlReader(sqlite))
        for label, seconds, peak in (("FileReader, cold (fresh process)", file_cold, file_peak),
                                     ("SqlReader,  cold (fresh process)", sql_cold, sql_peak)):
            print(f"  {label:36s} {seconds:7.3f} s   peak {peak:.0f} MB")
        print(f"  {'FileReader, warm (second read)':36s} {file_warm:7.3f} s")
        print(f"  {'SqlReader,  warm (second read)':36s} {sql_warm:7.3f} s")
        for label, ratio in (("cold", file_cold / sql_cold), ("warm", file_warm / sql_warm)):
            verdict = "met" if ratio <= TARGET else "MISSED"
            print(f"  file / sqlite, {label}: {ratio:.2f}x   target <= {TARGET:.0f}x: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--mlflow-child", nargs=2, metavar=("ROOT", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mlflow_child:
        mlflow_child(*args.mlflow_child)
    else:
        bench_file_store(args.runs, args.epochs)


if __name__ == "__main__":
    main()
