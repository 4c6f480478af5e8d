"""The review panel's callbacks over HTTP, on a real store: checks first, then real writes."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from dashboard import ids
from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from tests.helpers.dash_client import press
from tests.helpers.models import log_run
from tracking import keys
from tracking.cache import CachedReader
from tracking.open import open_reader


@pytest.fixture
def store(sqlite_uri: str) -> dict[str, str]:
    """Experiment `reviewed`: run `with-model` logged a model, `plain` did not."""
    return {"with-model": log_run(sqlite_uri, "reviewed", "with-model", with_model=True),
            "plain": log_run(sqlite_uri, "reviewed", "plain", with_model=False),
            "elsewhere": log_run(sqlite_uri, "other", "elsewhere", with_model=False),
            "uri": sqlite_uri}


def test_promote_registers_the_selected_runs_model(store: dict[str, str]) -> None:
    uri = store["uri"]
    client = create_app(DashboardSettings(uri), CachedReader(open_reader(uri))).server.test_client()
    said = press(client, ids.PROMOTE, [store["with-model"]])
    assert said == "Registered model 'iris' version 1, alias 'champion'."
    registry = MlflowClient(uri, registry_uri=uri)
    assert registry.get_model_version_by_alias("iris", "champion").run_id == store["with-model"]
    assert "nothing to register" in press(client, ids.PROMOTE, [store["plain"]])
    assert "exactly one" in press(client, ids.PROMOTE, [store["plain"], store["with-model"]])


def test_forged_or_foreign_selections_write_nothing(store: dict[str, str]) -> None:
    uri = store["uri"]
    client = create_app(DashboardSettings(uri), CachedReader(open_reader(uri))).server.test_client()
    assert "not in the experiments shown" in press(client, ids.CHOOSE, [store["elsewhere"]])
    assert "Reviews mark runs, not seed groups" in press(  # a group's row ticked by group
        client, ids.CHOOSE, [store["plain"], "g-0123abcd"])
    assert "Select a run first" in press(client, ids.CHOOSE, ["../../etc", 7])  # dropped as junk
    assert press(client, ids.CHOOSE, [store["plain"]], experiment={"$ne": 1}) == (
        "That is not an experiment name.")
    assert press(client, ids.CHOOSE, [store["plain"]], reason=["list"]) == (
        "Review fields must be text.")
    tags = MlflowClient(uri).get_run(store["elsewhere"]).data.tags
    assert keys.TAG_REVIEW_STATUS not in tags
    assert press(client, ids.CHOOSE, [store["plain"]]) == "Marked plain chosen."
    assert MlflowClient(uri).get_run(store["plain"]).data.tags[keys.TAG_REVIEW_REASON] == "why"
    assert press(client, ids.SHORTLIST, [store["plain"], store["with-model"]],
                 reason="close") == "Marked plain and with-model shortlisted."
    assert press(client, ids.REJECT, [store["plain"]], reason="") == (
        "Say why this run is rejected: the reason is required.")
    assert MlflowClient(uri).get_run(store["plain"]).data.tags[keys.TAG_REVIEW_STATUS] \
        == "shortlisted"
