"""docker-compose.yml holds what the team deployment promises (no Docker needed to check it;
tests/integration/test_team_stack.py runs its services)."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest

from tests.helpers.compose import ROOT, MissingVariable, interpolate, load_compose

COMPOSE = load_compose()
SERVICES: dict[str, Any] = COMPOSE["services"]
ONE_SHOT = {"create-bucket", "trainer"}
REQUIRED = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value.strip("'") for key, value in pairs}


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET}-${UNSET:-d}-${EMPTY:-e}-${EMPTY-f}-$$HOME", env) == "x-d-e--$HOME"
    with pytest.raises(MissingVariable, match="UNSET: say why"):
        interpolate("${UNSET:?say why}", env)


def test_every_secret_is_required_from_the_environment_and_listed_in_env_example() -> None:
    assert {"POSTGRES_PASSWORD", "LOSSBOARD_READER_PASSWORD", "S3_SECRET_ACCESS_KEY",
            "MLFLOW_ADMIN_PASSWORD", "MLFLOW_FLASK_SERVER_SECRET_KEY",
            "LOSSBOARD_USERS"} <= REQUIRED
    assert REQUIRED <= set(env_example())
    for name, spec in SERVICES.items():
        for key, value in (spec.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET", key):
                assert str(value).startswith("${"), f"{name}.{key} is written in the file"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_services_wait_for_healthy_dependencies() -> None:
    for name, spec in SERVICES.items():
        if name not in ONE_SHOT:
            assert spec.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for needed, rule in (spec.get("depends_on") or {}).items():
            expected = ("service_completed_successfully" if needed in ONE_SHOT
                        else "service_healthy")
            assert rule == {"condition": expected}, f"{name} -> {needed}"
    assert SERVICES["trainer"]["profiles"] == ["train"]


def test_mlflow_server_runs_as_the_issue_asks() -> None:
    spec = SERVICES["mlflow"]
    command = " ".join(spec["command"])
    assert spec["image"].startswith("ghcr.io/mlflow/mlflow:") and spec["image"].endswith("-full")
    for flag in ("--backend-store-uri postgresql+psycopg2://", "--artifacts-destination s3://",
                 "--serve-artifacts", "--allowed-hosts ", "--cors-allowed-origins ",
                 "--app-name basic-auth"):
        assert flag in command
    assert spec["environment"]["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert "create-bucket" in spec["depends_on"]


def test_dashboard_reads_through_a_read_only_role_and_shares_redis() -> None:
    spec = SERVICES["dashboard"]
    workers = spec["command"][spec["command"].index("--workers") + 1]
    assert spec["command"][0] == "gunicorn" and int(workers) >= 2
    assert spec["environment"]["LOSSBOARD_READ_URI"].startswith("postgresql://lossboard_reader:")
    assert spec["environment"]["LOSSBOARD_REDIS_URL"].startswith("redis://redis:")
    init = SERVICES["postgres"]["volumes"][1]
    assert init.startswith("./deploy/postgres/create-reader-role.sh:/docker-entrypoint-initdb.d/")


def test_published_ports_bind_to_this_machine_unless_told() -> None:
    for name, spec in SERVICES.items():
        for port in spec.get("ports", []):
            assert interpolate(port, {}).startswith("127.0.0.1:"), name


def test_the_image_runs_as_an_unprivileged_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
    for folder in re.findall(r"^COPY (\w+) ", dockerfile, re.MULTILINE):
        assert (ROOT / folder).is_dir()


def test_the_image_serves_as_the_compose_file_does() -> None:
    """`docker run lossboard` gets the compose file's gunicorn command: its config (warm-up
    per worker), threads and timeout too."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    assert json.loads(cmd.group(1)) == SERVICES["dashboard"]["command"]


def test_the_image_holds_every_package_it_installs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) ", dockerfile, re.MULTILINE))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {name.rstrip("*") for name in packages} <= copied
