"""Dashboard settings, read once from the environment by `lossboard serve` (or a WSGI factory)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from analysis.frames import STALLED_AFTER_SECONDS
from dashboard.auth import User, parse_users
from dashboard.security import default_allowed_hosts
from tracking.settings import DEFAULT_TRACKING_URI, SettingsError, cache_dir_from


@dataclass(frozen=True)
class DashboardSettings:
    """MLFLOW_TRACKING_URI (the store: reviews and promotions are written there, and runs read
    from it unless LOSSBOARD_READ_URI names another way in, e.g. the same PostgreSQL database
    through a read-only role, for the SQL fast path), LOSSBOARD_HOST (default 127.0.0.1: this
    machine only), LOSSBOARD_PORT (default 8050), LOSSBOARD_REFRESH_SECONDS (how often a page
    with running runs fetches their new points; default 10), LOSSBOARD_STALLED_SECONDS (a
    RUNNING run that logged nothing for this long is shown as stalled, not live, and stops the
    refresh; default 1800), LOSSBOARD_REDIS_URL (a cache shared
    by all the dashboard's processes; default: each process keeps its own), LOSSBOARD_USERS
    (`name:role:hash` entries separated by commas; role viewer or reviewer; hash from `lossboard
    hash-password`) and LOSSBOARD_USERS_FILE (a file of such entries, one a line, `#` comments:
    for Docker secrets): sign-in is on when either names a user; LOSSBOARD_WARM_UP (default 1:
    read and analyse the experiment the page opens on as soon as the server starts; 0: on first
    request); LOSSBOARD_ALLOWED_HOSTS (the Host names the page answers to, against DNS
    rebinding: comma-separated, `*` wildcards; default the loopback names and LOSSBOARD_HOST,
    or this machine's name when serving on every interface; IP addresses always answer);
    LOSSBOARD_WEBGL (default 0: the faint lines of unselected runs are one SVG path;
    1: one WebGL trace, for teams whose browsers have a GPU: without one, Chromium draws it
    ~30x slower, see scripts/bench_dashboard.py); LOSSBOARD_CACHE_DIR (where finished runs read
    from a tracking server are kept between starts; default ~/.cache/lossboard)."""

    tracking_uri: str = DEFAULT_TRACKING_URI
    host: str = "127.0.0.1"
    port: int = 8050
    refresh_seconds: float = 10.0
    read_uri: str | None = None
    redis_url: str | None = None
    users: tuple[User, ...] = ()
    warm_up: bool = False
    webgl: bool = False
    cache_dir: Path | None = None  # finished runs read over http(s), kept for the next start
    allowed_hosts: tuple[str, ...] = ()  # Host header patterns; () = default_allowed_hosts
    stalled_seconds: float = STALLED_AFTER_SECONDS

    @property
    def host_allowlist(self) -> tuple[str, ...]:
        return self.allowed_hosts or default_allowed_hosts(self.host)

    @property
    def reads_from(self) -> str:
        return self.read_uri or self.tracking_uri

    @property
    def sign_in(self) -> bool:
        return bool(self.users)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DashboardSettings:
        env = os.environ if environ is None else environ
        port = env.get("LOSSBOARD_PORT") or "8050"
        if not is_port(port):
            raise SettingsError(f"LOSSBOARD_PORT={port!r} is not a port number")
        seconds = _seconds(env, "LOSSBOARD_REFRESH_SECONDS", 10, 1, 3600)
        return cls(env.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI,
                   env.get("LOSSBOARD_HOST") or "127.0.0.1", int(port), seconds,
                   env.get("LOSSBOARD_READ_URI") or None, env.get("LOSSBOARD_REDIS_URL") or None,
                   users_from(env), _flag(env, "LOSSBOARD_WARM_UP", default=True),
                   _flag(env, "LOSSBOARD_WEBGL", default=False), cache_dir_from(env),
                   allowed_hosts_from(env),
                   _seconds(env, "LOSSBOARD_STALLED_SECONDS", STALLED_AFTER_SECONDS, 1,
                            30 * 86400))


def _seconds(env: Mapping[str, str], name: str, default: float, low: float,
             high: float) -> float:
    text = env.get(name) or f"{default:g}"
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not low <= seconds <= high:
        raise SettingsError(f"{name}={text!r} is not a number of seconds from {low:g} to "
                            f"{high:g}")
    return seconds


def allowed_hosts_from(env: Mapping[str, str]) -> tuple[str, ...]:
    """LOSSBOARD_ALLOWED_HOSTS: comma-separated Host patterns (`*` wildcards, `*` alone for
    any); unset or empty: the defaults."""
    listed = [h.strip() for h in (env.get("LOSSBOARD_ALLOWED_HOSTS") or "").split(",")]
    return tuple(h for h in listed if h)


def is_port(text: str) -> bool:
    """Whether `text` is a TCP port number, 1 to 65535."""
    return text.isdigit() and 0 < int(text) < 65536


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = (env.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise SettingsError(f"{name}={value!r} is not 1 or 0")
    return value in ("1", "true", "yes", "on")


def users_from(env: Mapping[str, str]) -> tuple[User, ...]:
    """LOSSBOARD_USERS and LOSSBOARD_USERS_FILE's users; errors name the entry or line, never
    the hash."""
    listed = (env.get("LOSSBOARD_USERS") or "").strip()
    entries = [(entry, f"LOSSBOARD_USERS entry {number}")
               for number, entry in enumerate(listed.split(","), 1) if entry.strip()]
    path = env.get("LOSSBOARD_USERS_FILE") or ""
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise SettingsError(f"LOSSBOARD_USERS_FILE={path!r} cannot be read ({reason})"
                                ) from None
        entries += [(line, f"LOSSBOARD_USERS_FILE line {number}")
                    for number, line in enumerate(lines, 1)
                    if line.strip() and not line.strip().startswith("#")]
    if (listed or path) and not entries:
        raise SettingsError("LOSSBOARD_USERS / LOSSBOARD_USERS_FILE is set but names no user")
    return parse_users(entries)
