"""Dashboard settings, read once from the environment by `lossboard serve` (or a WSGI factory)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tracking.settings import DEFAULT_TRACKING_URI, SettingsError


@dataclass(frozen=True)
class DashboardSettings:
    """MLFLOW_TRACKING_URI (the store: reviews and promotions are written there, and runs read
    from it unless LOSSBOARD_READ_URI names another way in, e.g. the same PostgreSQL database
    through a read-only role, for the SQL fast path), LOSSBOARD_HOST (default 127.0.0.1: this
    machine only), LOSSBOARD_PORT (default 8050), LOSSBOARD_REFRESH_SECONDS (how often a page
    with running runs fetches their new points; default 10), LOSSBOARD_REDIS_URL (a cache shared
    by all the dashboard's processes; default: each process keeps its own)."""

    tracking_uri: str = DEFAULT_TRACKING_URI
    host: str = "127.0.0.1"
    port: int = 8050
    refresh_seconds: float = 10.0
    read_uri: str | None = None
    redis_url: str | None = None

    @property
    def reads_from(self) -> str:
        return self.read_uri or self.tracking_uri

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DashboardSettings:
        env = os.environ if environ is None else environ
        port = env.get("LOSSBOARD_PORT") or "8050"
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"LOSSBOARD_PORT={port!r} is not a port number")
        refresh = env.get("LOSSBOARD_REFRESH_SECONDS") or "10"
        try:
            seconds = float(refresh)
        except ValueError:
            seconds = 0.0
        if not 1 <= seconds <= 3600:
            raise SettingsError(f"LOSSBOARD_REFRESH_SECONDS={refresh!r} is not a number of "
                                "seconds from 1 to 3600")
        return cls(env.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI,
                   env.get("LOSSBOARD_HOST") or "127.0.0.1", int(port), seconds,
                   env.get("LOSSBOARD_READ_URI") or None, env.get("LOSSBOARD_REDIS_URL") or None)
