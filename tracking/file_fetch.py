"""Fetching many small files from a tracking server, cheaply.

MLflow's `http_request` works out its request headers on every call, Databricks and Spark
detection included: about 4 ms of CPU a call, more than the server takes to send a history
file. `FileFetcher` keeps one `requests` session per thread instead, with the credentials,
TLS settings, timeout and retries MLflow's client would use (its `MLFLOW_HTTP_REQUEST_*`
variables, read at each request as MLflow does). Credentials it cannot reproduce (AWS SigV4,
auth plugins, Databricks) go through `http_request` as before.

Its connections also ask Linux to acknowledge each response at once (TCP_QUICKACK). A server
that leaves Nagle's algorithm on holds a response's body until its headers are acknowledged,
and the kernel delays that acknowledgement by 40 ms: `mlflow server` with more than one uvicorn
worker does this (its default is 4; uvicorn issue #3149), making every file after a
connection's first cost about 44 ms instead of 2-3 ms.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlparse

import requests
from mlflow.environment_variables import (
    MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR,
    MLFLOW_HTTP_REQUEST_MAX_RETRIES,
    MLFLOW_HTTP_REQUEST_TIMEOUT,
    _EnvironmentVariable,
)
from mlflow.utils.rest_utils import MlflowHostCreds, http_request
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ARTIFACTS_ENDPOINT = "/api/2.0/mlflow-artifacts/artifacts"


def _setting(variable: _EnvironmentVariable) -> int:
    """One of MLflow's HTTP settings, read now: `single_attempt` changes them at run time."""
    return int(variable.get())  # type: ignore[no-untyped-call]


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


class FileFetcher:
    """GETs of one tracking server's files, a `requests` session per thread."""

    def __init__(self, creds: MlflowHostCreds) -> None:
        self._creds = creds
        self._plain = not (creds.aws_sigv4 or creds.auth or creds.use_databricks_sdk)
        self._local = threading.local()

    def get(self, endpoint: str, max_bytes: int) -> bytes | None:
        """The file's bytes; None when the server answers other than 200 or it is larger than
        `max_bytes`. Raises `requests` or MLflow errors when the server cannot be reached."""
        response = self._request(endpoint)
        with response:
            if response.status_code != 200:
                return None
            data = bytearray()
            for chunk in response.iter_content(1 << 16):
                data += chunk
                if len(data) > max_bytes:
                    return None
        return bytes(data)

    def _request(self, endpoint: str) -> requests.Response:
        if not self._plain:
            return http_request(  # type: ignore[no-untyped-call,no-any-return]
                self._creds, endpoint, "GET", raise_on_status=False, stream=True)
        for attempt in range(_setting(MLFLOW_HTTP_REQUEST_MAX_RETRIES)):
            try:
                response = self._get(endpoint)
                if response.status_code not in RETRY_STATUSES:
                    return response
                response.close()
            except requests.exceptions.SSLError:
                raise  # a certificate that does not verify will not verify on a retry either
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(_setting(MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR) * 2 ** attempt)
        return self._get(endpoint)  # the last attempt: its answer, or its error

    def _get(self, endpoint: str) -> requests.Response:
        # TLS settings go with each request, as MLflow's do: on the session, requests lets
        # REQUESTS_CA_BUNDLE override a server certificate the user gave
        return self._session().get(self._creds.host + endpoint, stream=True,
                                   timeout=_setting(MLFLOW_HTTP_REQUEST_TIMEOUT),
                                   verify=self._creds.verify, cert=self._creds.client_cert_path)

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.mount("http://", QuickAckAdapter())
            session.mount("https://", QuickAckAdapter())
            creds = self._creds
            if creds.username and creds.password:
                session.auth = (creds.username, creds.password)
            elif creds.token:
                session.headers["Authorization"] = f"Bearer {creds.token}"
        return session
