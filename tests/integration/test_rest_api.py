"""The REST reader speaks MLflow's REST API itself (no MLflow import): what it reads off a real
`mlflow server` is what MLflow's own client reads, credentials as MLflow finds them included."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mlflow import MlflowClient
from mlflow.tracking.request_auth import registry
from mlflow.utils.credentials import get_default_host_creds

from tests.helpers.mlflow_server import MlflowServer
from tests.helpers.stores import EXPERIMENT, write_awkward_experiment
from tests.integration.test_readers import assert_same
from tracking import rest_api
from tracking.client_reader import search_all_runs
from tracking.reader import StoreUnreachable
from tracking.rest_api import TrackingServer
from tracking.rest_reader import RestReader
from tracking.run_records import from_entity
from tracking.server_http import host_creds, retry_policy
from tracking.sql_reader import SqlReader


@pytest.fixture(scope="module")
def awkward_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    server = MlflowServer(tmp_path_factory.mktemp("rest-api"))
    server.start()
    write_awkward_experiment(server.uri)
    yield server
    server.stop()


def test_runs_from_the_servers_json_are_the_runs_mlflows_client_reads(
        awkward_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """NaN and infinite values, step 0, missing end times, odd names: protobuf's JSON leaves
    defaults out and spells some numbers as strings; the records must not differ."""
    monkeypatch.setattr(rest_api, "PAGE_SIZE", 2)  # paged both ways: runs and experiments
    server = TrackingServer(awkward_server.uri)
    experiment_id, name = server.find_experiment(EXPERIMENT)
    ours = list(server.search_runs(experiment_id, None, include_deleted=True))
    theirs = [from_entity(run) for run in search_all_runs(awkward_server.uri, experiment_id,
                                                          None, include_deleted=True)]
    assert len(ours) > 2 and sorted(map(repr, ours)) == sorted(map(repr, theirs))  # NaN == NaN
    client = MlflowClient(awkward_server.uri)
    assert server.experiment_names() == sorted(e.name for e in client.search_experiments())
    assert (server.find_experiment(experiment_id), name) == ((experiment_id, name), EXPERIMENT)


def test_credentials_are_found_where_mlflow_finds_them(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # MLflow's ~/.mlflow/credentials, and ours
    (tmp_path / ".mlflow").mkdir()
    (tmp_path / ".mlflow" / "credentials").write_text(
        "[mlflow]\nmlflow_tracking_username = ann\nmlflow_tracking_password = pw\n")
    cases = [{}, {"MLFLOW_TRACKING_USERNAME": "bob", "MLFLOW_TRACKING_PASSWORD": "secret"},
             {"MLFLOW_TRACKING_TOKEN": "t0k", "MLFLOW_TRACKING_INSECURE_TLS": "true"},
             {"MLFLOW_TRACKING_SERVER_CERT_PATH": "/ca.pem",
              "MLFLOW_TRACKING_CLIENT_CERT_PATH": "/me.pem"}]
    for env in cases:
        for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                     "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_INSECURE_TLS",
                     "MLFLOW_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_CLIENT_CERT_PATH"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ours, theirs = host_creds("http://h:5000"), get_default_host_creds("http://h:5000")
        assert (ours.username, ours.password, ours.token, ours.verify, ours.client_cert) == (
            theirs.username, theirs.password, theirs.token, theirs.verify,
            theirs.client_cert_path), env
        assert not ours.mlflow_only


def test_retries_follow_mlflows_variables_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (retry_policy().total, retry_policy().backoff_factor) == (7, 2.0)  # MLflow's defaults
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    assert (retry_policy().total, retry_policy().backoff_factor) == (1, 0.0)


class _CountingAuth(requests.auth.AuthBase):
    used = 0

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        _CountingAuth.used += 1
        request.headers["X-Signed"] = "yes"
        return request


class _Plugin:
    def get_name(self) -> str:
        return "lossboard-test-auth"

    def get_auth(self) -> requests.auth.AuthBase:
        return _CountingAuth()


def test_an_auth_plugin_signs_every_request_through_mlflow(
        awkward_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials only MLflow can apply (MLFLOW_TRACKING_AUTH plugins, AWS SigV4) are never
    dropped: those requests go through MLflow's own `http_request`."""
    monkeypatch.setattr(registry._request_auth_provider_registry, "_registry",
                        [*registry._request_auth_provider_registry, _Plugin()])
    monkeypatch.setenv("MLFLOW_TRACKING_AUTH", "lossboard-test-auth")
    assert host_creds(awkward_server.uri).mlflow_only
    _CountingAuth.used = 0
    reader = RestReader(awkward_server.uri, history_files=False)
    assert_same(reader.read(EXPERIMENT), SqlReader(awkward_server.backend_uri).read(EXPERIMENT))
    assert _CountingAuth.used >= 3  # the experiment, the search, the histories


def test_a_refusal_is_one_line_with_the_servers_reason(awkward_server: MlflowServer) -> None:
    server = TrackingServer(awkward_server.uri)
    with pytest.raises(StoreUnreachable) as caught:
        server.call("GET", f"{rest_api.API}/runs/get", params={"run_id": "nope"})
    message = str(caught.value)
    assert message.startswith(f"cannot read {awkward_server.uri}: HTTP 404 "
                              "RESOURCE_DOES_NOT_EXIST: ") and "\n" not in message


def test_reading_over_rest_never_imports_mlflow(awkward_server: MlflowServer) -> None:
    """`import mlflow` alone costs more than a cached second `lossboard compare` over REST."""
    script = ("import sys; from tracking.open import open_reader; "
              f"data = open_reader({awkward_server.uri!r}).read({EXPERIMENT!r}); "
              "assert len(data.runs) and len(data.history); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mlflow'))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2]).stdout
    assert out.strip() == "[]"
