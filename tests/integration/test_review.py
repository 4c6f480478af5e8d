"""Reviews written to a real MLflow store: tags on the run, a registered version with an alias."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from tests.helpers.models import log_run
from tracking import keys
from tracking.review import ReviewError, ReviewWriter


def logged_run(uri: str, with_model: bool) -> str:
    return log_run(uri, "reviews", "reviewed", with_model)


def test_marking_writes_the_review_tags_and_clearing_removes_them(sqlite_uri: str) -> None:
    run_id = logged_run(sqlite_uri, with_model=False)
    writer = ReviewWriter(sqlite_uri)
    writer.mark(run_id, "chosen", "  best calibrated loss  ", "ana")
    tags = MlflowClient(sqlite_uri).get_run(run_id).data.tags
    assert tags[keys.TAG_REVIEW_STATUS] == "chosen"
    assert tags[keys.TAG_REVIEW_REASON] == "best calibrated loss"
    assert tags[keys.TAG_REVIEW_REVIEWER] == "ana"
    assert tags[keys.TAG_REVIEW_TIME].endswith("+00:00")
    writer.clear(run_id)
    left = MlflowClient(sqlite_uri).get_run(run_id).data.tags
    assert not any(k.startswith(keys.REVIEW_PREFIX) for k in left)
    with pytest.raises(ReviewError, match="Say why this run is rejected: the reason is required"):
        writer.mark(run_id, "rejected", "   ", "ana")
    with pytest.raises(ReviewError, match="one of chosen, shortlisted, rejected"):
        writer.mark(run_id, "selected", "why", "ana")
    with pytest.raises(ReviewError, match="reason is limited to 5000 characters"):
        writer.mark(run_id, "chosen", "x" * 5001, "ana")
    with pytest.raises(ReviewError, match="reviewer's name is limited to 250 characters"):
        writer.mark(run_id, "chosen", "why", "a" * 251)
    assert not any(k.startswith(keys.REVIEW_PREFIX)
                   for k in MlflowClient(sqlite_uri).get_run(run_id).data.tags)


def test_each_status_replaces_the_last_one(sqlite_uri: str) -> None:
    run_id = logged_run(sqlite_uri, with_model=False)
    writer = ReviewWriter(sqlite_uri)
    for status in keys.REVIEW_STATUSES:
        writer.mark(run_id, status, f"{status} because", "ana")
        tags = MlflowClient(sqlite_uri).get_run(run_id).data.tags
        assert (tags[keys.TAG_REVIEW_STATUS], tags[keys.TAG_REVIEW_REASON]) == (
            status, f"{status} because")


def test_promoting_registers_the_logged_model_and_sets_the_alias(sqlite_uri: str) -> None:
    run_id = logged_run(sqlite_uri, with_model=True)
    writer = ReviewWriter(sqlite_uri)
    first = writer.promote(run_id, "iris-classifier")
    assert (first.version, first.alias) == ("1", "champion")
    second = writer.promote(run_id, "iris-classifier", alias="staging")
    client = MlflowClient(sqlite_uri, registry_uri=sqlite_uri)
    assert str(client.get_model_version_by_alias("iris-classifier", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("iris-classifier", "staging").version) == "2"
    version = client.get_model_version("iris-classifier", second.version)
    assert version.run_id == run_id
    assert version.source.endswith("/artifacts")  # the logged model's own files


def test_promoting_a_run_without_a_model_says_so(sqlite_uri: str) -> None:
    run_id = logged_run(sqlite_uri, with_model=False)
    with pytest.raises(ReviewError, match="logged no model, so there is nothing to register"):
        ReviewWriter(sqlite_uri).promote(run_id, "anything")
    with pytest.raises(ReviewError, match="MLflow refused"):
        ReviewWriter(sqlite_uri).mark("0" * 32, "chosen", "why", "ana")


@pytest.mark.parametrize(("name", "alias", "problem"), [
    ("m" * 10_000_000, "champion", "name is limited to 256 characters"),
    ("team/model", "champion", "cannot contain '/' or ':'"),
    ("model", "a" * 256, "alias is limited to 255 characters"),
    ("  ", "champion", "needs a registered-model name"),
])
def test_promotion_limits_are_checked_before_any_registry_call(
    sqlite_uri: str, name: str, alias: str, problem: str
) -> None:
    run_id = logged_run(sqlite_uri, with_model=True)
    with pytest.raises(ReviewError, match=problem):
        ReviewWriter(sqlite_uri).promote(run_id, name, alias)
    registry = MlflowClient(sqlite_uri, registry_uri=sqlite_uri)
    assert registry.search_registered_models() == []


def test_the_longest_names_mlflow_takes_are_promoted(sqlite_uri: str) -> None:
    run_id = logged_run(sqlite_uri, with_model=True)
    promotion = ReviewWriter(sqlite_uri).promote(run_id, "m" * 256, "a" * 255)
    assert (promotion.model_name, promotion.alias) == ("m" * 256, "a" * 255)
