"""Hardening, with or without sign-in: headers that forbid framing, sniffing and referrer leaks
on every response, a Host allowlist against DNS rebinding (a page on attacker.example whose
name is re-pointed at this machine), no writes from other sites (a page elsewhere posting to
the dashboard with the visitor's credentials), and Dash bodies that are JSON a parser can take.

The allowlist is our own few lines rather than MLflow's (`mlflow.server.security_utils`): only
`tracking` imports MLflow, and its patterns are the same fnmatch kind."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest

HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", "[::]", ""})
MAX_JSON_DEPTH = 64  # Dash's own bodies nest about 10 deep


def default_allowed_hosts(bound_host: str) -> tuple[str, ...]:
    """The loopback names and the address served on; on every interface, this machine's name."""
    bound = socket.gethostname() if bound_host in WILDCARD_ADDRESSES else bound_host
    return tuple(dict.fromkeys([*LOOPBACK_NAMES, bound.lower()]))


def host_part(host: str) -> str:
    """`host` without its port: "[::1]:8050" -> "[::1]", "example.org:80" -> "example.org"."""
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Whether a Host header is one the dashboard answers to. Patterns are fnmatch's `*` (as
    in MLflow's --allowed-hosts; "*" allows all) and match with or without the port. An IP
    address is always allowed: DNS rebinding needs a name the attacker controls."""
    host = host.strip().lower()
    name = host_part(host)
    if not name or any(c in host for c in "/@\\ "):
        return False
    patterns = [p.strip().lower().replace("[", "[[]") for p in allowed]
    return is_ip_literal(name) or any(fnmatchcase(host, p) or fnmatchcase(name, p)
                                      for p in patterns)


def too_deep(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests lists and objects more than `limit` levels (walked without
    recursion, so no body can exhaust the stack of the code that reads it next)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node \
            if isinstance(node, list) else ()
        if children and depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def json_problem() -> str | None:
    """Why this request's body is refused as a Dash call (not JSON, or nested deeper than any
    Dash call), or None. Flask keeps the parsed body, so Dash does not parse it again."""
    try:
        body = request.get_json()
    except RecursionError:  # the C parser's own limit, ~1000 levels
        return f"Request body nested deeper than {MAX_JSON_DEPTH} levels."
    except BadRequest:
        return "Request body is not JSON."
    if too_deep(body):
        return f"Request body nested deeper than {MAX_JSON_DEPTH} levels."
    return None


def same_host(origin: str, host: str) -> bool:
    """Whether an `Origin` header names the host:port the request was sent to (its `Host`); a
    Host without a port is taken to be on the origin scheme's default port."""
    try:
        source, target = urlsplit(origin), urlsplit(f"//{host}")
        port = source.port or DEFAULT_PORTS.get(source.scheme)
        return port is not None and "@" not in host and source.hostname is not None \
            and (source.hostname, port) == (target.hostname,
                                             target.port or DEFAULT_PORTS[source.scheme])
    except ValueError:  # a port that is not a number, a malformed IPv6 address
        return False


def cross_site_problem(fetch_site: str | None, origin: str | None, host: str) -> str | None:
    """Why a write request comes from another site, or None when it does not."""
    if fetch_site == "cross-site":
        return "Cross-site request refused (Sec-Fetch-Site: cross-site)."
    if origin is not None and not same_host(origin, host):
        return (f"Cross-site request refused: Origin {origin[:200]} is not {host[:200]} (a "
                "proxy in front must pass the browser's Host header on).")
    return None


def refusal(dash_prefix: str, allowed_hosts: Sequence[str]) -> Response | None:
    """403 for a Host not on the allowlist or a write from another site, 415 for a Dash call
    that is not JSON (a plain HTML form, which any site can submit, cannot send JSON), 400 for
    one whose JSON is malformed or too deep."""
    if not host_allowed(request.host, allowed_hosts):
        return plain(f"Host {request.host[:200]!r} refused: the dashboard answers to "
                     f"{', '.join(allowed_hosts)} (DNS-rebinding protection). Add the name "
                     "users reach it by to LOSSBOARD_ALLOWED_HOSTS.", 403)
    if request.method in SAFE_METHODS:
        return None
    problem = cross_site_problem(request.headers.get("Sec-Fetch-Site"),
                                 request.headers.get("Origin"), request.host)
    if problem:
        return plain(problem, 403)
    if not request.path.startswith(dash_prefix):
        return None
    if request.mimetype != "application/json":
        return plain("Dash endpoints take application/json only.", 415)
    if problem := json_problem():
        return plain(problem, 400)
    return None


def plain(message: str, status: int) -> Response:
    return Response(message + "\n", status, mimetype="text/plain")


def add_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def install(server: Flask, allowed_hosts: Sequence[str], dash_prefix: str = "/_dash-") -> None:
    """Refuse other hosts, cross-site writes and bad Dash bodies before any other hook runs
    (sign-in, Dash's), and add the headers to every response, refusals and errors included."""
    hosts = tuple(allowed_hosts)
    server.before_request_funcs.setdefault(None, []).insert(
        0, lambda: refusal(dash_prefix, hosts))
    server.after_request(add_headers)
