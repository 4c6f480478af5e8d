"""`lossboard compare` on the real demo store: the JSON contract and the exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient
from scipy import stats

from analysis import frames as f
from analysis.report import RUN_FIELDS
from analysis.tradeoff import QUADRANTS
from dashboard.cli import main
from tests.helpers.demo import DemoStore
from tests.helpers.mlflow_server import free_port
from tracking import keys
from training.sweep import REGIMES


def compare_json(store: DemoStore, capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["compare", "--tracking-uri", store.uri, "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_contract_on_the_demo(demo_store: DemoStore,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    report = compare_json(demo_store, capsys, "--experiment", "lossboard-demo")
    assert set(report) == {"experiment", "objective", "runs", "recommended", "disagreements",
                           "versus", "groups", "recommended_groups", "group_versus"}
    assert report["experiment"] == "lossboard-demo" and report["objective"] == "loss"
    assert len(report["runs"]) == 24  # 8 configurations x 3 seeds
    runs = {r["run_name"]: r for r in report["runs"]}
    for run in runs.values():
        assert list(run) == RUN_FIELDS
        assert run["loss_key"] == "val_loss" and run["accuracy_key"] == "val_accuracy"
        assert run["accuracy_derived_from"] is None and run["status"] == "FINISHED"
        assert run["ece"] is not None and 0 <= run["ece"] <= 1
        assert run["baseline_accuracy"] == pytest.approx(0.6257, abs=1e-4)
    assert {r["quadrant"] for r in runs.values()} == set(QUADRANTS)
    overconfident = runs["mlp-128x128-no-decay-long-seed0"]
    assert overconfident["quadrant"] == "high-accuracy/high-loss"
    assert overconfident["divergence_epoch"] is not None and overconfident["epochs"] == 150
    # temperature scaling takes away most of an overconfident run's excess loss
    assert overconfident["calibrated_loss"] < overconfident["final_loss"] / 2
    pairs = {tuple(p) for p in report["disagreements"]}
    assert (overconfident["run_id"], runs["mlp-16-decay-4-seed0"]["run_id"]) in pairs


def test_the_demo_configurations_are_seed_groups_in_their_intended_quadrants(
        demo_store: DemoStore, capsys: pytest.CaptureFixture[str]) -> None:
    """Each configuration's three seeds form a group named after it; the groups land where
    the sweep meant them to, and the best group is picked for both objectives."""
    report = compare_json(demo_store, capsys, "--experiment", "lossboard-demo")
    names = {r["run_id"]: r["run_name"] for r in report["runs"]}
    groups = {g["name"]: g for g in report["groups"]}
    assert sorted(groups) == sorted(c.name for c in REGIMES)
    intended = {"dominant": "high-accuracy/low-loss", "overconfident": "high-accuracy/high-loss",
                "hedging": "low-accuracy/low-loss", "dominated": "low-accuracy/high-loss"}
    for config in REGIMES:
        group = groups[config.name]
        assert group["n"] == 3 and set(group["params"]) == {
            "hidden_layers", "weight_decay", "learning_rate", "epochs", "batch_size",
            "optimizer"}
        assert sorted(names[r] for r in group["runs"]) == [
            f"{config.name}-seed{s}" for s in (0, 1, 2)]
        assert group["quadrant"] == intended[config.intent], config.name
    best = groups["mlp-64-decay-0.3"]["group"]
    assert report["recommended_groups"] == {"loss": best, "accuracy": best}
    assert groups["mlp-64-decay-0.3"]["pareto"]


def test_group_verdicts_match_welch_tests_on_what_mlflow_holds(
        demo_store: DemoStore, capsys: pytest.CaptureFixture[str]) -> None:
    """Group means, spreads and Welch p-values, computed again from the runs' final metrics as
    MLflow's own client reports them."""
    report = compare_json(demo_store, capsys, "--experiment", "lossboard-demo")
    client = MlflowClient(demo_store.uri)
    experiment = client.get_experiment_by_name("lossboard-demo")
    assert experiment is not None
    final = {r.info.run_id: r.data.metrics for r in client.search_runs(
        [experiment.experiment_id])}
    groups = {g["group"]: g for g in report["groups"]}
    for group in groups.values():
        losses = [final[r]["val_loss"] for r in group["runs"]]
        assert group["final_loss_mean"] == pytest.approx(np.mean(losses))
        assert group["final_loss_std"] == pytest.approx(np.std(losses, ddof=1))
    assert report["group_versus"], "the overconfident and hedging groups disagree"
    for result in report["group_versus"]:
        a, b = groups[result["a"]], groups[result["b"]]
        assert (a["quadrant"], b["quadrant"]) == ("high-accuracy/high-loss",
                                                  "low-accuracy/low-loss")
        for metric, key in (("loss", "val_loss"), ("accuracy", "val_accuracy")):
            xs, ys = ([final[r][key] for r in g["runs"]] for g in (a, b))
            assert result[f"{metric}_diff"] == pytest.approx(np.mean(xs) - np.mean(ys))
            if np.ptp(xs) == 0 and np.ptp(ys) == 0:
                assert result[f"{metric}_p"] is None  # no spread over seeds to test against
            else:
                assert result[f"{metric}_p"] == pytest.approx(
                    stats.ttest_ind(xs, ys, equal_var=False).pvalue)
        assert result["loss_p"] < 0.05  # the overconfident groups' loss is not seed noise


def test_uncertainty_and_confident_mistakes_match_the_logged_predictions(
        demo_store: DemoStore, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Each run's n_val, Wilson interval, loss standard error and confident mistakes, computed
    again here from its val_predictions.npz with numpy and statsmodels."""
    from statsmodels.stats.proportion import proportion_confint

    report = compare_json(demo_store, capsys, "--experiment", "lossboard-demo")
    client = MlflowClient(demo_store.uri)
    for run in report["runs"]:
        path = client.download_artifacts(run["run_id"], keys.PREDICTIONS_ARTIFACT,
                                         str(tmp_path / run["run_id"]))
        with np.load(path) as saved:
            proba, labels = saved["proba"].astype(np.float64), saved["labels"]
        right = proba.argmax(axis=1) == labels
        loss = -np.log(np.maximum(proba[np.arange(len(labels)), labels], 1e-15))
        confident = ~right & (proba.max(axis=1) >= 0.9)
        assert run["n_val"] == len(labels) == 171
        assert run["accuracy_ci"] == pytest.approx(
            list(proportion_confint(right.sum(), len(labels), alpha=0.05, method="wilson")))
        assert run["loss_se"] == pytest.approx(loss.std(ddof=1) / np.sqrt(len(labels)))
        assert run["confident_mistakes"] == confident.sum()
        assert run["confident_mistake_loss_share"] == pytest.approx(
            loss[confident].sum() / loss.sum())
        assert run["loss_if_hedged"] == pytest.approx(np.where(confident, np.log(2), loss).mean())
    runs = {r["run_name"]: r for r in report["runs"]}
    for seed in (0, 1, 2):  # why the overconfident runs' loss is high; the hedging runs' is not
        assert runs[f"mlp-128x128-no-decay-long-seed{seed}"]["confident_mistakes"] >= 3
        assert runs[f"mlp-16-decay-4-seed{seed}"]["confident_mistakes"] == 0


def test_paired_tests_match_an_independent_computation_and_name_the_noise(
        demo_store: DemoStore, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    report = compare_json(demo_store, capsys, "--experiment", "lossboard-demo", "--versus",
                          "mlp-2-short-seed0", "mlp-8-slow-seed0")
    ids = {r["run_name"]: r["run_id"] for r in report["runs"]}
    client = MlflowClient(demo_store.uri)

    def logged(run_id: str) -> tuple[np.ndarray, np.ndarray]:
        path = client.download_artifacts(run_id, keys.PREDICTIONS_ARTIFACT,
                                         str(tmp_path / run_id))
        with np.load(path) as saved:
            return saved["proba"].astype(np.float64), saved["labels"]

    pairs = {(v["a"], v["b"]): v for v in report["versus"]}
    assert (ids["mlp-2-short-seed0"], ids["mlp-8-slow-seed0"]) in pairs
    assert all(tuple(p) in pairs for p in report["disagreements"])
    for (a, b), result in pairs.items():
        (pa, y), (pb, _) = logged(a), logged(b)
        right_a, right_b = pa.argmax(axis=1) == y, pb.argmax(axis=1) == y
        table = [[np.sum(right_a & right_b), np.sum(right_a & ~right_b)],
                 [np.sum(~right_a & right_b), np.sum(~right_a & ~right_b)]]
        loss = [-np.log(np.maximum(p[np.arange(len(y)), y], 1e-15)) for p in (pa, pb)]
        assert result["n"] == len(y)
        assert result["accuracy_diff"] == pytest.approx(right_a.mean() - right_b.mean())
        assert result["mcnemar_p"] == pytest.approx(mcnemar(table, exact=True).pvalue)
        assert result["loss_diff"] == pytest.approx(np.mean(loss[0] - loss[1]))
        low, high = result["loss_diff_ci"]
        assert low <= result["loss_diff"] <= high
    table = compare_cli_table(demo_store, capsys)
    [accuracy_line] = [line for line in table.splitlines()
                       if line.startswith("Among single runs, if you care about accuracy:")]
    assert re.search(r"the accuracy gap over mlp-64-decay-0\.3-seed\d is 1 of 171 samples, "
                     r"p = 1: indistinguishable on this validation set\.$", accuracy_line)


def compare_cli_table(store: DemoStore, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["compare", "--tracking-uri", store.uri, "--experiment", "lossboard-demo"]) == 0
    return capsys.readouterr().out


def test_versus_names_an_unknown_run(demo_store: DemoStore,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--tracking-uri", demo_store.uri, "--experiment",
                 "lossboard-demo", "--versus", "mlp-2-short-seed0", "no-such-run"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --versus: no run named 'no-such-run' in 'lossboard-demo'\n"


def test_objective_accuracy_and_the_imbalanced_baseline(
        demo_store: DemoStore, capsys: pytest.CaptureFixture[str]) -> None:
    report = compare_json(demo_store, capsys, "--experiment", "lossboard-demo-imbalanced",
                          "--objective", "accuracy")
    assert report["objective"] == "accuracy"
    runs = {r["run_name"]: r for r in report["runs"]}
    groups = {g["name"]: g["group"] for g in report["groups"]}
    assert report["recommended_groups"]["accuracy"] == groups["mlp-8-short"]
    for run in runs.values():
        assert 0 < run["final_accuracy"] - run["baseline_accuracy"] <= 0.05


@pytest.mark.parametrize("form", ["table", "csv"])
def test_table_and_csv(demo_store: DemoStore, capsys: pytest.CaptureFixture[str],
                       form: str) -> None:
    assert main(["compare", "--tracking-uri", demo_store.uri, "--experiment",
                 "lossboard-demo", "--format", form]) == 0
    out = capsys.readouterr().out
    assert "mlp-256-no-decay-long" in out and "high-accuracy/high-loss" in out
    if form == "table":
        assert "Across groups, if you care about loss: mlp-64-decay-0.3 (3 seeds) has the " \
               "lowest" in out
        assert re.search(r"^Among single runs, if you care about loss: mlp-64-decay-0\.3-seed\d "
                         "has the lowest", out, re.MULTILINE)
        # the disagreeing configurations are judged as groups, their 36 run pairs in the JSON
        assert "mlp-256-no-decay-long vs mlp-16-decay-4 over 3 vs 3 seeds:" in out
        assert "mlp-256-no-decay-long-seed0 vs mlp-16-decay-4-seed0" not in out
    else:
        at = RUN_FIELDS.index(f.FINAL_ACCURACY) + 1
        header = [*RUN_FIELDS[:at], "accuracy_ci_low", "accuracy_ci_high", *RUN_FIELDS[at:]]
        header.remove(f.ACCURACY_CI)
        assert out.splitlines()[0] == ",".join(header)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", "compare", *args],
                          capture_output=True, text=True, timeout=300)


def test_unknown_experiment_exits_2_with_one_line(demo_store: DemoStore) -> None:
    result = run_cli("--tracking-uri", demo_store.uri, "--experiment", "nope")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"error: no active experiment named 'nope' in {demo_store.uri}"]


def test_unreachable_server_exits_2_without_a_traceback() -> None:
    result = run_cli("--tracking-uri", f"http://127.0.0.1:{free_port()}", "--experiment", "x")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: cannot reach http://127.0.0.1:")
    assert line.endswith("connection refused (is the tracking server running?)")


def test_no_loss_or_accuracy_series_exits_2(sqlite_uri: str, tmp_path: Path) -> None:
    client = MlflowClient(sqlite_uri)
    run = client.create_run(client.create_experiment("lr-only"))
    client.log_metric(run.info.run_id, "lr", 0.1)
    result = run_cli("--tracking-uri", sqlite_uri, "--experiment", "lr-only")
    assert result.returncode == 2
    assert "has both a validation loss and an accuracy series" in result.stderr


def test_a_bad_filter_is_one_line_and_exit_code_2(demo_store: DemoStore,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", "--tracking-uri", demo_store.uri, "--experiment", "lossboard-demo",
                 "--filter", "params.hidden_layers =="])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert "invalid filter 'params.hidden_layers =='" in err


def test_a_key_no_run_logged_is_named(demo_store: DemoStore,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", "--tracking-uri", demo_store.uri, "--experiment", "lossboard-demo",
                 "--loss-key", "val_los"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: no run in 'lossboard-demo' logged 'val_los';")
    assert "val_loss" in err  # the keys it could have meant


def test_seed_groups_from_a_real_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two configurations trained with several seeds by `lossboard train` form two groups."""
    uri = f"sqlite:///{tmp_path / 'seeds.db'}"
    for config, seeds in (("mlp-16-decay-4", ("0", "1", "2")), ("mlp-2-short", ("0", "1", "0"))):
        args = [a for seed in seeds for a in ("--seed", seed)]  # a repeated seed trains once
        assert main(["train", "--tracking-uri", uri, "--experiment", "seeds", "--config",
                     config, *args, "--epochs", "4", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["compare", "--tracking-uri", uri, "--experiment", "seeds", "--format",
                 "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    runs = {r["run_id"]: r for r in report["runs"]}
    groups = sorted(report["groups"], key=lambda g: -g["n"])
    assert [(g["name"], g["n"]) for g in groups] == [("mlp-16-decay-4", 3), ("mlp-2-short", 2)]
    for group in groups:
        members = [runs[r] for r in group["runs"]]
        assert all(m["run_name"].startswith(group["name"] + "-seed") for m in members)
        assert all(m["group"] == group["group"] for m in members)
        assert "seed" not in group["params"] and group["params"]["weight_decay"]
        losses = [m["final_loss"] for m in members]
        assert group["final_loss_mean"] == pytest.approx(np.mean(losses))
        assert group["final_loss_std"] == pytest.approx(np.std(losses, ddof=1))
    assert report["recommended_groups"]["loss"] == groups[0]["group"]
    assert main(["compare", "--tracking-uri", uri, "--experiment", "seeds"]) == 0
    assert "Seed groups (mean ± standard deviation over seeds):" in capsys.readouterr().out
    assert main(["compare", "--tracking-uri", uri, "--experiment", "seeds", "--group-by",
                 "depth"]) == 2
    assert capsys.readouterr().err == "error: --group-by: no run logged 'depth' to group by\n"
