"""Hardening, with or without sign-in: headers that forbid framing, sniffing and referrer leaks
on every response, and no writes from other sites (a page elsewhere posting to the dashboard
with the visitor's credentials)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": 80, "https": 443}


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


def refusal(dash_prefix: str) -> Response | None:
    """403 for a write from another site, 415 for a Dash call that is not JSON (a plain HTML
    form, which any site can submit, cannot send JSON)."""
    if request.method in SAFE_METHODS:
        return None
    problem = cross_site_problem(request.headers.get("Sec-Fetch-Site"),
                                 request.headers.get("Origin"), request.host)
    if problem:
        return Response(problem + "\n", 403, mimetype="text/plain")
    if request.path.startswith(dash_prefix) and request.mimetype != "application/json":
        return Response("Dash endpoints take application/json only.\n", 415,
                        mimetype="text/plain")
    return None


def add_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def install(server: Flask, dash_prefix: str = "/_dash-") -> None:
    """Refuse cross-site writes before any other hook runs (sign-in, Dash's), and add the
    headers to every response, refusals and errors included."""
    server.before_request_funcs.setdefault(None, []).insert(0, lambda: refusal(dash_prefix))
    server.after_request(add_headers)
