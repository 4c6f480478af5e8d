"""Warm-up: the experiment a page opens on is read and analysed before anyone asks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from mlflow import MlflowClient

from analysis.calibration import Predictions
from dashboard.comparisons import ComparisonCache
from dashboard.settings import DashboardSettings
from dashboard.state import ViewState
from dashboard.views import experiment_view
from dashboard.warm_up import start_warm_up, warm_up
from dashboard.wsgi import build_reader
from tests.helpers.demo import DemoStore
from tracking.cache import CachedReader
from tracking.open import open_reader
from tracking.reader import RunReader


class CountingCache(ComparisonCache):
    def __init__(self) -> None:
        super().__init__()
        self.computed = 0

    def compare(self, data, loss_key, accuracy_key):  # type: ignore[no-untyped-def]
        before = len(self._entries)
        found = super().compare(data, loss_key, accuracy_key)
        self.computed += len(self._entries) > before
        return found


def test_the_default_experiment_is_ready_before_the_first_page(demo_store: DemoStore) -> None:
    reader = build_reader(DashboardSettings(demo_store.uri))
    cache = CountingCache()
    start_warm_up(reader, cache).join(60)
    assert cache.computed == 1
    data = reader.read("lossboard-demo")  # what the first page asks for: cached
    cache.compare(data, None, None)
    assert cache.computed == 1


class CountingPredictions:
    """A reader that counts the runs whose predictions it is asked for."""

    def __init__(self, reader: RunReader) -> None:
        self.reader, self.asked = reader, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)

    def predictions(self, runs: pd.DataFrame) -> dict[str, Predictions]:
        self.asked += len(runs)
        return self.reader.predictions(runs)


def test_the_warm_up_fetches_the_predictions_the_first_page_weighs(
        demo_store: DemoStore) -> None:
    """It draws nothing (a first visitor draws anyway), but fetches what the verdict needs."""
    store = CountingPredictions(open_reader(demo_store.uri))
    reader, cache = CachedReader(store), ComparisonCache()
    start_warm_up(reader, cache).join(60)
    fetched = store.asked
    view = experiment_view(reader, ViewState(experiment="lossboard-demo"), cache)
    assert fetched > 0 and store.asked == fetched  # the page fetched nothing more
    assert "ECE" in " ".join(view.calibration_notes)


def test_an_empty_store_warms_nothing(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'empty.db'}"
    MlflowClient(uri).search_experiments()  # creates the schema: only `Default`, no runs
    assert warm_up(open_reader(uri), ComparisonCache()) == "Default"


def test_a_dead_store_only_logs(caplog) -> None:  # type: ignore[no-untyped-def]
    reader = open_reader("http://127.0.0.1:9")
    start_warm_up(reader, ComparisonCache()).join(60)
    assert "warm-up skipped" in caplog.text
