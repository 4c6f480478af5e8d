"""Every reader gives the same frames for the same store, awkward data included."""

from __future__ import annotations

import math
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient

from analysis import frames as f
from tests.helpers.fixture_stores import store_state
from tests.helpers.mlflow_server import MlflowServer
from tests.helpers.stores import (
    EXPERIMENT,
    fresh_mysql_uri,
    fresh_postgres_uri,
    write_awkward_experiment,
)
from tracking import rest_api
from tracking.client_reader import ClientReader, search_all_runs
from tracking.open import open_reader
from tracking.reader import (
    ExperimentData,
    ExperimentNotFound,
    InvalidFilter,
    ReaderError,
    StoreUnreachable,
)
from tracking.rest_reader import RestReader
from tracking.sql_reader import SchemaMismatch, SqlReader
from tracking.sql_schema import installed_schema


def canonical(data: ExperimentData) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = data.runs.sort_values(f.RUN_ID).reset_index(drop=True)
    runs = runs[sorted(runs.columns)]
    history = data.history.sort_values([f.RUN_ID, f.KEY, f.STEP, f.TIMESTAMP, f.VALUE])
    return runs, history.reset_index(drop=True)


def assert_same(a: ExperimentData, b: ExperimentData) -> None:
    for left, right in zip(canonical(a), canonical(b), strict=True):
        pd.testing.assert_frame_equal(left, right, check_dtype=False)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory, store_template: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("awkward-sqlite")
    shutil.copy(store_template, folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    write_awkward_experiment(uri)
    yield uri


@pytest.fixture(scope="module")
def postgres_store() -> str:
    uri = fresh_postgres_uri()
    write_awkward_experiment(uri)
    return uri


@pytest.fixture(scope="module")
def mysql_store() -> str:
    uri = fresh_mysql_uri()
    write_awkward_experiment(uri)
    return uri


@pytest.mark.parametrize("store", ["sqlite_store", "postgres_store", "mysql_store"])
def test_sql_and_client_readers_agree(store: str, request: pytest.FixtureRequest) -> None:
    uri = request.getfixturevalue(store)
    fast = SqlReader(uri).read(EXPERIMENT, include_deleted=True)
    assert_same(fast, ClientReader(uri).read(EXPERIMENT, include_deleted=True))
    assert isinstance(open_reader(uri), SqlReader)


@pytest.mark.parametrize("other", ["postgres_store", "mysql_store"])
def test_server_databases_give_the_same_frames_as_sqlite(
        sqlite_store: str, other: str, request: pytest.FixtureRequest) -> None:
    def by_name(uri: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        data = SqlReader(uri).read(EXPERIMENT)
        names = data.runs.set_index(f.RUN_ID)[f.RUN_NAME]
        history = data.history.assign(run_id=data.history[f.RUN_ID].map(names))
        runs = data.runs.drop(columns=[f.RUN_ID, f.EXPERIMENT_ID, f.START_TIME, f.END_TIME,
                                       f.ARTIFACT_URI])
        return canonical(ExperimentData("", "", runs.assign(run_id=runs[f.RUN_NAME]), history))

    for left, right in zip(by_name(sqlite_store), by_name(request.getfixturevalue(other)),
                           strict=True):
        pd.testing.assert_frame_equal(left.drop(columns=[f.TIMESTAMP], errors="ignore"),
                                      right.drop(columns=[f.TIMESTAMP], errors="ignore"),
                                      check_dtype=False)


def test_rest_and_client_paths_agree_with_sql_on_the_servers_store(
        mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> None:
    write_awkward_experiment(mlflow_server.uri)
    local = SqlReader(f"sqlite:///{mlflow_server.root / 'mlflow.db'}").read(EXPERIMENT)
    over_rest = open_reader(mlflow_server.uri)
    assert isinstance(over_rest, RestReader)
    assert_same(over_rest.read(EXPERIMENT), local)
    assert_same(ClientReader(mlflow_server.uri).read(EXPERIMENT), local)
    # answers capped at 2 points: full batches are split, single runs read page by page
    monkeypatch.setattr(rest_api, "MAX_POINTS_PER_CALL", 2)
    assert_same(RestReader(mlflow_server.uri).read(EXPERIMENT), local)


def test_awkward_values_read_back_as_logged(sqlite_store: str) -> None:
    data = SqlReader(sqlite_store).read(EXPERIMENT)
    names = data.runs.set_index(f.RUN_ID)[f.RUN_NAME]
    history = data.history.assign(name=data.history[f.RUN_ID].map(names))
    extremes = history[(history["name"] == "extremes") & (history[f.KEY] == "val_loss")]
    by_step = extremes.set_index(f.STEP)[f.VALUE]
    assert math.isnan(by_step[1]) and by_step[2] == math.inf and by_step[3] == -math.inf
    duplicates = history[(history["name"] == "duplicates") & (history[f.KEY] == "val_loss")]
    assert sorted(duplicates[f.VALUE]) == [0.4, 0.5, 0.9]  # every point kept, as stored
    assert set(history[history["name"] == "no-accuracy"][f.KEY]) == {"val_loss"}  # lr skipped
    assert (history[f.SPLIT].dropna().isin(["train", "val"])).all()


def test_deleted_runs_only_on_request_and_stale_runs_labelled(sqlite_store: str) -> None:
    reader = SqlReader(sqlite_store)
    active = reader.read(EXPERIMENT).runs.set_index(f.RUN_NAME)
    assert "deleted" not in active.index and len(active) == 6
    assert bool(active.loc["stale", f.STALE]) and not active[f.STALE].drop("stale").any()
    assert active.loc["plain", "params.lr"] == "0.1"
    every = reader.read(EXPERIMENT, include_deleted=True).runs.set_index(f.RUN_NAME)
    assert every.loc["deleted", f.LIFECYCLE_STAGE] == "deleted"


def test_filter_strings_use_mlflows_grammar(sqlite_store: str) -> None:
    data = SqlReader(sqlite_store).read(EXPERIMENT, filter_string="params.name = 'plain'")
    assert data.runs[f.RUN_NAME].tolist() == ["plain"]
    assert set(data.history[f.RUN_ID]) == set(data.runs[f.RUN_ID])


def test_paging_never_cuts_runs_off(sqlite_store: str) -> None:
    experiment_id = SqlReader(sqlite_store).read(EXPERIMENT).experiment_id
    assert len(list(search_all_runs(sqlite_store, experiment_id, None, False, page_size=2))) == 6


def test_an_experiment_with_no_runs_gives_empty_frames(sqlite_store: str) -> None:
    from mlflow import MlflowClient

    MlflowClient(sqlite_store).create_experiment("empty")
    for reader in (SqlReader(sqlite_store), ClientReader(sqlite_store)):
        data = reader.read("empty")
        assert data.runs.empty and data.history.empty
        assert list(data.history.columns) == f.HISTORY_COLUMNS


@pytest.mark.parametrize("reader", [SqlReader, ClientReader])
def test_unknown_experiment_is_a_clear_error(sqlite_store: str, reader) -> None:
    with pytest.raises(ExperimentNotFound, match="no active experiment named 'nope'"):
        reader(sqlite_store).read("nope")


def test_missing_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreUnreachable, match=f"cannot open .*: no MLflow store at {tmp_path}"):
        open_reader(f"sqlite:///{tmp_path / 'absent.db'}")


@pytest.mark.parametrize(("uri", "message"), [
    ("foo://bar", "foo://bar is not a tracking URI MLflow can read: use sqlite:///path"),
    # read by the file reader now (MLflow 3 refuses file stores): a folder that is not there
    ("file:///nowhere/mlruns", "cannot open file:///nowhere/mlruns: no MLflow file store at "
                               "/nowhere/mlruns"),
])
def test_a_store_mlflow_cannot_read_is_one_clear_line(uri: str, message: str) -> None:
    with pytest.raises(ReaderError, match=f"^{message}") as raised:
        open_reader(uri)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("store", ["sqlite_store", "postgres_store", "mysql_store"])
def test_a_long_lived_reader_sees_what_is_written_after_it_opened(
        store: str, request: pytest.FixtureRequest) -> None:
    from mlflow import MlflowClient

    uri = request.getfixturevalue(store)
    reader = SqlReader(uri)
    before = reader.read(EXPERIMENT)
    client = MlflowClient(uri)
    run = client.create_run(before.experiment_id, run_name="late")
    client.log_metric(run.info.run_id, "val_loss", 0.1, step=1)
    after = reader.read(EXPERIMENT)
    assert len(after.runs) == len(before.runs) + 1
    assert len(after.history) == len(before.history) + 1
    client.delete_run(run.info.run_id)


def test_a_store_lacking_a_column_read_is_one_line_and_left_as_it_was(
        sqlite_store: str, tmp_path: Path) -> None:
    import sqlite3

    shutil.copy(sqlite_store.removeprefix("sqlite:///"), tmp_path / "renamed.db")
    with sqlite3.connect(tmp_path / "renamed.db") as conn:
        conn.execute("ALTER TABLE runs RENAME COLUMN artifact_uri TO artifact_location")
    uri = f"sqlite:///{tmp_path / 'renamed.db'}"
    before = store_state(tmp_path / "renamed.db")
    for opener in (SqlReader, open_reader):  # no fallback to MLflow's client: it would migrate
        with pytest.raises(SchemaMismatch) as raised:
            opener(uri)
        message = str(raised.value)
        assert "\n" not in message and message.endswith("lacks what Lossboard reads: "
                                                         "runs.artifact_uri")
        assert f"MLflow schema revision {installed_schema().head}, this MLflow's own" in message
    assert store_state(tmp_path / "renamed.db") == before


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_database_without_mlflow_tables_is_named_and_stays_empty(kind: str) -> None:
    uri = fresh_postgres_uri() if kind == "postgresql" else fresh_mysql_uri()
    with pytest.raises(StoreUnreachable, match="holds no MLflow tracking tables"):
        open_reader(uri)
    from sqlalchemy import create_engine, inspect

    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_mysql_without_the_extra_names_it(mysql_store: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "connectorx", None)  # as if the extra were not installed
    with pytest.raises(ReaderError, match=r"needs connectorx: pip install 'lossboard\[mysql\]'"):
        open_reader(mysql_store)


@pytest.mark.parametrize("expression", [
    "params.name = 'plain'", "params.lr != '0.1'", "metrics.val_loss < 0.5",
    "metrics.val_accuracy >= 0.6", "tags.majority_baseline_accuracy = '0.5'",
    "attributes.run_name LIKE 'n%'", "attributes.status = 'RUNNING'",
    "attributes.start_time > 0", "params.lr IS NULL", "attributes.run_name ILIKE '%PLAIN%'",
])
def test_filters_match_mlflows_own_search(sqlite_store: str, expression: str) -> None:
    """Filters run in memory by MLflow's SearchUtils, as its file store does; the SQL store's
    own search (safe here: this store is at the installed MLflow's revision) agrees."""
    data = SqlReader(sqlite_store).read_runs(EXPERIMENT, filter_string=expression)
    theirs = {r.info.run_id for r in search_all_runs(sqlite_store, data.experiment_id,
                                                      expression, False)}
    assert set(data.runs[f.RUN_ID]) == theirs


@pytest.mark.parametrize("store", ["sqlite_store", "postgres_store", "mysql_store"])
def test_one_sql_reader_serves_many_threads_at_once(store: str,
                                                    request: pytest.FixtureRequest) -> None:
    """gunicorn threads and the start-up warm-up share one reader (one connection: unguarded,
    libpq hung here)."""
    reader = SqlReader(request.getfixturevalue(store))
    expected = canonical(reader.read(EXPERIMENT))
    answers: list[tuple[list[str], ExperimentData]] = []

    def work() -> None:
        for _ in range(3):
            answers.append((reader.experiment_names(), reader.read(EXPERIMENT)))

    threads = [threading.Thread(target=work, daemon=True) for _ in range(8)]  # daemon: a hang
    for thread in threads:                                      # fails the test, not the run
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 24, "readers hung or failed"
    for names, data in answers:
        assert EXPERIMENT in names
        for left, right in zip(canonical(data), expected, strict=True):
            pd.testing.assert_frame_equal(left, right)


def test_a_bad_filter_is_named_on_every_path(sqlite_store: str,
                                             mlflow_server: MlflowServer) -> None:
    MlflowClient(mlflow_server.uri).create_experiment("filtered")
    paths = [(SqlReader(sqlite_store), EXPERIMENT), (ClientReader(sqlite_store), EXPERIMENT),
             (RestReader(mlflow_server.uri), "filtered")]
    for reader, experiment in paths:
        with pytest.raises(InvalidFilter, match=r"^invalid filter 'params.lr ==': Invalid"):
            reader.read(experiment, filter_string="params.lr ==")
