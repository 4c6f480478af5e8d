"""Tracking settings, read once from the environment by whoever builds the logger or reader."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


class SettingsError(ValueError):
    """An environment variable holds a value Lossboard cannot use."""


def without_password(url: str) -> str:
    """`url` with its password (if any) replaced by ***, fit to show, log or hash."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    user_info, at, host = netloc.rpartition("@")
    if not sep or not at or ":" not in user_info:
        return url
    return f"{scheme}://{user_info.split(':', 1)[0]}:***@{host}{slash}{path}"


def _positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be greater than 0")
    return value


def cache_dir_from(environ: Mapping[str, str]) -> Path:
    """LOSSBOARD_CACHE_DIR, else the user's cache folder ($XDG_CACHE_HOME or ~/.cache) /
    lossboard: where finished runs read from a tracking server are kept."""
    given = environ.get("LOSSBOARD_CACHE_DIR")
    if given:
        return Path(given).expanduser()
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or "~") / ".cache")
    return Path(base).expanduser() / "lossboard"


@dataclass(frozen=True)
class TrackingSettings:
    """Where runs are tracked and how patiently the logger talks to the store.

    Environment variables (all optional):
      MLFLOW_TRACKING_URI        tracking store; default sqlite:///mlflow.db (MLflow's own default)
      LOSSBOARD_REQUEST_TIMEOUT  seconds one request to a tracking server may take (default 10)
      LOSSBOARD_FLUSH_TIMEOUT    seconds a finishing run keeps retrying unsent data (default 60)
      LOSSBOARD_SEND_INTERVAL    seconds the logger gathers points into one write (default 0.5)
      LOSSBOARD_SPOOL_DIR        where unsendable data is saved (default ./lossboard-unsent)
      LOSSBOARD_CACHE_DIR        where finished runs read over http(s) are kept (default
                                 $XDG_CACHE_HOME/lossboard, else ~/.cache/lossboard)
    """

    tracking_uri: str = DEFAULT_TRACKING_URI
    request_timeout: float = 10.0
    flush_timeout: float = 60.0
    spool_dir: Path = Path("lossboard-unsent")
    send_interval: float = 0.5
    cache_dir: Path | None = None  # None: nothing kept on disk

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TrackingSettings:
        env = os.environ if environ is None else environ
        return cls(
            tracking_uri=env.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI,
            request_timeout=_positive_float(env, "LOSSBOARD_REQUEST_TIMEOUT", 10.0),
            flush_timeout=_positive_float(env, "LOSSBOARD_FLUSH_TIMEOUT", 60.0),
            spool_dir=Path(env.get("LOSSBOARD_SPOOL_DIR") or "lossboard-unsent"),
            send_interval=_positive_float(env, "LOSSBOARD_SEND_INTERVAL", 0.5),
            cache_dir=cache_dir_from(env),
        )
