"""Sign-in: users from the environment, PBKDF2 password hashes, HTTP Basic auth on every route.

A hash reads `pbkdf2_sha256:<iterations>:<salt hex>:<digest hex>`: no `$`, `,` or space, so it
is safe inside an environment variable or a docker-compose `.env` file. Basic auth sends the
password with every request; each successful check is remembered in this process (under an HMAC
with a per-process random key, never the password) so that PBKDF2 runs once per user, not per
request."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Flask, Response, g, has_app_context, request

from tracking.settings import SettingsError

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000
ROLES = ("viewer", "reviewer")
CHALLENGE = 'Basic realm="Lossboard", charset="UTF-8"'
NAME = re.compile(r"[^\s:,#]{1,100}")
HASH = re.compile(ALGORITHM + r":([1-9][0-9]{0,8}):((?:[0-9a-f]{2}){8,64}):((?:[0-9a-f]{2}){32})")


@dataclass(frozen=True)
class User:
    """A user who may sign in; `role` is `viewer` (look, export) or `reviewer` (also write)."""

    name: str
    role: str
    password_hash: str = field(repr=False)

    @property
    def may_review(self) -> bool:
        return self.role == "reviewer"


def hash_password(password: str, iterations: int = DEFAULT_ITERATIONS,
                  salt: bytes | None = None) -> str:
    """The hash `LOSSBOARD_USERS` expects for `password` (what `lossboard hash-password` prints)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{ALGORITHM}:{iterations}:{salt.hex()}:{digest.hex()}"


def check_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded`; False, not an error, for a malformed hash."""
    found = HASH.fullmatch(encoded)
    if not found:
        return False
    iterations, salt, digest = int(found[1]), bytes.fromhex(found[2]), bytes.fromhex(found[3])
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(candidate, digest)


def parse_user(entry: str, where: str) -> User:
    """One `name:role:hash` entry; errors say `where` it is and never repeat the entry."""
    parts = entry.strip().split(":", 2)
    name, role, encoded = parts if len(parts) == 3 else ("", "", "")
    if not NAME.fullmatch(name):
        raise SettingsError(f"{where}: expected name:role:hash, with a name of 1 to 100 "
                            "characters without spaces, ':', ',' or '#'")
    if role not in ROLES:
        raise SettingsError(f"{where} (user {name}): the role must be viewer or reviewer")
    if not HASH.fullmatch(encoded):
        raise SettingsError(f"{where} (user {name}): the password hash is not "
                            f"{ALGORITHM}:<iterations>:<salt hex>:<digest hex> (make one with "
                            "`lossboard hash-password`)")
    return User(name, role, encoded)


def parse_users(entries: Iterable[tuple[str, str]]) -> tuple[User, ...]:
    """Users from (entry, where) pairs; a name given twice is an error."""
    users: dict[str, User] = {}
    for entry, where in entries:
        user = parse_user(entry, where)
        if user.name in users:
            raise SettingsError(f"{where}: user {user.name} is already defined")
        users[user.name] = user
    return tuple(users.values())


class Accounts:
    """Checks credentials against `users`, remembering successes for this process's life."""

    def __init__(self, users: Iterable[User]) -> None:
        self._users = {user.name: user for user in users}
        self._key = secrets.token_bytes(32)
        self._verified: set[bytes] = set()
        self._lock = threading.Lock()
        some = next(iter(self._users.values()), None)
        # an unknown name costs as much as a wrong password: names cannot be probed by timing
        self._decoy = some.password_hash if some else hash_password("", 1)

    def authenticate(self, name: str, password: str) -> User | None:
        user = self._users.get(name)
        token = hmac.new(self._key, f"{name}:{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            if user and token in self._verified:
                return user
        matches = check_password(password, user.password_hash if user else self._decoy)
        if user is None or not matches:
            return None
        with self._lock:
            self._verified.add(token)
        return user


def current_user() -> User | None:
    """Who signed in for this request; None when sign-in is off (or outside a request)."""
    user = g.get("lossboard_user") if has_app_context() else None
    return user if isinstance(user, User) else None


def challenge() -> Response:
    return Response("Sign in to see Lossboard.\n", 401, {"WWW-Authenticate": CHALLENGE},
                    mimetype="text/plain")


def install(server: Flask, users: Iterable[User], open_paths: Iterable[str]) -> None:
    """Require Basic auth on every path of `server` but `open_paths` (the health check)."""
    accounts, exempt = Accounts(users), frozenset(open_paths)

    def sign_in() -> Response | None:
        if request.path in exempt:
            return None
        given = request.authorization
        user = accounts.authenticate(given.username or "", given.password or "") \
            if given and given.type == "basic" else None
        if user is None:
            return challenge()
        g.lossboard_user = user
        return None

    # ahead of Dash's own hook: a refused request reaches nothing (its first-request setup reads)
    server.before_request_funcs.setdefault(None, []).insert(0, sign_in)
