"""Fixtures shared by every test layer: real MLflow stores, built once and copied."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.helpers.demo import DemoStore, train_demo
from tests.helpers.mlflow_server import MlflowServer


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store with its schema made (~2 s); tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def sqlite_uri(tmp_path: Path, store_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite tracking store; artifacts land under the test's own tmp_path."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(store_template, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real `mlflow server` on its own store, stopped after the test."""
    server = MlflowServer(tmp_path_factory.mktemp("server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    """The real demo sweep, trained once per session into its own store (~20 s)."""
    return train_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session", autouse=True)
def history_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs read over REST are kept on disk (LOSSBOARD_CACHE_DIR): in the session's own folder,
    never the user's ~/.cache; servers started by tests inherit it."""
    folder = tmp_path_factory.mktemp("history-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOSSBOARD_CACHE_DIR", str(folder))
        yield folder
