"""`dashboard.wsgi:server` for WSGI servers (gunicorn): the app is built on the first request,
from the environment read then, once per worker process; importing reads nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from tracking.reader import ReaderError, RunReader
from tracking.settings import SettingsError, without_password


def build_reader(settings: DashboardSettings) -> RunReader:
    """The settings' store, read the fastest way there is, behind a cache (shared by all the
    dashboard's processes through Redis when LOSSBOARD_REDIS_URL is set)."""
    from tracking.cache import CachedReader
    from tracking.open import open_reader

    reader = open_reader(settings.reads_from, artifacts_uri=settings.tracking_uri,
                         cache_dir=settings.cache_dir)
    if not settings.redis_url:
        return CachedReader(reader)
    from tracking.shared_cache import RedisHistoryCache

    try:
        shared = RedisHistoryCache(settings.redis_url, reader.uri)
    except ValueError as error:
        raise SettingsError(f"LOSSBOARD_REDIS_URL={without_password(settings.redis_url)!r} "
                            f"is not a Redis URL: {error}") from None
    return CachedReader(reader, shared)


def build_from_environment() -> Flask:
    """The dashboard as the environment describes it (see `lossboard serve`)."""
    settings = DashboardSettings.from_env()
    server: Flask = create_app(settings, build_reader(settings)).server
    return server


class LazyServer:
    """A WSGI callable that builds the real one when the first request arrives."""

    def __init__(self, build: Callable[[], Flask] = build_from_environment) -> None:
        self._build = build
        self._server: Flask | None = None
        self._lock = threading.Lock()
        self._problem = ""

    def build(self) -> Flask | None:
        """The real server, built now if it is not yet; None (and a retry at the next request)
        when the settings or the store are not usable."""
        if self._server is None:
            with self._lock:
                if self._server is None:
                    try:
                        self._server = self._build()
                    except (SettingsError, ReaderError) as error:
                        self._problem = str(error)
        return self._server

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        server = self.build()
        if server is None:  # say why; the next request tries again
            start_response("503 Service Unavailable",
                           [("Content-Type", "text/plain; charset=utf-8")])
            return [f"Lossboard cannot start: {self._problem}\n".encode()]
        answer: Iterable[bytes] = server(environ, start_response)
        return answer


# `gunicorn --config python:dashboard.gunicorn_config dashboard.wsgi:server`
server = LazyServer()
