"""The dashboard app over HTTP (Flask's test client, Dash's real callback endpoint)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import numpy as np
import pytest

from dashboard import ids
from dashboard.app import create_app, redact
from dashboard.cli import main
from dashboard.settings import DashboardSettings
from tests.helpers.dash_client import SHOW_OUTPUTS, SHOW_STATE, by_id, call, payload, show_inputs
from tests.helpers.demo import DemoStore
from tests.helpers.mlflow_server import MlflowServer, free_port
from tests.helpers.stores import EXPERIMENT, write_awkward_experiment
from tracking.cache import CachedReader
from tracking.open import open_reader


def client_for(uri: str) -> Any:
    app = create_app(DashboardSettings(uri), CachedReader(open_reader(uri)))
    return app.server.test_client()


def update(client: Any, experiment: object, objective: object, smoothing: object = 0,
           scale: object = (), selected: object = (), loss_key: object = None,
           accuracy_key: object = None) -> dict[str, Any]:
    """What the `show` callback answers, through Dash's real endpoint."""
    shown = call(client, SHOW_OUTPUTS, show_inputs(experiment, objective, smoothing, scale,
                                                   selected, loss_key, accuracy_key), SHOW_STATE)
    return {i: shown[f"{i}.{p}"] for i, p in reversed(SHOW_OUTPUTS)
            if f"{i}.{p}" in shown} | shown


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
    assert len(loss_lines) == 48  # 8 configurations x 3 seeds x (validation, train)
    assert "mlp-256-no-decay-long-seed0 (val)" in loss_lines
    quadrants = {trace.get("name") for trace in shown[ids.TRADEOFF]["data"]}
    assert {"overconfident: high accuracy, high loss", "hedging: low accuracy, low loss",
            "Pareto front"} <= quadrants
    # the demo's seeds form groups: the page answers for the configuration, with its seed noise
    verdict = by_id(shown[ids.VERDICT])
    assert verdict["verdict-loss"].startswith("If you care about loss mlp-64-decay-0.3 "
                                              "mlp-64-decay-0.3 (3 seeds) has the lowest")
    assert verdict["verdict-loss"].endswith("(3 vs 3 seeds, Welch p = 4.7e-05): beyond seed "
                                            "noise.")
    assert shown[ids.MESSAGE] == ""
    rows = shown[f"{ids.RUNS_TABLE}.rowData"]
    assert len(rows) == 24 and {"params.hidden_layers", "params.weight_decay"} <= set(rows[0])
    notes = str(shown[ids.CALIBRATION_NOTES])
    assert "mlp-256-no-decay-long-seed0: ECE" in notes and "after temperature scaling" in notes
    assert shown[ids.REFRESH] is True  # nothing running: no live refresh


def test_the_verdict_names_the_pair_at_odds_and_why(demo_store: DemoStore,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The page's verdict against `lossboard compare`'s JSON: both objectives pick one group,
    so the strongest disagreeing groups are shown with their confident mistakes (means over
    their seeds, counted from the logged predictions), and the export carries the same words."""
    client = client_for(demo_store.uri)
    shown = update(client, "lossboard-demo", "accuracy")
    verdict = by_id(shown[ids.VERDICT])
    assert main(["compare", "--tracking-uri", demo_store.uri, "--experiment", "lossboard-demo",
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    groups = {g["group"]: g for g in report["groups"]}
    high, low = (groups[report["group_versus"][0][side]] for side in ("a", "b"))
    why = verdict["verdict-why"]
    assert why.startswith(f"Both objectives pick mlp-64-decay-0.3. The strongest disagreement: "
                          f"{high['name']} (accuracy {high['final_accuracy_mean']:.4f}, loss "
                          f"{high['final_loss_mean']:.4f}), overconfident, against {low['name']}")
    runs = {r["run_id"]: r for r in report["runs"]}
    mistakes = [float(np.mean([runs[r]["confident_mistakes"] for r in g["runs"]]))
                for g in (high, low)]
    assert (f"on {mistakes[0]:.3g} of 171 validation samples (means over 3 seeds), "
            f"{low['name']} on {mistakes[1]:.3g}") in why
    assert "Temperature scaling" in why
    assert "within seed noise" in verdict["verdict-accuracy"]
    # the scatter joins the same two (their first seeds: the runs the calibration panel shows)
    joined, = (t for t in shown[ids.TRADEOFF]["data"] if t.get("name", "").startswith("disagree"))
    ends = {(runs[r]["final_loss"], runs[r]["final_accuracy"]) for r in (high["runs"][0],
                                                                          low["runs"][0])}
    assert set(zip(joined["x"], joined["y"], strict=True)) - {(None, None)} == ends
    assert html.escape(why.split(". ")[0]) in export_html(client, "lossboard-demo")


def test_the_imbalanced_experiment_is_weighed_against_its_majority_baseline(
        demo_store: DemoStore) -> None:
    """About 90% of digits are not an 8: an accuracy of 0.92 is two points above saying "no"
    every time, and the page says so beside the pick and shows the lift column."""
    shown = update(client_for(demo_store.uri), "lossboard-demo-imbalanced", "accuracy")
    rows = shown[f"{ids.RUNS_TABLE}.rowData"]
    baseline = rows[0]["final_accuracy"] - rows[0]["lift"]
    pick = by_id(shown[ids.VERDICT])["verdict-accuracy"]
    assert re.search(r"That is 0\.0[0-9]{3} above always answering the majority class "
                     rf"\({baseline:.4f}\), avoiding [1-4][0-9]% of its mistakes\.", pick), pick
    lift = next(c for c in shown[f"{ids.RUNS_TABLE}.columnDefs"] if c.get("field") == "lift")
    assert lift["hide"] is False
    assert all(0 < row["lift"] <= 0.05 for row in rows), rows  # each a little above


def test_selection_and_key_override_reach_every_panel(demo_store: DemoStore) -> None:
    client = client_for(demo_store.uri)
    rows = update(client, "lossboard-demo", "loss")[f"{ids.RUNS_TABLE}.rowData"]
    over = [r for r in rows if r["quadrant"] == "high-accuracy/high-loss"][0]
    shown = update(client, "lossboard-demo", "loss", selected=[over["run_id"]])
    bold = {t["legendgroup"] for t in shown[ids.LOSS_CURVES]["data"]
            if t.get("line", {}).get("width") == 4}
    assert bold == {over["run_id"]}
    assert over["run_name"] in str(shown[ids.CALIBRATION_NOTES])
    by_train = update(client, "lossboard-demo", "loss", loss_key="train_loss")
    assert by_train[f"{ids.RUNS_TABLE}.rowData"][0]["final_loss"] != rows[0]["final_loss"]
    assert "train_loss" in by_train[f"{ids.LOSS_KEY}.options"]


def test_smoothing_log_scale_and_divergence_marks(demo_store: DemoStore) -> None:
    client = client_for(demo_store.uri)
    plain_view = update(client, "lossboard-demo", "loss")
    smoothed = update(client, "lossboard-demo", "loss", 0.9, ["log"])
    loss = smoothed[ids.LOSS_CURVES]
    assert loss["layout"]["yaxis"]["type"] == "log"
    assert plain_view[ids.LOSS_CURVES]["layout"]["yaxis"]["type"] == "linear"
    marks = [t for t in loss["data"] if t["name"] == "divergence"]
    assert len(marks) == 1  # the two unregularised configurations, each of their seeds
    assert sorted(marks[0]["text"]) == sorted(f"{config}-seed{s}" for s in (0, 1, 2) for config
                                              in ("mlp-128x128-no-decay-long",
                                                  "mlp-256-no-decay-long"))


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


def test_the_page_recovers_by_itself_when_the_server_is_back(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    server = MlflowServer(tmp_path_factory.mktemp("late-server"))  # not started yet
    page = client_for(server.uri)
    down = update(page, EXPERIMENT, "loss")
    assert "connection refused" in down[ids.MESSAGE] and "Trying again" in down[ids.MESSAGE]
    assert down[ids.REFRESH] is False  # the refresh keeps ticking while the store is away
    server.start()
    try:
        write_awkward_experiment(server.uri)
        up = update(page, EXPERIMENT, "loss")  # what the next tick asks for
        assert up[ids.MESSAGE].startswith("1 RUNNING run(s) logged nothing for over 30 min")
        assert len(up[f"{ids.RUNS_TABLE}.rowData"]) == 6
        assert up[ids.REFRESH] is True  # recovered; its one RUNNING run is stalled, not live
    finally:
        server.stop()


def test_passwords_never_reach_the_page() -> None:
    assert redact("postgresql://reader:s3cret@db:5432/mlflow") == (
        "postgresql://reader:***@db:5432/mlflow")
    assert redact("sqlite:///mlflow.db") == "sqlite:///mlflow.db"


def test_running_runs_turn_live_refresh_on_and_new_points_arrive(sqlite_uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(sqlite_uri)
    experiment = client.create_experiment("live")
    run = client.create_run(experiment, run_name="training").info.run_id
    client.log_metric(run, "val_loss", 0.9, step=1)
    client.log_metric(run, "val_accuracy", 0.5, step=1)
    page = client_for(sqlite_uri)
    first = update(page, "live", "loss")
    assert first[ids.REFRESH] is False  # a RUNNING run: the page keeps polling
    assert first[f"{ids.RUNS_TABLE}.rowData"][0]["epochs"] == 1
    client.log_metric(run, "val_loss", 0.7, step=2)
    client.log_metric(run, "val_accuracy", 0.6, step=2)
    second = update(page, "live", "loss")  # what the next interval tick asks for
    assert second[f"{ids.RUNS_TABLE}.rowData"][0]["epochs"] == 2
    client.set_terminated(run)
    assert update(page, "live", "loss")[ids.REFRESH] is True


def test_a_store_without_experiments_says_so(sqlite_uri: str) -> None:
    shown = update(client_for(sqlite_uri), "Default", "loss")
    assert shown[ids.MESSAGE] == "Experiment 'Default' has no runs yet."


def test_new_experiments_reach_an_open_page(sqlite_uri: str) -> None:
    from mlflow import MlflowClient

    client = client_for(sqlite_uri)
    options = [(ids.EXPERIMENT, "options"), (ids.COMPARED, "options")]
    tick = [(ids.EXPERIMENT_LIST_REFRESH, "n_intervals", 1)]
    assert call(client, options, tick)[f"{ids.EXPERIMENT}.options"] == ["Default"]
    MlflowClient(sqlite_uri).create_experiment("made later")
    answer = call(client, options, tick)
    assert answer[f"{ids.EXPERIMENT}.options"] == ["Default", "made later"]
    assert answer[f"{ids.COMPARED}.options"] == ["Default", "made later"]  # both pickers


def test_the_experiment_list_stays_while_the_store_is_down() -> None:
    dead = create_app(DashboardSettings("http://127.0.0.1:9"),
                      CachedReader(open_reader("http://127.0.0.1:9"))).server.test_client()
    tick = [(ids.EXPERIMENT_LIST_REFRESH, "n_intervals", 1)]
    assert call(dead, [(ids.EXPERIMENT, "options"), (ids.COMPARED, "options")],
                tick) == {}  # no update: both lists kept


class BrokenReader:
    """A reader with a bug: a fault that cannot be produced with a real store."""

    uri = "sqlite:///broken.db"

    def experiment_names(self) -> list[str]:
        return ["x"]

    def read(self, experiment: str, **_: object) -> object:
        raise RuntimeError("boom")


def test_an_unexpected_error_is_a_message_not_a_blank_page() -> None:
    app = create_app(DashboardSettings("sqlite:///broken.db"), BrokenReader())  # type: ignore[arg-type]
    shown = update(app.server.test_client(), "x", "loss")
    assert shown[ids.MESSAGE].startswith("Lossboard could not draw this view (RuntimeError: boom)")


def test_a_very_large_experiment_says_what_it_costs(demo_store: DemoStore,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dashboard.page_notes.LARGE_EXPERIMENT_RUNS", 24)  # the demo's 24 runs
    shown = update(client_for(demo_store.uri), "lossboard-demo", "loss")
    assert shown[ids.MESSAGE].startswith("24 runs: every one is drawn")
    assert len(shown[f"{ids.RUNS_TABLE}.rowData"]) == 24  # still all there


def export_html(client: Any, experiment: str) -> str:
    """The HTML review export, asked for as the page's Export button does."""
    output = next(d["output"] for d in client.get("/_dash-dependencies").get_json()
                  if ids.DOWNLOAD_HTML in d["output"])
    outputs = [(ids.DOWNLOAD_HTML, "data"), (ids.DOWNLOAD_CSV, "data"),
               (ids.REVIEW_MESSAGE, "children")]
    state = [(ids.EXPERIMENT, "value", experiment), (ids.OBJECTIVE, "value", "loss"),
             (ids.SELECTION, "data", []), (ids.LOSS_KEY, "value", None),
             (ids.ACCURACY_KEY, "value", None), (ids.COMPARED, "value", [])]
    request = payload(outputs, [(ids.EXPORT_HTML, "n_clicks", 1),
                                (ids.EXPORT_CSV, "n_clicks", None)], state)
    answer = client.post("/_dash-update-component", json=request | {"output": output})
    return str(answer.get_json()["response"][ids.DOWNLOAD_HTML]["data"]["content"])


def rows_after(page: str, heading: str) -> list[list[str]]:
    """The cells of the first table after `heading` in an exported page."""
    table = page.split(heading, 1)[1].split("</table>", 1)[0]
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    return [row for row in rows if row]  # the header row holds <th> cells


def test_the_html_export_carries_groups_verdicts_and_evidence(
        demo_store: DemoStore, capsys: pytest.CaptureFixture[str]) -> None:
    """What `lossboard compare` finds, in the file a review hands on: the seed groups, the
    verdict lines with their noise and each run's uncertainty and confident mistakes."""
    page = export_html(client_for(demo_store.uri), "lossboard-demo")
    assert main(["compare", "--tracking-uri", demo_store.uri, "--experiment", "lossboard-demo",
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "<h2>Is the difference real?</h2>" in page
    groups = {row[0]: row for row in rows_after(page, "over seeds)</h3>")}  # by name, no id
    assert sorted(groups) == sorted(g["name"] for g in report["groups"])
    assert groups["mlp-64-decay-0.3"][1:3] == ["3", "0.0939 ± 0.0009"]
    assert html.escape("Across groups, if you care about loss: mlp-64-decay-0.3 (3 seeds)") in page
    assert "Welch p = " in page and "McNemar p = " in page
    evidence = {row[0]: row for row in rows_after(page, "confident mistakes per run</h3>")}
    for run in report["runs"]:
        row = evidence[run["run_name"]]
        assert row[1] == "171" and row[3] == "-".join(f"{v:.3f}" for v in run["accuracy_ci"])
        assert row[6] == str(run["confident_mistakes"])
        share = run["confident_mistake_loss_share"]
        assert row[7] == ("" if share is None else f"{share:.4f}")
        assert row[9] == next(g["name"] for g in report["groups"] if run["run_id"] in g["runs"])


def test_two_experiments_compared_together(demo_store: DemoStore) -> None:
    """Both demo experiments at once: every run drawn and listed with its experiment, one
    front and one pair of medians over the union, and a link naming an unknown one says so."""
    client = client_for(demo_store.uri)
    shown = call(client, SHOW_OUTPUTS, show_inputs(
        "lossboard-demo", compared=["lossboard-demo-imbalanced"]), SHOW_STATE)
    rows = shown[f"{ids.RUNS_TABLE}.rowData"]
    assert len(rows) == 30 and {r["experiment"] for r in rows} == {
        "lossboard-demo", "lossboard-demo-imbalanced"}
    columns = {c.get("field"): c for c in shown[f"{ids.RUNS_TABLE}.columnDefs"]}
    assert not columns["experiment"].get("hide")
    points = [p for t in shown[f"{ids.TRADEOFF}.figure"]["data"] if t.get("customdata")
              for p in t["customdata"]]
    assert len(points) == 30
    hover = " ".join(text for t in shown[f"{ids.TRADEOFF}.figure"]["data"]
                     for text in t.get("hovertext") or [])
    assert "experiment=lossboard-demo-imbalanced" in hover
    # class balances 0.626 and 0.904: no one baseline line misjudges both, and the page says so
    assert not shown[f"{ids.TRADEOFF}.figure"]["layout"]["shapes"][2:]  # the medians alone
    assert shown[f"{ids.MESSAGE}.children"].startswith(
        "These runs' majority-class baselines differ (0.626 to 0.904), so no one baseline is "
        "drawn")
    alone = call(client, SHOW_OUTPUTS, show_inputs("lossboard-demo"), SHOW_STATE)
    assert (alone[f"{ids.LOSS_KEY}.placeholder"], alone[f"{ids.ACCURACY_KEY}.placeholder"]) == (
        "val_loss (found)", "val_accuracy (found)")  # which keys were read, not "automatically"
    single = {c.get("field"): c for c in alone[f"{ids.RUNS_TABLE}.columnDefs"]}
    assert single["experiment"].get("hide") and "experiment" not in alone[
        f"{ids.RUNS_TABLE}.rowData"][0]
