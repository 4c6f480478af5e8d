"""Runs written by MLflow's real autologgers are compared with no configuration."""

from __future__ import annotations

import pytest

from tests.helpers.autolog import compared_runs, write_runs

DATA = """
import mlflow
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
x, y = load_breast_cancer(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=0,
                                                  stratify=y)
mlflow.set_experiment("autologged")
"""

SCRIPTS = {
    "xgboost-train": """
        import xgboost as xgb
        mlflow.xgboost.autolog(log_models=False)
        train, val = xgb.DMatrix(x_train, y_train), xgb.DMatrix(x_val, y_val)
        with mlflow.start_run(run_name="xgboost-train"):
            xgb.train({"objective": "binary:logistic", "eval_metric": ["logloss", "error"],
                       "max_depth": 3}, train, num_boost_round=15,
                      evals=[(train, "train"), (val, "validation")])
    """,
    "xgboost-sklearn": """
        import xgboost as xgb
        mlflow.xgboost.autolog(log_models=False)
        with mlflow.start_run(run_name="xgboost-sklearn"):
            xgb.XGBClassifier(n_estimators=15, max_depth=3, eval_metric=["logloss", "error"]
                              ).fit(x_train, y_train, eval_set=[(x_train, y_train),
                                                                 (x_val, y_val)])
    """,
    "lightgbm-train": """
        import lightgbm as lgb
        mlflow.lightgbm.autolog(log_models=False)
        train = lgb.Dataset(x_train, y_train)
        val = lgb.Dataset(x_val, y_val, reference=train)
        with mlflow.start_run(run_name="lightgbm-train"):
            lgb.train({"objective": "binary", "metric": ["binary_logloss", "binary_error"],
                       "verbosity": -1, "num_leaves": 7}, train, num_boost_round=15,
                      valid_sets=[train, val])
    """,
}

EXPECTED_KEYS = {  # run -> (loss key, error key read as accuracy)
    "xgboost-train": ("validation-logloss", "validation-error"),
    "xgboost-sklearn": ("validation_1-logloss", "validation_1-error"),
    "lightgbm-train": ("valid_1-binary_logloss", "valid_1-binary_error"),
}


@pytest.fixture(scope="module")
def autologged(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_runs(tmp_path_factory.mktemp("autolog"), DATA, SCRIPTS)


def test_autologged_keys_are_found_and_error_becomes_accuracy(
        autologged: str, capsys: pytest.CaptureFixture[str]) -> None:
    runs = compared_runs(autologged, capsys)
    assert set(runs) == set(SCRIPTS)
    for name, (loss_key, error_key) in EXPECTED_KEYS.items():
        run = runs[name]
        assert (run["loss_key"], run["accuracy_key"]) == (loss_key, error_key), name
        assert run["accuracy_derived_from"] == error_key
        assert run["epochs"] == 15  # boosting rounds, logged at step = round
        assert 0.9 < run["final_accuracy"] <= 1.0 and 0 < run["final_loss"] < 0.3
        assert run["quadrant"] is not None


def test_a_users_keys_override_the_detection(autologged: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    runs = compared_runs(autologged, capsys, "--loss-key", "validation_0-logloss",
                         "--accuracy-key", "validation_0-error")
    assert runs["xgboost-sklearn"]["loss_key"] == "validation_0-logloss"
    assert runs["xgboost-train"]["loss_key"] == "validation-logloss"  # it has no such key
