"""What the default demo sweep leaves in MLflow, checked in the store itself."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.entities import Run
from sklearn.metrics import log_loss

from analysis.tradeoff import QUADRANTS, quadrants
from tests.helpers.demo import DemoStore
from tracking import keys
from training.datasets import load_split
from training.sweep import IMBALANCED, REGIMES

EPOCH_KEYS = (keys.TRAIN_LOSS, keys.TRAIN_ACCURACY, keys.VAL_LOSS, keys.VAL_ACCURACY)


def runs(store: DemoStore, experiment: str) -> dict[str, Run]:
    client = MlflowClient(store.uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment}"
    return {r.info.run_name: r for r in client.search_runs([found.experiment_id])}


def test_one_finished_run_per_configuration_and_seed(demo_store: DemoStore) -> None:
    regimes, imbalanced = runs(demo_store, "lossboard-demo"), runs(
        demo_store, "lossboard-demo-imbalanced")
    assert sorted(regimes) == sorted(f"{c.name}-seed{s}" for c in REGIMES for s in (0, 1, 2))
    assert sorted(imbalanced) == sorted(f"{c.name}-seed{s}" for c in IMBALANCED
                                        for s in (0, 1, 2))
    assert {r.data.params["seed"] for r in regimes.values()} == {"0", "1", "2"}
    assert {r.info.status for r in [*regimes.values(), *imbalanced.values()]} == {"FINISHED"}
    assert "30 run(s)" in demo_store.stdout


@pytest.mark.parametrize("config", REGIMES + IMBALANCED, ids=lambda c: c.name)
def test_complete_history_with_step_equal_to_epoch(demo_store: DemoStore, config) -> None:
    experiment = "lossboard-demo" if config in REGIMES else "lossboard-demo-imbalanced"
    run = runs(demo_store, experiment)[f"{config.name}-seed0"]
    client = MlflowClient(demo_store.uri)
    for key in EPOCH_KEYS:
        history = client.get_metric_history(run.info.run_id, key)
        assert sorted(m.step for m in history) == list(range(1, config.epochs + 1)), key
        assert all(np.isfinite(m.value) for m in history)
    assert run.data.params["hidden_layers"] == "x".join(map(str, config.hidden_layers))
    assert float(run.data.params["weight_decay"]) == config.weight_decay
    assert run.data.params["epochs"] == str(config.epochs) and run.data.params["seed"] == "0"
    assert run.data.tags[keys.TAG_DATASET] == config.dataset
    assert run.data.tags[keys.TAG_MODEL_FAMILY] == "mlp"


@pytest.mark.parametrize("config", REGIMES[:1] + IMBALANCED[:1], ids=lambda c: c.dataset)
def test_class_balance_tags_match_the_data(demo_store: DemoStore, config) -> None:
    experiment = "lossboard-demo" if config in REGIMES else "lossboard-demo-imbalanced"
    tags = runs(demo_store, experiment)[f"{config.name}-seed1"].data.tags
    split = load_split(config.dataset)
    counts = np.bincount(split.y_train)
    assert json.loads(tags[keys.TAG_CLASS_COUNTS]) == {str(c): int(n) for c, n in
                                                       enumerate(counts)}
    expected = np.mean(split.y_val == np.argmax(counts))
    assert float(tags[keys.TAG_MAJORITY_BASELINE]) == pytest.approx(expected)


def test_predictions_artifact_agrees_with_the_final_metrics(demo_store: DemoStore,
                                                            tmp_path) -> None:
    client = MlflowClient(demo_store.uri)
    split = load_split("breast_cancer")
    for run in runs(demo_store, "lossboard-demo").values():
        path = client.download_artifacts(run.info.run_id, keys.PREDICTIONS_ARTIFACT,
                                         str(tmp_path / run.info.run_id))
        with np.load(path) as saved:
            proba, labels = saved["proba"], saved["labels"]
        assert proba.dtype == np.float32 and proba.shape == (len(split.y_val), 2)
        assert labels.tolist() == split.y_val.tolist()
        np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
        metrics = run.data.metrics
        assert np.mean(proba.argmax(axis=1) == labels) == metrics[keys.VAL_ACCURACY]
        as_float64 = proba.astype(np.float64)
        renormalised = as_float64 / as_float64.sum(axis=1, keepdims=True)
        assert log_loss(labels, renormalised, labels=[0, 1]) == pytest.approx(
            metrics[keys.VAL_LOSS], rel=1e-4, abs=1e-6)


def test_all_four_regimes_are_present(demo_store: DemoStore) -> None:
    final = pd.DataFrame({
        name: {"loss": r.data.metrics[keys.VAL_LOSS], "accuracy": r.data.metrics[keys.VAL_ACCURACY],
               "intent": r.data.tags["lossboard.demo.intent"]}
        for name, r in runs(demo_store, "lossboard-demo").items()
    }).T
    final["quadrant"] = quadrants(final["loss"].astype(float), final["accuracy"].astype(float))
    assert set(final["quadrant"]) == set(QUADRANTS)
    expected = {"overconfident": "high-accuracy/high-loss", "hedging": "low-accuracy/low-loss",
                "dominant": "high-accuracy/low-loss", "dominated": "low-accuracy/high-loss"}
    assert (final["quadrant"] == final["intent"].map(expected)).all(), final


def test_imbalanced_runs_barely_beat_the_majority_baseline(demo_store: DemoStore) -> None:
    for run in runs(demo_store, "lossboard-demo-imbalanced").values():
        baseline = float(run.data.tags[keys.TAG_MAJORITY_BASELINE])
        lift = run.data.metrics[keys.VAL_ACCURACY] - baseline
        assert 0.85 < baseline < 0.95
        assert 0 < lift <= 0.05, (run.info.run_name, lift)
