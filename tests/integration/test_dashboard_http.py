"""The dashboard app over HTTP (Flask's test client, Dash's real callback endpoint)."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard import ids
from dashboard.app import create_app, redact
from dashboard.settings import DashboardSettings
from tests.helpers.mlflow_server import free_port
from tests.integration.conftest import DemoStore
from tracking.cache import CachedReader
from tracking.reader import open_reader

OUTPUTS = [(ids.LOSS_CURVES, "figure"), (ids.ACCURACY_CURVES, "figure"),
           (ids.TRADEOFF, "figure"), (ids.RECOMMENDATION, "children"),
           (ids.MESSAGE, "children")]


def client_for(uri: str) -> Any:
    app = create_app(DashboardSettings(uri), CachedReader(open_reader(uri)))
    return app.server.test_client()


def update(client: Any, experiment: object, objective: object, smoothing: object = 0,
           scale: object = ()) -> dict[str, Any]:
    payload = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in OUTPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in OUTPUTS],
        "inputs": [{"id": ids.EXPERIMENT, "property": "value", "value": experiment},
                   {"id": ids.OBJECTIVE, "property": "value", "value": objective},
                   {"id": ids.SMOOTHING, "property": "value", "value": smoothing},
                   {"id": ids.LOSS_SCALE, "property": "value", "value": list(scale)}],
        "changedPropIds": [f"{ids.EXPERIMENT}.value"],
    }
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.data[:500]
    return {i: body[p] for i, body in response.get_json()["response"].items()
            for p in body}


def test_health_and_page(demo_store: DemoStore) -> None:
    client = client_for(demo_store.uri)
    assert client.get("/health").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and b"Lossboard" in page.data
    layout = client.get("/_dash-layout").get_json()
    assert "lossboard-demo" in str(layout) and "lossboard-demo-imbalanced" in str(layout)


def test_demo_experiment_draws_every_run_and_recommends(demo_store: DemoStore) -> None:
    shown = update(client_for(demo_store.uri), "lossboard-demo", "loss")
    loss_lines = {trace["name"] for trace in shown[ids.LOSS_CURVES]["data"]} - {"divergence"}
    assert len(loss_lines) == 16  # 8 runs x (validation, train)
    assert "mlp-256-no-decay-long (val)" in loss_lines
    quadrants = {trace["name"] for trace in shown[ids.TRADEOFF]["data"]}
    assert {"high-accuracy/high-loss", "low-accuracy/low-loss", "Pareto front"} <= quadrants
    assert shown[ids.RECOMMENDATION].startswith("mlp-64-decay-0.3 has the lowest")
    assert shown[ids.MESSAGE] == ""


def test_smoothing_log_scale_and_divergence_marks(demo_store: DemoStore) -> None:
    client = client_for(demo_store.uri)
    plain_view = update(client, "lossboard-demo", "loss")
    smoothed = update(client, "lossboard-demo", "loss", 0.9, ["log"])
    loss = smoothed[ids.LOSS_CURVES]
    assert loss["layout"]["yaxis"]["type"] == "log"
    assert plain_view[ids.LOSS_CURVES]["layout"]["yaxis"]["type"] == "linear"
    marks = [t for t in loss["data"] if t["name"] == "divergence"]
    assert len(marks) == 1 and len(marks[0]["text"]) == 2  # the two unregularised runs
    assert sorted(marks[0]["text"]) == ["mlp-128x128-no-decay-long", "mlp-256-no-decay-long"]


@pytest.mark.parametrize(("experiment", "objective", "message"), [
    ("nope", "loss", "no active experiment named 'nope'"),
    ({"$where": "x"}, "loss", "That is not an experiment name."),
    ("lossboard-demo", "<script>", "The objective must be loss or accuracy."),
    (None, "loss", "Pick an experiment."),
])
def test_bad_input_gets_a_message_not_a_traceback(demo_store: DemoStore, experiment: object,
                                                  objective: object, message: str) -> None:
    shown = update(client_for(demo_store.uri), experiment, objective)
    assert message in shown[ids.MESSAGE]
    assert shown[ids.LOSS_CURVES]["data"] == []


@pytest.mark.parametrize("smoothing", [2, -1, "0.5", True, None])
def test_forged_smoothing_gets_a_message(demo_store: DemoStore, smoothing: object) -> None:
    shown = update(client_for(demo_store.uri), "lossboard-demo", "loss", smoothing)
    assert shown[ids.MESSAGE] == "Smoothing must be a number from 0 to 0.95."


def test_a_dead_tracking_server_is_a_message() -> None:
    client = client_for(f"http://127.0.0.1:{free_port()}")
    page = client.get("/_dash-layout")
    assert page.status_code == 200 and "connection refused" in str(page.get_json())
    shown = update(client, "anything", "loss")
    assert "connection refused (is the tracking server running?)" in shown[ids.MESSAGE]


def test_passwords_never_reach_the_page() -> None:
    assert redact("postgresql://reader:s3cret@db:5432/mlflow") == (
        "postgresql://reader:***@db:5432/mlflow")
    assert redact("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
