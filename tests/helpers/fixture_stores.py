"""Stores written by other MLflow releases (tests/fixtures/stores, made by
scripts/make_store_fixtures.py in throwaway venvs), and what those releases report for them."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis import frames as f
from tests.helpers.stores import fresh_mysql_uri, fresh_postgres_uri
from tracking.reader import ExperimentData, ExperimentNotFound, RunReader

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stores"
SQLITE_STORES = sorted(FIXTURES.glob("mlflow-*.db"))
POSTGRES_DUMPS = sorted(FIXTURES.glob("mlflow-*.postgresql.sql"))
MARIADB_DUMPS = sorted(FIXTURES.glob("mlflow-*.mariadb.sql"))
FILE_STORES = sorted(p for p in FIXTURES.glob("mlruns-*") if p.is_dir())
SWEEP = "fixture-sweep"  # the experiment with every logging style
_NUMBERS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_CLAMPED = 1.7976931348623157e308  # database stores keep +/-inf as the largest float


def store_state(path: Path) -> tuple[bytes, list[str]]:
    """A SQLite store's bytes and its folder's listing (a -journal or -wal file would show)."""
    return path.read_bytes(), sorted(p.name for p in path.parent.iterdir())


def assert_reads_as_its_release_reported(reader: RunReader, report: dict[str, Any]) -> None:
    """Every active experiment's runs (deleted ones included) and full history as the release
    that wrote the store reported them; deleted experiments not found by name or by id."""
    active = sorted(e["name"] for e in report["experiments"] if e["lifecycle_stage"] == "active")
    assert reader.experiment_names() == active
    for name in active:
        data = reader.read(name, include_deleted=True, extra_keys=all_keys(report))
        runs, history = actual_frames(data)
        want_runs, want_history = expected_frames(report, name)
        assert runs.to_dict(orient="records") == want_runs.to_dict(orient="records"), name
        assert history.equals(want_history), name
    deleted = [e for e in report["experiments"] if e["lifecycle_stage"] == "deleted"]
    for gone in (name for e in deleted for name in (e["name"], e["experiment_id"])):
        with pytest.raises(ExperimentNotFound, match=f"no active experiment named '{gone}'"):
            reader.read(gone)


def expected(store: Path) -> dict[str, Any]:
    """What the release that wrote `store` reported when it read it back."""
    return json.loads(store.with_name(store.name + ".expected.json").read_text())


def version_of(store: Path) -> str:
    return str(expected(store)["mlflow_version"])


def copy_of(store: Path, folder: Path) -> Path:
    """A copy in a folder of its own: a fixture is never opened in place."""
    target = folder / store.name
    if store.is_dir():
        shutil.copytree(store, target)
    else:
        shutil.copy(store, target)
    return target


def restore_postgres(dump: Path) -> str:
    """A fresh database holding `dump`, restored by psql as pg_dump meant; its URI. The
    \\restrict lines of newer pg_dumps are left out: older psql clients do not know them."""
    uri = fresh_postgres_uri()
    text = "".join(line for line in dump.read_text().splitlines(keepends=True)
                   if not line.startswith(("\\restrict", "\\unrestrict")))
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri], input=text,
                   text=True, check=True, capture_output=True)
    return uri


def postgres_dump(uri: str) -> str:
    """The database as pg_dump writes it (its random \\restrict key left out), to compare."""
    out = subprocess.run(["pg_dump", "--no-owner", "--no-acl", "-d", uri], text=True,
                         check=True, capture_output=True).stdout
    return "".join(line for line in out.splitlines(keepends=True)
                   if not line.startswith(("\\restrict", "\\unrestrict")))


def _mariadb_args(uri: str) -> list[str]:
    """The mariadb/mariadb-dump connection options for a ``mysql+pymysql://`` URI, and its
    database last."""
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    args = ["--protocol=TCP", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306),
            "--default-character-set=utf8mb4"]
    if url.username:
        args += ["-u", url.username]
    if url.password:
        args.append(f"--password={url.password}")
    return [*args, str(url.database)]


def restore_mariadb(dump: Path) -> str:
    """A fresh database holding `dump`, fed to the mariadb client as mariadb-dump meant; its
    URI."""
    uri = fresh_mysql_uri()
    subprocess.run(["mariadb", *_mariadb_args(uri)], input=dump.read_bytes(), check=True,
                   capture_output=True)
    return uri


def mariadb_dump(uri: str) -> str:
    """The database as mariadb-dump writes it (no comments, no date), to compare."""
    return subprocess.run(
        ["mariadb-dump", "--skip-comments", "--skip-dump-date", "--single-transaction",
         "--skip-routines", "--order-by-primary", "--hex-blob", "--skip-extended-insert",
         *_mariadb_args(uri)], check=True, capture_output=True).stdout.decode()


def _number(value: object) -> float:
    number = _NUMBERS.get(value, value) if isinstance(value, str) else value
    result = float(number)  # type: ignore[arg-type]
    return math.copysign(math.inf, result) if abs(result) >= _CLAMPED else result


def expected_frames(report: dict[str, Any], experiment: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The release's runs (every lifecycle stage) and full history of `experiment`, in the
    shape `actual_frames` gives: runs by id with params/tags columns; raw points."""
    [experiment_id] = [e["experiment_id"] for e in report["experiments"]
                       if e["name"] == experiment]
    runs = [r for r in report["runs"] if r["experiment_id"] == experiment_id]
    base = [f.RUN_ID, f.RUN_NAME, f.STATUS, f.START_TIME, f.END_TIME, f.LIFECYCLE_STAGE]
    frame = pd.DataFrame([{
        f.RUN_ID: r["run_id"], f.RUN_NAME: r["run_name"], f.STATUS: r["status"],
        f.START_TIME: r["start_time"], f.END_TIME: r["end_time"],
        f.LIFECYCLE_STAGE: r["lifecycle_stage"],
        **{f.PARAM_PREFIX + k: v for k, v in r["params"].items()},
        **{f.TAG_PREFIX + k: v for k, v in r["tags"].items()},
    } for r in runs], columns=None if runs else base)
    ids = {r["run_id"] for r in runs}
    points = pd.DataFrame([{f.RUN_ID: p["run_id"], f.KEY: p["key"], f.STEP: p["step"],
                            f.VALUE: _number(p["value"]), f.TIMESTAMP: p["timestamp"]}
                           for p in report["history"] if p["run_id"] in ids],
                          columns=[f.RUN_ID, f.KEY, f.STEP, f.VALUE, f.TIMESTAMP])
    return _canonical(frame), _points(points)


def actual_frames(data: ExperimentData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reader's frames in the shape `expected_frames` gives."""
    keep = [f.RUN_ID, f.RUN_NAME, f.STATUS, f.START_TIME, f.END_TIME, f.LIFECYCLE_STAGE]
    named = [c for c in data.runs.columns if c.startswith((f.PARAM_PREFIX, f.TAG_PREFIX))]
    runs = data.runs[keep + named]
    return _canonical(runs), _points(data.history[[f.RUN_ID, f.KEY, f.STEP, f.VALUE,
                                                   f.TIMESTAMP]])


def all_keys(report: dict[str, Any]) -> tuple[str, ...]:
    """Every metric key the store holds: asked of a reader as extra keys, it reads them all."""
    return tuple(sorted({p["key"] for p in report["history"]}))


def _canonical(runs: pd.DataFrame) -> pd.DataFrame:
    runs = runs.astype(object).where(runs.notna(), None)
    for column in (f.START_TIME, f.END_TIME):
        runs[column] = pd.Series([None if v is None else int(v) for v in runs[column]],
                                 index=runs.index, dtype=object)
    runs = runs.dropna(axis=1, how="all") if len(runs) else runs
    return runs[sorted(runs.columns)].sort_values(f.RUN_ID).reset_index(drop=True)


def _points(points: pd.DataFrame) -> pd.DataFrame:
    order = [f.RUN_ID, f.KEY, f.STEP, f.TIMESTAMP, f.VALUE]
    out = points.astype({f.RUN_ID: str, f.KEY: str, f.STEP: "int64", f.VALUE: "float64",
                         f.TIMESTAMP: "int64"})
    return out[order].sort_values(order).reset_index(drop=True)

