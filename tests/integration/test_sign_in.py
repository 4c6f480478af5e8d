"""Sign-in, roles and hardening over HTTP: the real app on a real SQLite MLflow store, with
requests as a browser (or a forger) would send them."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from mlflow import MlflowClient

from dashboard import ids
from dashboard.app import create_app
from dashboard.auth import User, hash_password
from dashboard.cli import main
from dashboard.security import same_host
from dashboard.settings import DashboardSettings
from tests.helpers.dash_client import REVIEW_OUTPUTS, call, payload, press, review_request
from tests.helpers.models import log_run
from tracking import keys
from tracking.cache import CachedReader
from tracking.open import open_reader

CHALLENGE = 'Basic realm="Lossboard", charset="UTF-8"'
USERS = (User("ana", "reviewer", hash_password("ana-pw", 1000)),
         User("bob", "viewer", hash_password("bob-pw", 1000)))
ANA, BOB = ("ana", "ana-pw"), ("bob", "bob-pw")
HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}
CSP = ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'")
REFUSED = ("Signed in as bob (viewer): only reviewers can mark, clear or promote runs; "
           "nothing was written.")


@pytest.fixture
def store(sqlite_uri: str) -> dict[str, str]:
    """Experiment `reviewed` with two runs that logged no model."""
    return {"plain": log_run(sqlite_uri, "reviewed", "plain", with_model=False),
            "other": log_run(sqlite_uri, "reviewed", "other", with_model=False),
            "uri": sqlite_uri}


@pytest.fixture
def model_store(store: dict[str, str]) -> dict[str, str]:
    """`store` and a run `with-model` that logged one (slower: a few seconds)."""
    return store | {"with-model": log_run(store["uri"], "reviewed", "with-model", True)}


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


def client_for(uri: str, who: tuple[str, str] | None = None, sign_in: bool = True) -> Any:
    """A test client of the app (users ana and bob when `sign_in`), sending `who`'s credentials
    with every request."""
    settings = DashboardSettings(uri, users=USERS if sign_in else ())
    client = create_app(settings, CachedReader(open_reader(uri))).server.test_client()
    if who:
        client.environ_base["HTTP_AUTHORIZATION"] = basic(*who)
    return client


def review_payload(button: str, selected: list[str], reviewer: str = "ana") -> dict[str, Any]:
    """The review callback's request body with `button` pressed, as the browser builds it."""
    return payload(REVIEW_OUTPUTS, **review_request(button, selected, reviewer=reviewer))


def tags_of(uri: str, run_id: str) -> dict[str, str]:
    return {k: v for k, v in MlflowClient(uri).get_run(run_id).data.tags.items()
            if k.startswith(keys.REVIEW_PREFIX)}


def assert_hardened(response: Any) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    policy = response.headers.get("Content-Security-Policy", "")
    assert all(part in policy for part in CSP), policy


def test_without_credentials_only_health_answers(store: dict[str, str]) -> None:
    client = client_for(store["uri"])
    for path in ("/", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico", "/no-such-page"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == CHALLENGE
        assert b"reviewed" not in response.data
        assert_hardened(response)
    forged = client.post("/_dash-update-component",
                         json=review_payload(ids.CHOOSE, [store["plain"]]))
    assert forged.status_code == 401 and tags_of(store["uri"], store["plain"]) == {}
    health = client.get("/health")
    assert health.status_code == 200
    assert_hardened(health)


@pytest.mark.parametrize("header", [basic("ana", "bob-pw"), basic("mallory", "ana-pw"),
                                    basic("ana", ""), basic("", ""), "Basic !!not-base64",
                                    "Bearer ana-pw", basic("ana", "ana-pw")[:-4]])
def test_wrong_credentials_are_refused(store: dict[str, str], header: str) -> None:
    client = client_for(store["uri"])
    response = client.get("/_dash-layout", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def test_signed_in_page_says_who_and_fixes_the_reviewer(store: dict[str, str]) -> None:
    client = client_for(store["uri"], ANA)
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and "Signed in as ana (reviewer)" in layout.text
    assert_hardened(layout)
    assert props(layout.get_json(), ids.REVIEWER) | {"value": "ana", "disabled": True} == \
        props(layout.get_json(), ids.REVIEWER)  # the name signed in, not editable
    assert not props(layout.get_json(), ids.CHOOSE).get("disabled")
    viewer = client_for(store["uri"], BOB).get("/_dash-layout")
    assert props(viewer.get_json(), ids.SIGNED_IN)["children"] == "Signed in as bob (viewer)"
    assert all(props(viewer.get_json(), button)["disabled"]
               for button in (ids.CHOOSE, ids.CLEAR, ids.PROMOTE))
    assert not props(viewer.get_json(), ids.EXPORT_CSV).get("disabled")


def props(tree: Any, component_id: str) -> dict[str, Any]:
    """The properties of the component `component_id` in a serialised Dash layout."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return dict(tree["props"])
        tree = list(tree.values())
    for child in tree if isinstance(tree, list) else []:
        found = props(child, component_id)
        if found:
            return found
    return {}


def test_viewer_cannot_mark_clear_or_promote_even_by_forging(
        model_store: dict[str, str]) -> None:
    store = model_store
    uri, plain = store["uri"], store["plain"]
    assert press(client_for(uri, ANA), ids.CHOOSE, [plain]) == "Marked plain chosen."
    marked = tags_of(uri, plain)
    viewer = client_for(uri, BOB)
    assert press(viewer, ids.CHOOSE, [store["with-model"]], reviewer="bob") == REFUSED
    assert press(viewer, ids.CLEAR, [plain], reviewer="ana") == REFUSED
    assert press(viewer, ids.PROMOTE, [store["with-model"]]) == REFUSED
    assert tags_of(uri, store["with-model"]) == {}
    assert tags_of(uri, plain) == marked  # still ana's review
    assert MlflowClient(uri, registry_uri=uri).search_registered_models() == []


def test_viewer_may_export(store: dict[str, str]) -> None:
    client = client_for(store["uri"], BOB)
    output = next(d["output"] for d in client.get("/_dash-dependencies").get_json()
                  if ids.DOWNLOAD_CSV in d["output"])
    outputs = [(ids.DOWNLOAD_HTML, "data"), (ids.DOWNLOAD_CSV, "data"),
               (ids.REVIEW_MESSAGE, "children")]
    state = [(ids.EXPERIMENT, "value", "reviewed"), (ids.OBJECTIVE, "value", "loss"),
             (ids.SELECTION, "data", []), (ids.LOSS_KEY, "value", None),
             (ids.ACCURACY_KEY, "value", None), (ids.COMPARED, "value", [])]
    payload = {"output": output, "outputs": [{"id": i, "property": p} for i, p in outputs],
               "inputs": [{"id": ids.EXPORT_HTML, "property": "n_clicks", "value": None},
                          {"id": ids.EXPORT_CSV, "property": "n_clicks", "value": 1}],
               "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
               "changedPropIds": [f"{ids.EXPORT_CSV}.n_clicks"]}
    answer = client.post("/_dash-update-component", json=payload).get_json()["response"]
    assert answer[ids.REVIEW_MESSAGE]["children"] == "Exported as CSV."
    assert "plain" in answer[ids.DOWNLOAD_CSV]["data"]["content"]


def test_reviewer_is_recorded_as_the_signed_in_name(model_store: dict[str, str]) -> None:
    store = model_store
    uri = store["uri"]
    said = press(client_for(uri, ANA), ids.CHOOSE, [store["plain"]], reviewer="mallory")
    assert said == "Marked plain chosen."
    tags = tags_of(uri, store["plain"])
    assert tags[keys.TAG_REVIEW_REVIEWER] == "ana" and tags[keys.TAG_REVIEW_STATUS] == "chosen"
    said = press(client_for(uri, ANA), ids.PROMOTE, [store["with-model"]])
    assert said == "Registered model 'iris' version 1, alias 'champion'."


@pytest.mark.parametrize("sign_in", [True, False])
def test_cross_site_writes_and_form_posts_are_refused(store: dict[str, str],
                                                      sign_in: bool) -> None:
    uri, plain = store["uri"], store["plain"]
    client = client_for(uri, ANA if sign_in else None, sign_in=sign_in)
    payload = review_payload(ids.CHOOSE, [plain])
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Origin": "http://localhost:8051"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/_dash-update-component", json=payload, headers=headers)
        assert response.status_code == 403, headers
        assert response.text.startswith("Cross-site request refused")
        assert response.text.count("\n") == 1
        assert_hardened(response)
    form = client.post("/_dash-update-component", data={"output": "x"})
    plain_text = client.post("/_dash-update-component", data="{}", content_type="text/plain")
    assert form.status_code == plain_text.status_code == 415
    assert tags_of(uri, plain) == {}
    assert client.get("/", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200
    same_site = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    answer = client.post("/_dash-update-component", json=payload, headers=same_site)
    assert answer.status_code == 200 and tags_of(uri, plain)[keys.TAG_REVIEW_REVIEWER] == "ana"


def test_without_sign_in_nothing_changes_but_the_headers(store: dict[str, str]) -> None:
    client = client_for(store["uri"], sign_in=False)
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and "Signed in" not in layout.text
    assert_hardened(layout)
    assert_hardened(client.get("/health"))
    said = call(client, [(ids.REVIEW_MESSAGE, "children"), (ids.REVIEW_VERSION, "data")],
                *_inputs_and_state(review_payload(ids.CHOOSE, [store["plain"]], "carol")),
                changed=f"{ids.CHOOSE}.n_clicks")
    assert said[f"{ids.REVIEW_MESSAGE}.children"] == "Marked plain chosen."
    assert tags_of(store["uri"], store["plain"])[keys.TAG_REVIEW_REVIEWER] == "carol"


def _inputs_and_state(payload: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    return ([(i["id"], i["property"], i["value"]) for i in payload["inputs"]],
            [(s["id"], s["property"], s["value"]) for s in payload["state"]])


@pytest.mark.parametrize("argv", [["--host", "0.0.0.0"], ["--host", "::"], []])
def test_serve_refuses_the_network_without_sign_in(
        argv: list[str], sqlite_uri: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("LOSSBOARD_USERS", "LOSSBOARD_USERS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOSSBOARD_HOST", "192.168.10.20")  # what applies when --host is not given
    assert main(["serve", "--tracking-uri", sqlite_uri, *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: refusing to serve on ")
    assert "--allow-anonymous" in err and "LOSSBOARD_USERS" in err


def test_serve_names_a_bad_user_entry_without_its_hash(
        sqlite_uri: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    secret = USERS[0].password_hash
    monkeypatch.setenv("LOSSBOARD_USERS", f"ana:reviewer:{secret},bob:root:{secret}")
    assert main(["serve", "--tracking-uri", sqlite_uri, "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: LOSSBOARD_USERS entry 2 (user bob): the role must be viewer " \
                          "or reviewer"
    assert secret not in err


@pytest.mark.parametrize(("origin", "host", "same"), [
    ("https://lb.example.com", "lb.example.com", True),
    ("https://lb.example.com", "lb.example.com:443", True),
    ("http://LB:8050", "lb:8050", True),
    ("http://[::1]:8050", "[::1]:8050", True),
    ("http://lb:8050", "lb", False),
    ("https://lb.example.com", "lb.example.com:80", False),
    ("https://lb.example.com.evil.example", "lb.example.com", False),
    ("null", "lb", False), ("http://lb:99999", "lb:99999", False), ("http://lb", "evil@lb", False),
])
def test_origin_matches_host_by_host_and_port(origin: str, host: str, same: bool) -> None:
    assert same_host(origin, host) is same
