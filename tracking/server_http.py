"""Talking to a tracking server without loading MLflow.

`import mlflow` takes about 1.2 s, more than a second `lossboard compare` over REST spends on
anything else, so the REST reader speaks MLflow's REST API itself. `ServerSession` makes the
requests MLflow's client would: the credentials of `host_creds` (MLflow's variables and its
`~/.mlflow/credentials` file), TLS settings, and the timeout and retries of its
`MLFLOW_HTTP_REQUEST_*` variables, read at each request as MLflow does (urllib3's `Retry`,
not retrying a certificate that does not verify). Credentials it cannot reproduce (AWS SigV4,
auth plugins) go through MLflow's own `http_request`.

It keeps one `requests` session per thread, whose connections also ask Linux to acknowledge each
response at once (TCP_QUICKACK). A server that leaves Nagle's algorithm on holds a response's
body until its headers are acknowledged, and the kernel delays that acknowledgement by 40 ms:
`mlflow server` with more than one uvicorn worker does this (its default is 4; uvicorn issue
#3149), making every file after a connection's first cost about 44 ms instead of 2-3 ms.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ARTIFACTS_ENDPOINT = "/api/2.0/mlflow-artifacts/artifacts"
# MLflow's defaults for its MLFLOW_HTTP_REQUEST_* variables (mlflow.environment_variables)
HTTP_DEFAULTS = {"MAX_RETRIES": "7", "BACKOFF_FACTOR": "2", "BACKOFF_JITTER": "1.0",
                 "TIMEOUT": "120"}


@dataclass(frozen=True)
class HostCreds:
    """How to reach one tracking server, as MLflow's `get_default_host_creds` finds it."""

    host: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    verify: bool | str = True  # False, or a CA bundle's path
    client_cert: str | None = None
    mlflow_only: bool = False  # AWS SigV4 or an auth plugin: only MLflow's client can sign


def host_creds(uri: str, environ: Mapping[str, str] | None = None,
               credentials_file: Path | None = None) -> HostCreds:
    """MLflow's MLFLOW_TRACKING_* variables, the username and password also from
    `~/.mlflow/credentials` (its [mlflow] section) as MLflow reads them."""
    env = os.environ if environ is None else environ
    file = _credentials_file(credentials_file or Path.home() / ".mlflow" / "credentials")
    insecure = env.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() in ("true", "1")
    return HostCreds(
        uri.rstrip("/"),
        env.get("MLFLOW_TRACKING_USERNAME") or file.get("mlflow_tracking_username"),
        env.get("MLFLOW_TRACKING_PASSWORD") or file.get("mlflow_tracking_password"),
        env.get("MLFLOW_TRACKING_TOKEN"),
        env.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or not insecure,
        env.get("MLFLOW_TRACKING_CLIENT_CERT_PATH"),
        bool(env.get("MLFLOW_TRACKING_AUTH"))
        or env.get("MLFLOW_TRACKING_AWS_SIGV4", "").lower() in ("true", "1"))


def _credentials_file(path: Path) -> dict[str, str]:
    config = configparser.ConfigParser()
    with contextlib.suppress(OSError, configparser.Error):
        config.read(path)
    return dict(config["mlflow"]) if "mlflow" in config else {}


def http_setting(name: str) -> float:
    """One of MLflow's MLFLOW_HTTP_REQUEST_* settings, read now: `single_attempt` changes them
    at run time."""
    return float(os.environ.get(f"MLFLOW_HTTP_REQUEST_{name}") or HTTP_DEFAULTS[name])


def proxied_artifact_endpoint(artifact_uri: str | None, artifact: str) -> str | None:
    """Where this server serves a run's `artifact`, given the run's artifact root; None when
    the root is not proxied by this server (not `mlflow-artifacts:`, or another host's)."""
    root = urlparse(artifact_uri or "")
    if root.scheme != "mlflow-artifacts" or root.netloc:
        return None
    return f"{ARTIFACTS_ENDPOINT}/{root.path.strip('/')}/{artifact}"


def acknowledge_at_once(sock: socket.socket | None) -> None:
    """Switch `sock` to quick-ack mode until the kernel leaves it again (Linux only)."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if sock is not None and quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


class _AcknowledgeAtOnce:
    sock: socket.socket | None

    def getresponse(self) -> HTTPResponse:
        acknowledge_at_once(self.sock)  # the request is sent: the next segment is its answer
        return super().getresponse()  # type: ignore[misc,no-any-return]


class _QuickAckHTTPConnection(_AcknowledgeAtOnce, HTTPConnection):  # type: ignore[misc]
    pass


class _QuickAckHTTPSConnection(_AcknowledgeAtOnce, HTTPSConnection):  # type: ignore[misc]
    pass


class _QuickAckHTTPPool(HTTPConnectionPool):
    ConnectionCls = _QuickAckHTTPConnection


class _QuickAckHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _QuickAckHTTPSConnection


class QuickAckAdapter(HTTPAdapter):
    """`requests` adapter whose direct connections acknowledge each response at once
    (connections through a proxy are left as they are)."""

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = {"http": _QuickAckHTTPPool,
                                                   "https": _QuickAckHTTPSPool}


def retry_policy() -> Retry:
    """MLflow's retries as its variables say now: connection failures and 429/5xx answers, any
    method (reads only here), with back-off; never a certificate or protocol error (`other`)."""
    return Retry(total=int(http_setting("MAX_RETRIES")), other=0,
                 backoff_factor=http_setting("BACKOFF_FACTOR"),
                 backoff_jitter=http_setting("BACKOFF_JITTER"),
                 status_forcelist=RETRY_STATUSES, allowed_methods=None, raise_on_status=False)


class ServerSession:
    """Requests to one tracking server, a `requests` session per thread and retry policy."""

    def __init__(self, creds: HostCreds) -> None:
        self.creds = creds
        self._local = threading.local()

    def request(self, method: str, endpoint: str, **kwargs: Any) -> requests.Response:
        """The server's answer, whatever its status; raises `requests` errors (or MLflow's,
        for MLflow-only credentials) when the server cannot be reached."""
        if self.creds.mlflow_only:
            return _mlflow_request(self.creds.host, method, endpoint, **kwargs)
        return self._session().request(
            method, self.creds.host + endpoint, timeout=http_setting("TIMEOUT"),
            # TLS settings go with each request, as MLflow's do: on the session, requests lets
            # REQUESTS_CA_BUNDLE override a server certificate the user gave
            verify=self.creds.verify, cert=self.creds.client_cert, **kwargs)

    def get_file(self, endpoint: str, max_bytes: int) -> bytes | None:
        """The file's bytes; None when the server answers other than 200 or it is larger than
        `max_bytes`."""
        with self.request("GET", endpoint, stream=True) as response:
            if response.status_code != 200:
                return None
            data = bytearray()
            for chunk in response.iter_content(1 << 16):
                data += chunk
                if len(data) > max_bytes:
                    return None
        return bytes(data)

    def _session(self) -> requests.Session:
        policy = retry_policy()
        wanted = (policy.total, policy.backoff_factor, policy.backoff_jitter)
        sessions: dict[tuple[Any, ...], requests.Session] = self._local.__dict__.setdefault(
            "sessions", {})
        if wanted not in sessions:
            session = sessions[wanted] = requests.Session()
            session.mount("http://", QuickAckAdapter(max_retries=policy))
            session.mount("https://", QuickAckAdapter(max_retries=policy))
            if self.creds.username and self.creds.password:
                session.auth = (self.creds.username, self.creds.password)
            elif self.creds.token:
                session.headers["Authorization"] = f"Bearer {self.creds.token}"
        return sessions[wanted]


def _mlflow_request(host: str, method: str, endpoint: str, **kwargs: Any) -> requests.Response:
    """Through MLflow's client, which signs what `ServerSession` cannot."""
    from mlflow.utils.credentials import get_default_host_creds
    from mlflow.utils.rest_utils import http_request

    return http_request(get_default_host_creds(host), endpoint, method,  # type: ignore[no-untyped-call,no-any-return]
                        raise_on_status=False, **kwargs)
