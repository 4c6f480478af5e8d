"""Runs that log a real (small) model, written through MLflow's fluent API."""

from __future__ import annotations

import mlflow
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


def log_run(uri: str, experiment: str, name: str, with_model: bool) -> str:
    """A finished run in `experiment` with val_loss/val_accuracy, and a fitted scikit-learn
    model if asked; the fluent API's tracking URI is put back afterwards."""
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        with mlflow.start_run(experiment_id=experiment_id, run_name=name) as run:
            mlflow.log_metrics({"val_loss": 0.3, "val_accuracy": 0.9}, step=1)
            if with_model:
                x, y = load_iris(return_X_y=True)
                mlflow.sklearn.log_model(LogisticRegression(max_iter=200).fit(x, y),
                                         name="model")
    finally:
        mlflow.set_tracking_uri(before)
    return str(run.info.run_id)
