"""Reviews written to a real MLflow store: tags on the run, a registered version with an alias."""

from __future__ import annotations

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from tracking import keys
from tracking.review import ReviewError, ReviewWriter


def logged_run(uri: str, with_model: bool) -> str:
    mlflow.set_tracking_uri(uri)
    with mlflow.start_run(run_name="reviewed") as run:
        mlflow.log_metric("val_loss", 0.3, step=1)
        if with_model:
            x, y = load_iris(return_X_y=True)
            mlflow.sklearn.log_model(LogisticRegression(max_iter=200).fit(x, y), name="model")
    return str(run.info.run_id)


def test_marking_writes_the_review_tags_and_clearing_removes_them(sqlite_uri: str) -> None:
    run_id = logged_run(sqlite_uri, with_model=False)
    writer = ReviewWriter(sqlite_uri)
    writer.mark_selected(run_id, "  best calibrated loss  ", "ana")
    tags = MlflowClient(sqlite_uri).get_run(run_id).data.tags
    assert tags[keys.TAG_REVIEW_STATUS] == "selected"
    assert tags[keys.TAG_REVIEW_REASON] == "best calibrated loss"
    assert tags[keys.TAG_REVIEW_REVIEWER] == "ana"
    assert tags[keys.TAG_REVIEW_TIME].endswith("+00:00")
    writer.clear(run_id)
    left = MlflowClient(sqlite_uri).get_run(run_id).data.tags
    assert not any(k.startswith(keys.REVIEW_PREFIX) for k in left)
    with pytest.raises(ReviewError, match="reason is required"):
        writer.mark_selected(run_id, "   ", "ana")


def test_promoting_registers_the_logged_model_and_sets_the_alias(sqlite_uri: str) -> None:
    run_id = logged_run(sqlite_uri, with_model=True)
    writer = ReviewWriter(sqlite_uri)
    first = writer.promote(run_id, "iris-classifier")
    assert (first.version, first.alias) == ("1", "champion")
    second = writer.promote(run_id, "iris-classifier", alias="staging")
    client = MlflowClient(sqlite_uri, registry_uri=sqlite_uri)
    assert str(client.get_model_version_by_alias("iris-classifier", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("iris-classifier", "staging").version) == "2"
    assert client.get_model_version("iris-classifier", second.version).run_id == run_id


def test_promoting_a_run_without_a_model_says_so(sqlite_uri: str) -> None:
    run_id = logged_run(sqlite_uri, with_model=False)
    with pytest.raises(ReviewError, match="logged no model, so there is nothing to register"):
        ReviewWriter(sqlite_uri).promote(run_id, "anything")
    with pytest.raises(ReviewError, match="MLflow refused"):
        ReviewWriter(sqlite_uri).mark_selected("0" * 32, "why", "ana")
