"""The team deployment, end to end, on real processes started from docker-compose.yml.

PostgreSQL (this machine's, a fresh database, roles made by the compose file's init script), an S3
stand-in (moto's server, where compose runs MinIO), `mlflow server` with basic-auth, Redis (this
machine's), the dashboard under gunicorn with 2 workers, and the trainer: each with its compose
command, flags and environment. Then everything a team relies on is checked over HTTP."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.helpers.compose import ROOT, Service, ServiceProcess, load_compose
from tests.helpers.mlflow_server import ServerProcess, free_port
from tests.helpers.stores import POSTGRES_URL, _missing, redis_url
from tests.helpers.team import (
    READER_ROLE,
    USERS,
    HttpClient,
    prepare_postgres,
    secrets_env,
    show,
    signed_in_mlflow,
)

TRAIN_ARGS = ["--config", "mlp-2-short", "--config", "mlp-16-decay-4", "--config",
              "mlp-256-no-decay-long", "--epochs", "6", "--seed", "0"]  # compose's, shortened


class MotoServer(ServerProcess):
    """moto's S3 server: the stand-in for the compose file's MinIO."""

    def command(self) -> list[str]:
        return [str(Path(sys.executable).with_name("moto_server")),
                "-H", "127.0.0.1", "-p", str(self.port)]

    def healthy(self) -> bool:
        try:
            return requests.get(f"{self.uri}/moto-api/", timeout=2).status_code == 200
        except requests.RequestException:
            return False


@dataclass
class Stack:
    env: dict[str, str]
    database: str
    mlflow: ServiceProcess
    dashboard: ServiceProcess
    rest_dashboard: ServiceProcess
    s3: MotoServer
    redis: str
    train_output: str

    def client(self, user: str | None, rest: bool = False) -> HttpClient:
        server = self.rest_dashboard if rest else self.dashboard
        return HttpClient(server.uri, (user, USERS[user][1]) if user else None)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("team")
    redis = redis_url()
    env = secrets_env()
    try:
        database = prepare_postgres(env)
    except Exception as error:
        _missing("PostgreSQL", POSTGRES_URL, error)
    compose = load_compose()
    started: list[ServerProcess] = []
    read_uris: list[str] = []  # what the dashboards read: their namespaces in Redis

    def start(process: ServerProcess) -> None:
        process.root.mkdir(exist_ok=True)
        process.start(timeout=120)
        started.append(process)

    try:
        s3 = MotoServer(root / "s3")
        start(s3)
        mlflow_port = free_port()
        addresses = {"mlflow:5000": f"127.0.0.1:{mlflow_port}",
                     "localhost:5000": f"localhost:{mlflow_port}",
                     "@postgres:5432/mlflow": f"@127.0.0.1:5432/{database}",
                     "http://s3:9000": s3.uri, "redis://redis:6379/0": redis,
                     "/deploy/": f"{ROOT}/deploy/"}

        def service(name: str, port: int | None = None) -> Service:
            local = addresses | ({"localhost:8050": f"localhost:{port}"} if port else {})
            return Service.from_compose(compose, name, env, local)

        bucket = service("create-bucket").run(root)
        assert bucket.returncode == 0, bucket.stderr
        mlflow = ServiceProcess(root / "mlflow", service("mlflow"), mlflow_port)
        start(mlflow)
        trained = service("trainer").run(root, extra=TRAIN_ARGS)
        assert trained.returncode == 0, trained.stderr[-3000:]
        port = free_port()
        dashboard = ServiceProcess(root / "dashboard", service("dashboard", port), port)
        read_uris.append(dashboard.service.environment["LOSSBOARD_READ_URI"])
        start(dashboard)
        rest_port = free_port()
        rest = service("dashboard", rest_port)
        del rest.environment["LOSSBOARD_READ_URI"]  # the same dashboard, reading over REST
        rest_dashboard = ServiceProcess(root / "dashboard-rest", rest, rest_port)
        read_uris.append(rest.environment["MLFLOW_TRACKING_URI"])
        start(rest_dashboard)
        yield Stack(env, database, mlflow, dashboard, rest_dashboard, s3, redis,
                    trained.stdout)
    finally:
        for process in reversed(started):
            process.stop()
        _forget_shared_cache(redis, read_uris)


def _forget_shared_cache(url: str, store_uris: list[str]) -> None:
    """Remove what this stack's dashboards put in the shared Redis."""
    import redis

    from tracking.shared_cache import namespace

    server = redis.Redis.from_url(url)
    for uri in store_uris:
        keys = list(server.scan_iter(f"lossboard:*:{namespace(uri)}:*"))
        if keys:
            server.delete(*keys)


def test_sign_in_is_required_but_health_is_open(stack: Stack) -> None:
    anonymous = stack.client(None)
    assert anonymous.get("/").status_code == 401
    assert anonymous.get("/health").status_code == 200
    assert stack.client("bob").get("/").status_code == 200
    wrong = HttpClient(stack.dashboard.uri, ("bob", "not-his-password"))
    assert wrong.get("/").status_code == 401


def test_the_trainers_runs_show_over_the_sql_and_the_rest_path(stack: Stack) -> None:
    sql_rows = show(stack.client("bob"))["runs-table.rowData"]
    rest_rows = show(stack.client("bob", rest=True))["runs-table.rowData"]
    names = sorted(r["run_name"] for r in sql_rows)
    assert names == ["mlp-16-decay-4-seed0", "mlp-2-short-seed0", "mlp-256-no-decay-long-seed0"]
    assert sorted(r["run_name"] for r in rest_rows) == names
    by_name = {r["run_name"]: r for r in rest_rows}
    for row in sql_rows:
        assert row["final_loss"] == pytest.approx(by_name[row["run_name"]]["final_loss"])


def bucket_keys(stack: Stack) -> list[str]:
    """Every object in the stack's artifact bucket."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=stack.s3.uri,
                      aws_access_key_id=stack.env["S3_ACCESS_KEY_ID"],
                      aws_secret_access_key=stack.env["S3_SECRET_ACCESS_KEY"])
    return [o["Key"] for o in s3.list_objects_v2(Bucket=stack.env["S3_BUCKET"])["Contents"]]


def test_predictions_went_to_s3_and_come_back_for_calibration(stack: Stack) -> None:
    assert sum(k.endswith("lossboard/val_predictions.npz") for k in bucket_keys(stack)) == 3
    notes = show(stack.client("bob"))["calibration-notes.children"]
    assert notes, "the calibration panel read the predictions through the MLflow server"


def test_history_files_go_to_s3_and_are_read_through_basic_auth(
        stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    from tracking.rest_reader import RestReader

    assert sum(k.endswith("lossboard/history.npz") for k in bucket_keys(stack)) == 3
    with signed_in_mlflow(stack.env["MLFLOW_ADMIN_PASSWORD"]), caplog.at_level(
            "DEBUG", logger="lossboard.tracking"):
        data = RestReader(stack.mlflow.uri).read(stack.env.get("TRAIN_EXPERIMENT", "team-sweep"))
    assert "3 of 3 ended runs read from their history files" in caplog.text
    assert set(data.history["key"]) >= {"val_loss", "val_accuracy"}


def test_the_dashboard_database_role_is_read_only(stack: Stack) -> None:
    import psycopg

    uri = f"postgresql://{READER_ROLE}:{stack.env['LOSSBOARD_READER_PASSWORD']}@127.0.0.1:5432/"
    with psycopg.connect(uri + stack.database, connect_timeout=5) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (3,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE runs SET name = 'x'")


def test_a_reviewer_promotes_and_a_viewer_cannot_move_the_alias(stack: Stack) -> None:
    from mlflow import MlflowClient

    first, second = (r["run_id"] for r in show(stack.client("bob"))["runs-table.rowData"][:2])
    said = stack.client("alice").review("promote", [first])  # the model the trainer logged
    assert said == "Registered model 'team-model' version 1, alias 'champion'."
    said = stack.client("bob").review("promote", [second])
    assert "only reviewers" in said
    with signed_in_mlflow(stack.env["MLFLOW_ADMIN_PASSWORD"]):
        client = MlflowClient(stack.mlflow.uri)
        champion = client.get_model_version_by_alias("team-model", "champion")
        assert (champion.version, champion.run_id) == ("1", first)
        assert len(client.search_model_versions("name = 'team-model'")) == 1


def test_forged_and_cross_site_callbacks_are_refused(stack: Stack) -> None:
    alice = stack.client("alice")
    said = alice.review("mark", [uuid.uuid4().hex], reason="forged")
    assert "not in the experiments shown" in said
    forged = alice.session.post(f"{alice.base}/_dash-update-component", data="output=x",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status_code in (403, 415)
    cross = alice.session.post(f"{alice.base}/_dash-update-component", json={},
                               headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403


def test_a_review_written_through_one_worker_is_seen_through_the_other(stack: Stack) -> None:
    from mlflow import MlflowClient

    alice = stack.client("alice")
    run = show(alice)["runs-table.rowData"][0]
    said = alice.review("mark", [run["run_id"]], reason="lowest loss", reviewer="mallory")
    assert said == f"Marked {run['run_name']} chosen."
    with signed_in_mlflow(stack.env["MLFLOW_ADMIN_PASSWORD"]):
        tags = MlflowClient(stack.mlflow.uri).get_run(run["run_id"]).data.tags
    assert tags["lossboard.review.reviewer"] == "alice"  # the signed-in name, not the claim
    for _ in range(8):  # fresh connections: both workers answer some of them
        rows = show(stack.client("bob"))["runs-table.rowData"]
        assert {r["run_id"]: r["review"] for r in rows}[run["run_id"]].startswith("chosen")
    log = stack.dashboard.log_path.read_text()
    workers = set(re.findall(r"pid=<(\d+)> \"POST /_dash-update-component", log))
    assert len(workers) == 2, f"only {workers} answered"


def test_finished_histories_are_shared_through_redis(stack: Stack) -> None:
    import redis

    from tracking.shared_cache import history_key, namespace

    runs = [r["run_id"] for r in show(stack.client("bob"))["runs-table.rowData"]]
    space = namespace(stack.dashboard.service.environment["LOSSBOARD_READ_URI"])
    server = redis.Redis.from_url(stack.redis)
    assert server.exists(*(history_key(space, run) for run in runs)) == len(runs) == 3
