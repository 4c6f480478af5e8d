"""Real server processes for tests: `mlflow server` on a store, `lossboard serve` over one.

Each is started in its own process group, waited for until /health answers, and stopped with
its workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A server bound to 127.0.0.1:`port`, run from `root` (its log: root/server.log)."""

    def __init__(self, root: Path, port: int | None = None, backend_uri: str | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.backend_uri = backend_uri or f"sqlite:///{root / 'mlflow.db'}"
        self.log_path = root / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def start(self, timeout: float = 90.0) -> None:
        env = self.environment()
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self.command(), cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.command()[0]} exited early:\n{self.log_tail()}")
            if self.healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.command()[0]} not healthy after {timeout} s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server and its workers (the whole process group)."""
        if self._process is None:
            return
        try:
            os.killpg(self._process.pid, sig)
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=15)
        except ProcessLookupError:
            pass
        self._process = None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class MlflowServer(ServerProcess):
    """`mlflow server` over a store (default: SQLite in `root`) with `workers` uvicorn workers
    (default one; None: MLflow's own default, 4)."""

    def __init__(self, root: Path, port: int | None = None, backend_uri: str | None = None, *,
                 workers: int | None = 1) -> None:
        super().__init__(root, port, backend_uri)
        self.workers = workers

    def command(self) -> list[str]:
        mlflow = str(Path(sys.executable).with_name("mlflow"))
        workers = [] if self.workers is None else ["--workers", str(self.workers)]
        return [
            mlflow, "server",
            "--backend-store-uri", self.backend_uri,
            "--artifacts-destination", str(self.root / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), *workers,
        ]

    def environment(self) -> dict[str, str]:
        return dict(os.environ) | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


class DashboardServer(ServerProcess):
    """`lossboard serve` over `backend_uri`, as a user starts it."""

    def command(self) -> list[str]:
        lossboard = str(Path(sys.executable).with_name("lossboard"))
        return [lossboard, "serve", "--tracking-uri", self.backend_uri, "--port", str(self.port)]


class GunicornDashboard(ServerProcess):
    """`gunicorn dashboard.wsgi:server` with two workers, configured by the environment only."""

    def command(self) -> list[str]:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        return [gunicorn, "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
                "dashboard.wsgi:server"]

    def environment(self) -> dict[str, str]:
        return dict(os.environ) | {"MLFLOW_TRACKING_URI": self.backend_uri}
