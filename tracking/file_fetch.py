"""Fetching many small files from a tracking server, cheaply.

MLflow's `http_request` works out its request headers on every call, Databricks and Spark
detection included: about 4 ms of CPU a call, more than the server takes to send a history
file. `FileFetcher` keeps one `requests` session per thread instead, with the credentials,
TLS settings, timeout and retries MLflow's client would use (its `MLFLOW_HTTP_REQUEST_*`
variables, read at each request as MLflow does). Credentials it cannot reproduce (AWS SigV4,
auth plugins, Databricks) go through `http_request` as before.
"""

from __future__ import annotations

import threading
import time

import requests
from mlflow.environment_variables import (
    MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR,
    MLFLOW_HTTP_REQUEST_MAX_RETRIES,
    MLFLOW_HTTP_REQUEST_TIMEOUT,
    _EnvironmentVariable,
)
from mlflow.utils.rest_utils import MlflowHostCreds, http_request

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _setting(variable: _EnvironmentVariable) -> int:
    """One of MLflow's HTTP settings, read now: `single_attempt` changes them at run time."""
    return int(variable.get())  # type: ignore[no-untyped-call]


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
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(_setting(MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR) * 2 ** attempt)
        return self._get(endpoint)  # the last attempt: its answer, or its error

    def _get(self, endpoint: str) -> requests.Response:
        return self._session().get(self._creds.host + endpoint, stream=True,
                                   timeout=_setting(MLFLOW_HTTP_REQUEST_TIMEOUT))

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            creds = self._creds
            if creds.username and creds.password:
                session.auth = (creds.username, creds.password)
            elif creds.token:
                session.headers["Authorization"] = f"Bearer {creds.token}"
            session.verify = creds.server_cert_path or not creds.ignore_tls_verification
            session.cert = creds.client_cert_path
        return session
