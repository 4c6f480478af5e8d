"""Stores written by other MLflow releases (2.0.1 to 3.18.0, made by the real libraries: see
scripts/make_store_fixtures.py) read exactly as those releases report them, through every read
path, and left exactly as they were: no migration, no new table, no new file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dashboard import ids
from dashboard.app import create_app
from dashboard.cli import main
from dashboard.settings import DashboardSettings
from tests.helpers.dash_client import SHOW_OUTPUTS, SHOW_STATE, call, press, show_inputs
from tests.helpers.fixture_stores import (
    MARIADB_DUMPS,
    POSTGRES_DUMPS,
    SQLITE_STORES,
    SWEEP,
    assert_reads_as_its_release_reported,
    copy_of,
    expected,
    mariadb_dump,
    postgres_dump,
    restore_mariadb,
    restore_postgres,
    store_state,
    version_of,
)
from tracking.cache import CachedReader
from tracking.open import open_reader
from tracking.review import ReviewError, ReviewWriter
from tracking.sql_reader import SqlReader
from tracking.sql_schema import installed_schema

pytestmark = pytest.mark.integration


def is_current(fixture: Path) -> bool:
    """Whether the installed MLflow wrote stores at this fixture's revision (3.18.0's, when
    the newest release is under test: scripts/test-newest-mlflow.sh)."""
    return bool(expected(fixture)["schema_revision"] == installed_schema().head)


def assert_real_logging_styles_read_right(answer: dict) -> None:
    """Percent accuracy, a sweep's parent re-logging its best child, HF-style evaluation every
    50 steps: as `lossboard compare --format json` reports the fixture sweep."""
    runs = {r["run_name"]: r for r in answer["runs"]}
    assert {"keras-style", "lossboard-style", "xgboost-style"} <= set(runs)
    percent = runs["percent-accuracy"]
    assert percent["accuracy_scale"] == 100 and percent["final_accuracy"] == pytest.approx(0.978)
    parent = runs["sweep-parent"]
    assert parent["child_runs"] == 3 and parent["quadrant"] is None and not parent["pareto"]
    assert parent["run_id"] not in answer["recommended"].values()
    assert all(parent["run_id"] not in pair for pair in answer["disagreements"])
    assert runs["trial-0"]["parent_run_id"] == parent["run_id"] and runs["trial-0"]["quadrant"]
    assert (runs["hf-trainer-style"]["epochs"], runs["hf-trainer-style"]["evaluations"]) == (5, 4)


@pytest.mark.parametrize("fixture", SQLITE_STORES, ids=lambda p: p.name)
def test_sqlite_stores_of_every_release_read_as_mlflow_reports_them(fixture: Path,
                                                                    tmp_path: Path) -> None:
    store = copy_of(fixture, tmp_path)
    before = store_state(store)
    report = expected(fixture)
    reader = open_reader(f"sqlite:///{store}")
    assert isinstance(reader, SqlReader) and reader.schema.revision == report["schema_revision"]
    assert_reads_as_its_release_reported(reader, report)
    filtered = reader.read(SWEEP, filter_string="params.optimizer = 'adam' and "
                                                "metrics.val_loss < 10")
    assert filtered.runs["run_name"].tolist() == ["keras-style"]
    assert store_state(store) == before


@pytest.mark.parametrize("fixture", SQLITE_STORES, ids=lambda p: p.name)
def test_compare_the_page_and_a_refused_review_leave_the_store_as_it_was(
        fixture: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = copy_of(fixture, tmp_path)
    uri = f"sqlite:///{store}"
    before = store_state(store)
    assert main(["compare", "--experiment", SWEEP, "--tracking-uri", uri, "--format",
                 "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert_real_logging_styles_read_right(answer)
    assert main(["compare", "--experiment", SWEEP, "--tracking-uri", uri,
                 "--filter", "params.seed = '1'"]) == 0
    assert "lossboard-style-seed1" in capsys.readouterr().out

    client = create_app(DashboardSettings(uri), CachedReader(open_reader(uri))).server.test_client()
    assert client.get("/").status_code == 200
    shown = call(client, SHOW_OUTPUTS, show_inputs(SWEEP), SHOW_STATE)
    message = shown[f"{ids.MESSAGE}.children"] or ""  # a run left RUNNING: stalled by now
    assert message == "" or message.startswith("1 RUNNING run(s) logged nothing for over")
    assert len(shown[f"{ids.RUNS_TABLE}.rowData"]) > 10
    assert store_state(store) == before
    run_id = shown[f"{ids.RUNS_TABLE}.rowData"][0]["run_id"]
    said = press(client, ids.CHOOSE, [run_id], experiment=SWEEP)
    if is_current(fixture):  # the newest release's store, read by that release: writable
        name = shown[f"{ids.RUNS_TABLE}.rowData"][0]["run_name"]
        assert said == f"Marked {name} chosen.", said
    else:
        assert "would have to migrate it first" in said, said
        assert store_state(store) == before


def test_a_store_newer_than_this_mlflow_is_described_as_newer(tmp_path: Path) -> None:
    [newest] = [p for p in SQLITE_STORES if version_of(p) == "3.18.0"]
    store = copy_of(newest, tmp_path)
    reader = SqlReader(f"sqlite:///{store}")
    installed = installed_schema()
    if installed.head == reader.schema.revision:
        pytest.skip(f"MLflow {installed.version} is the release that wrote this store")
    assert reader.schema.relation(installed) == "newer"
    assert "written by a newer MLflow" in reader.schema.describe(installed)
    with pytest.raises(ReviewError, match="Run an `mlflow server` of the store's own MLflow"):
        ReviewWriter(f"sqlite:///{store}").mark("x", "chosen", "why", "ana")
    assert "upgrade" not in reader.schema.describe(installed)


DUMPS = [(d, restore_postgres, postgres_dump) for d in POSTGRES_DUMPS] + [
    (d, restore_mariadb, mariadb_dump) for d in MARIADB_DUMPS]


@pytest.mark.parametrize(("dump", "restore", "dump_of"), DUMPS,
                         ids=lambda p: getattr(p, "name", ""))
def test_database_stores_restored_from_dumps_read_as_mlflow_reports_them(
        dump: Path, restore: Callable[[Path], str], dump_of: Callable[[str], str]) -> None:
    """PostgreSQL and MariaDB stores of 2.22.1 and 3.18.0, restored as their dump tools meant;
    the database dumped again after every read path is the same, byte for byte."""
    uri = restore(dump)
    before = dump_of(uri)
    report = expected(dump)
    reader = open_reader(uri)
    assert isinstance(reader, SqlReader) and reader.schema.revision == report["schema_revision"]
    assert_reads_as_its_release_reported(reader, report)
    assert main(["compare", "--experiment", SWEEP, "--tracking-uri", uri]) == 0
    assert dump_of(uri) == before
    if not is_current(dump):
        with pytest.raises(ReviewError, match="would have to migrate it first"):
            ReviewWriter(uri).mark(reader.read_runs(SWEEP).runs["run_id"].iloc[0], "chosen",
                                   "why", "ana")
        assert dump_of(uri) == before
