"""`lossboard serve` behind gunicorn, in this process: a production server, not Flask's
development one (which warns so on every start and logs every request).

gunicorn's own `BaseApplication` is the documented way to embed it; one worker process with
threads, so the warm-up and the caches live where the requests are answered, and the app is
built in that worker (`load`), never before the fork. Request logs are off unless asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

THREADS = 8  # the page fires several callbacks at once; a slow read must not hold the rest
TIMEOUT_SECONDS = 120  # a first read of a very large experiment over REST may take a while
GRACEFUL_SECONDS = 5  # SIGTERM: requests in flight get this long (gunicorn's 30 s outlived
# `docker stop`'s 10 s and kept a plain stop waiting on idle keep-alive connections)


def bind_address(host: str, port: int) -> str:
    """gunicorn's `--bind`: an IPv6 literal in brackets."""
    return f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"


def options(host: str, port: int, access_log: bool) -> dict[str, Any]:
    return {"bind": bind_address(host, port), "workers": 1, "threads": THREADS,
            "worker_class": "gthread", "timeout": TIMEOUT_SECONDS,
            "graceful_timeout": GRACEFUL_SECONDS,
            "accesslog": "-" if access_log else None, "errorlog": "-", "loglevel": "warning",
            "proc_name": "lossboard"}


class ProductionServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn serving the app `build` makes (called once, in the worker)."""

    def __init__(self, build: Callable[[], Flask], settings: dict[str, Any]) -> None:
        self._build = build
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._build()


def serve(build: Callable[[], Flask], host: str, port: int, access_log: bool = False) -> None:
    """Serve until Ctrl-C or SIGTERM (gunicorn stops gracefully on both)."""
    ProductionServer(build, options(host, port, access_log)).run()
