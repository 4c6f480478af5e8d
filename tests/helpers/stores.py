"""Real MLflow stores holding an experiment with every awkward case a reader must handle."""

from __future__ import annotations

import math
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

from tests.helpers.mlflow_server import DashboardServer

EXPERIMENT = "awkward"
HOUR_MS = 3600 * 1000
POSTGRES_URL = os.environ.get("LOSSBOARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
MYSQL_URL = os.environ.get("LOSSBOARD_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("LOSSBOARD_TEST_REDIS", "redis://127.0.0.1:6379/0")


def create_database(kind: str, prefix: str = "lossboard") -> str:
    """A new, empty database on the local "postgresql" or "mysql" (MariaDB) server: its URI.
    Raises whatever the driver raises when the server is not there."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(f"{POSTGRES_URL}/test", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"{POSTGRES_URL}/{name}"
    import pymysql
    from sqlalchemy.engine import make_url

    url = make_url(MYSQL_URL)
    with pymysql.connect(host=url.host, port=url.port or 3306, user=url.username,
                         password=url.password or "", connect_timeout=5) as conn:
        conn.cursor().execute(f"CREATE DATABASE {name}")
    return f"{MYSQL_URL}/{name}"


def fresh_postgres_uri() -> str:
    """A new, empty database on the test PostgreSQL server; skip (or fail in CI) without one."""
    try:
        return create_database("postgresql")
    except Exception as error:
        _missing("PostgreSQL", POSTGRES_URL, error)


def fresh_mysql_uri() -> str:
    """A new, empty database on the test MySQL/MariaDB server; skip (or fail in CI) without one."""
    try:
        return create_database("mysql")
    except Exception as error:
        _missing("MySQL/MariaDB", MYSQL_URL, error)


def redis_url() -> str:
    """The test Redis server's URL; skip (or fail in CI) without one."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        _missing("Redis", REDIS_URL, error)
    return REDIS_URL


def _missing(service: str, url: str, error: Exception) -> NoReturn:
    """No server: a clear skip here, a failure in CI (where the service must be up)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{service} at {url} is needed in CI: {error}")
    pytest.skip(f"no {service} at {url} ({error})")


FinalRun = tuple[str, float, float, dict[str, str]]  # name, val_loss, val_accuracy, params


def log_finished_runs(uri: str, experiment: str, runs: list[FinalRun]) -> tuple[str, list[str]]:
    """A new experiment of finished runs, each (name, val_loss, val_accuracy, params) at
    step 1, written by MLflow's client to `uri`; the experiment's id and the runs' ids."""
    client = MlflowClient(uri)
    experiment_id = client.create_experiment(experiment)
    ids = []
    for name, loss, accuracy, params in runs:
        run = client.create_run(experiment_id, run_name=name).info.run_id
        client.log_batch(run, metrics=[Metric("val_loss", loss, 0, 1),
                                       Metric("val_accuracy", accuracy, 0, 1)],
                         params=[Param(k, v) for k, v in params.items()])
        client.set_terminated(run)
        ids.append(run)
    return experiment_id, ids


@contextmanager
def dashboard_on_runs(folder: Path, store_template: Path, experiment: str,
                      runs: list[FinalRun]) -> Iterator[DashboardServer]:
    """`lossboard serve` on a new SQLite store in `folder` holding `experiment`'s `runs`."""
    shutil.copy(store_template, folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    log_finished_runs(uri, experiment, runs)
    server = DashboardServer(folder, backend_uri=uri)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _metrics(points: list[tuple[str, float, int, int]]) -> list[Metric]:
    return [Metric(key, value, timestamp, step) for key, value, timestamp, step in points]


def write_awkward_experiment(uri: str) -> dict[str, str]:
    """Runs with NaN, +/-inf, duplicate and out-of-order steps, a missing metric, no metrics,
    one deleted and one stale RUNNING; returns run name -> run id."""
    client = MlflowClient(uri)
    experiment_id = client.create_experiment(EXPERIMENT)
    now = int(time.time() * 1000)
    ids = {}

    def run(name: str, points: list[tuple[str, float, int, int]], start: int = now,
            finish: bool = True) -> str:
        created = client.create_run(experiment_id, run_name=name, start_time=start)
        run_id: str = created.info.run_id
        client.log_batch(run_id, metrics=_metrics(points),
                         params=[Param("lr", "0.1"), Param("name", name)],
                         tags=[RunTag("majority_baseline_accuracy", "0.5")])
        if finish:
            client.set_terminated(run_id, "FINISHED", end_time=start + 1000)
        ids[name] = run_id
        return run_id

    run("plain", [(k, v, now + s, s) for s in (1, 2, 3)
                  for k, v in (("val_loss", 1 / s), ("val_accuracy", 0.5 + s / 10),
                               ("train_loss", 0.9 / s), ("train_accuracy", 0.6 + s / 10))])
    run("extremes", [("val_loss", math.nan, now, 1), ("val_loss", math.inf, now, 2),
                     ("val_loss", -math.inf, now, 3), ("val_accuracy", 0.7, now, 1)])
    run("duplicates", [("val_loss", 0.5, now, 2), ("val_loss", 0.4, now + 5, 2),
                       ("val_loss", 0.9, now - 5, 1), ("val_accuracy", 0.8, now, 2),
                       ("val_accuracy", 0.6, now, 1)])
    run("no-accuracy", [("val_loss", 0.3, now, 1), ("lr", 0.01, now, 1)])
    run("no-metrics", [])
    client.delete_run(run("deleted", [("val_loss", 0.2, now, 1), ("val_accuracy", 0.9, now, 1)]))
    run("stale", [("val_loss", 0.6, now - 3 * HOUR_MS, 1)], start=now - 4 * HOUR_MS,
        finish=False)
    return ids
