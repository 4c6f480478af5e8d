"""Warm-up: the experiment a page opens on is read and analysed before anyone asks."""

from __future__ import annotations

from pathlib import Path

from mlflow import MlflowClient

from dashboard.comparisons import ComparisonCache
from dashboard.settings import DashboardSettings
from dashboard.warm_up import start_warm_up, warm_up
from dashboard.wsgi import build_reader
from tests.helpers.demo import DemoStore
from tracking.open import open_reader


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


def test_an_empty_store_warms_nothing(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'empty.db'}"
    MlflowClient(uri).search_experiments()  # creates the schema: only `Default`, no runs
    assert warm_up(open_reader(uri), ComparisonCache()) == "Default"


def test_a_dead_store_only_logs(caplog) -> None:  # type: ignore[no-untyped-def]
    reader = open_reader("http://127.0.0.1:9")
    start_warm_up(reader, ComparisonCache()).join(60)
    assert "warm-up skipped" in caplog.text
