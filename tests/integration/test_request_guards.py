"""A real `lossboard serve` (anonymous, as demo.sh starts it) against DNS rebinding and bodies
no Dash call sends: requests on the wire with the Host and Origin an attacker's page gets."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient

from dashboard import ids
from dashboard.security import host_allowed
from tests.helpers.dash_client import REVIEW_OUTPUTS, payload, review_request
from tests.helpers.mlflow_server import DashboardServer
from tests.helpers.models import log_run
from tracking import keys


class Dashboard(DashboardServer):
    def __init__(self, root: Path, backend_uri: str, allowed: str | None) -> None:
        super().__init__(root, backend_uri=backend_uri)
        self.allowed = allowed

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "LOSSBOARD_ALLOWED_HOSTS"}
        return env | ({"LOSSBOARD_ALLOWED_HOSTS": self.allowed} if self.allowed else {})


@pytest.fixture(params=[None, "lb.example.org,*.team.example"], ids=["default", "listed"])
def served(request: pytest.FixtureRequest, sqlite_uri: str, tmp_path: Path
           ) -> Iterator[tuple[Dashboard, str]]:
    run_id = log_run(sqlite_uri, "reviewed", "plain", with_model=False)
    server = Dashboard(tmp_path, sqlite_uri, request.param)
    server.start()
    yield server, run_id
    server.stop()


def send(server: Dashboard, method: str, path: str, host: str, body: bytes | None = None,
         origin: str | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Host": host, "Content-Type": "application/json"}
    connection.request(method, path, body, headers | ({"Origin": origin} if origin else {}))
    answer = connection.getresponse()
    return answer.status, answer.read().decode(errors="replace")


def mark(run_id: str) -> bytes:
    return json.dumps(payload(REVIEW_OUTPUTS, **review_request(ids.CHOOSE, [run_id]))).encode()


def review_tags(uri: str, run_id: str) -> dict[str, str]:
    return {k: v for k, v in MlflowClient(uri).get_run(run_id).data.tags.items()
            if k.startswith(keys.REVIEW_PREFIX)}


def test_a_rebound_name_is_refused_and_writes_nothing(served: tuple[Dashboard, str]) -> None:
    server, run_id = served
    evil = f"attacker.example:{server.port}"
    status, text = send(server, "POST", "/_dash-update-component", evil, mark(run_id),
                        origin=f"http://{evil}")
    assert status == 403 and "DNS-rebinding" in text and "LOSSBOARD_ALLOWED_HOSTS" in text
    assert send(server, "GET", "/", evil)[0] == 403
    assert send(server, "GET", "/_dash-layout", evil)[0] == 403
    assert review_tags(server.backend_uri, run_id) == {}


def test_the_allowed_names_and_ip_addresses_are_served(served: tuple[Dashboard, str]) -> None:
    server, run_id = served
    names = ["localhost", "127.0.0.1"] if server.allowed is None else \
        ["lb.example.org", "ci.team.example"]
    for name in [*names, "127.0.0.1", "[::1]", "10.1.2.3"]:
        assert send(server, "GET", "/_dash-layout", f"{name}:{server.port}")[0] == 200, name
    if server.allowed:
        assert send(server, "GET", "/", f"localhost:{server.port}")[0] == 403
    host = f"{names[0]}:{server.port}"
    status, _ = send(server, "POST", "/_dash-update-component", host, mark(run_id),
                     origin=f"http://{host}")
    assert status == 200
    assert review_tags(server.backend_uri, run_id)[keys.TAG_REVIEW_STATUS] == "chosen"


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000,
                                  b'{"output": ' + b"[" * 70 + b"]" * 70 + b"}",
                                  b'{"output": "x", ', b"\xff\xfe not json"],
                         ids=["100k-deep", "70-deep", "truncated", "binary"])
def test_bodies_no_dash_call_sends_get_400_and_no_traceback(
    served: tuple[Dashboard, str], body: bytes
) -> None:
    server, _ = served
    status, text = send(server, "POST", "/_dash-update-component",
                        f"127.0.0.1:{server.port}", body)
    assert status == 400, text[:300]
    assert text.count("\n") == 1 and "Traceback" not in text
    assert "Traceback" not in server.log_tail(400) and "RecursionError" not in server.log_tail(400)
    assert send(server, "GET", "/health", f"127.0.0.1:{server.port}")[0] == 200


@pytest.mark.parametrize(("host", "allowed", "expected"), [
    ("localhost:8050", ("localhost",), True),
    ("LocalHost", ("localhost",), True),
    ("lb.example.org:443", ("lb.example.org:443",), True),
    ("lb.example.org:80", ("lb.example.org:443",), False),
    ("a.team.example", ("*.team.example",), True),
    ("team.example.evil.example", ("*.team.example",), False),
    ("[::1]:8050", ("[::1]",), True),
    ("192.168.0.7:8050", (), True),
    ("anything.example", ("*",), True),
    ("attacker.example", ("localhost", "127.0.0.1"), False),
    ("localhost@attacker.example", ("localhost*",), False),
    ("", ("*",), False),
])
def test_host_patterns(host: str, allowed: tuple[str, ...], expected: bool) -> None:
    assert host_allowed(host, allowed) is expected
