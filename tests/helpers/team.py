"""What the team-stack tests need around the compose services: secrets, the database and its
roles, Redis, and a signed-in HTTP client that calls the dashboard's callbacks."""

from __future__ import annotations

import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from dashboard import ids
from dashboard.auth import hash_password
from tests.helpers.compose import ROOT
from tests.helpers.dash_client import SHOW_OUTPUTS, SHOW_STATE, call, press, show_inputs
from tests.helpers.stores import POSTGRES_URL

ADMIN = "admin"
OWNER_ROLE = "mlflow"  # POSTGRES_USER in docker-compose.yml: MLflow's server connects as it
READER_ROLE = "lossboard_reader"
EXPERIMENT = "team-sweep"
USERS = {"alice": ("reviewer", secrets.token_urlsafe(12)),
         "bob": ("viewer", secrets.token_urlsafe(12))}
BUTTONS = {"mark": ids.CHOOSE, "clear": ids.CLEAR, "promote": ids.PROMOTE}


def secrets_env() -> dict[str, str]:
    """What a team puts in .env (see .env.example), with fresh secrets."""
    users = ",".join(f"{name}:{role}:{hash_password(password, iterations=1000)}"
                     for name, (role, password) in USERS.items())
    return {"POSTGRES_PASSWORD": secrets.token_urlsafe(16),
            "LOSSBOARD_READER_PASSWORD": secrets.token_urlsafe(16),
            "S3_ACCESS_KEY_ID": "lossboard-test", "S3_SECRET_ACCESS_KEY": secrets.token_urlsafe(16),
            "S3_BUCKET": "mlflow-artifacts", "MLFLOW_ADMIN_USERNAME": ADMIN,
            "MLFLOW_ADMIN_PASSWORD": secrets.token_urlsafe(16),
            "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_urlsafe(16),
            "LOSSBOARD_USERS": users, "TRAIN_EXPERIMENT": EXPERIMENT}


def prepare_postgres(env: dict[str, str]) -> str:
    """A fresh database owned by MLflow's role, set up by the compose file's init script, as
    the postgres image runs it on first start (its POSTGRES_USER is a superuser, like here)."""
    import psycopg

    database = f"lossboard_team_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES_URL}/test", autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER_ROLE,)).fetchone()
        if not exists:
            conn.execute(f"CREATE ROLE {OWNER_ROLE} SUPERUSER LOGIN")
        conn.execute(f"CREATE DATABASE {database} OWNER {OWNER_ROLE}")
    script = ROOT / "deploy" / "postgres" / "create-reader-role.sh"
    subprocess.run(["sh", str(script)], check=True, capture_output=True, timeout=60,
                   env=os.environ | {"PGHOST": "127.0.0.1", "POSTGRES_USER": OWNER_ROLE,
                                     "POSTGRES_DB": database,
                                     "LOSSBOARD_READER_PASSWORD": env["LOSSBOARD_READER_PASSWORD"]})
    return database


class HttpClient:
    """A browser's session with the dashboard, signed in (Basic auth) or not."""

    def __init__(self, base: str, auth: tuple[str, str] | None) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.auth = auth

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=60)

    def post(self, path: str, json: Any) -> _Answer:
        return _Answer(self.session.post(self.base + path, json=json, timeout=120))

    def review(self, action: str, selected: list[str], reason: str = "why",
               reviewer: str = "", model: str = "team-model",
               experiment: str = EXPERIMENT) -> str:
        """Press a review button for `selected`, as the page would; what the panel says."""
        return press(self, BUTTONS[action], selected, experiment=experiment, reason=reason,
                     reviewer=reviewer, model=model)


class _Answer:
    """requests' response, shaped like Flask's test response for tests.helpers.dash_client."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content
        self.get_json = response.json


def show(client: HttpClient, experiment: str = EXPERIMENT) -> dict[str, Any]:
    """What the page's main callback answers for `experiment`, nothing selected."""
    return call(client, SHOW_OUTPUTS, show_inputs(experiment), SHOW_STATE)


@contextmanager
def signed_in_mlflow(password: str) -> Iterator[None]:
    """MLflow's client signed in as the stack's admin (the server runs basic-auth)."""
    values = {"MLFLOW_TRACKING_USERNAME": ADMIN, "MLFLOW_TRACKING_PASSWORD": password}
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
