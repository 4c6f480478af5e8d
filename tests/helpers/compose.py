"""docker-compose.yml, read the way Docker Compose reads it, to start its services as processes.

There is no Docker engine on the test machines, so the team-stack tests take each service's own
`command`, `environment` and `healthcheck` from the compose file, interpolate `${VAR...}` as
Compose does, point the service names at the local processes (`mlflow:5000` ->
`127.0.0.1:<port>`), and run them, each in a fresh folder where its volume would be."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.helpers.mlflow_server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


class MissingVariable(Exception):
    """A `${VAR:?message}` whose variable is unset: Compose refuses to start, and so do we."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}."""

    def value(match: re.Match[str]) -> str:
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        if name is None:
            return "$"
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op and op.endswith("?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        if op and op.endswith("-") and unset:
            return interpolate(arg, env)
        return current or ""

    return _VARIABLE.sub(value, text)


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(path.read_text())
    return compose


@dataclass
class Service:
    """One service of the compose file, made to run here."""

    name: str
    command: list[str]
    environment: dict[str, str]
    healthcheck: list[str] | None

    @classmethod
    def from_compose(cls, compose: Mapping[str, Any], name: str, env: Mapping[str, str],
                     addresses: Mapping[str, str]) -> Service:
        spec = compose["services"][name]

        def local(text: str) -> str:
            text = interpolate(str(text), env)
            for container, here in addresses.items():
                text = text.replace(container, here)
            return text

        command = [local(part) for part in spec["command"]]
        environment = {k: local(v) for k, v in (spec.get("environment") or {}).items()}
        check = (spec.get("healthcheck") or {}).get("test")
        healthcheck = [local(part) for part in check[1:]] if check else None
        return cls(name, command, environment, healthcheck)

    def listen_on(self, port: int) -> Service:
        """Bind to 127.0.0.1:`port` instead of the container's 0.0.0.0 and fixed port."""
        command = list(self.command)
        for i, part in enumerate(command[:-1]):
            following = command[i + 1]
            if part == "--port":
                command[i + 1] = str(port)
            elif part == "--host" and following == "0.0.0.0":
                command[i + 1] = "127.0.0.1"
            elif part == "--bind" and following.startswith("0.0.0.0:"):
                command[i + 1] = f"127.0.0.1:{port}"
        return Service(self.name, command, self.environment, self.healthcheck)

    def executable(self) -> list[str]:
        return here(self.command)

    def process_env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "LOSSBOARD_"))}
        return base | {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"} \
            | self.environment

    def run(self, cwd: Path, timeout: float = 600, extra: list[str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        """Run a one-shot service (create-bucket, trainer) to its end."""
        return subprocess.run([*self.executable(), *(extra or [])], cwd=cwd,
                              env=self.process_env(), capture_output=True, text=True,
                              timeout=timeout)

    def healthy(self) -> bool:
        """The service's own healthcheck, run here."""
        if not self.healthcheck:
            return True
        try:
            return subprocess.run(here(self.healthcheck), capture_output=True,
                                  timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False


def here(command: list[str]) -> list[str]:
    """`command` with its program taken from this virtual environment where it is there."""
    program = Path(sys.executable).with_name(command[0])
    first = str(program) if program.exists() else (shutil.which(command[0]) or command[0])
    return [first, *command[1:]]


class ServiceProcess(ServerProcess):
    """A long-running service of the compose file, as a process in `root`."""

    def __init__(self, root: Path, service: Service, port: int) -> None:
        super().__init__(root, port)
        self.service = service.listen_on(port)
        self.log_path = root / f"{service.name}.log"

    def command(self) -> list[str]:
        return self.service.executable()

    def environment(self) -> dict[str, str]:
        return self.service.process_env()

    def healthy(self) -> bool:
        return self.service.healthy()
