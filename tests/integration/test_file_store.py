"""Legacy file stores (`./mlruns`) read in place by the file reader: as the MLflow 2.x release
that wrote them reports them, as MLflow 3.17's own file store reads a store it wrote, filtered by
MLflow's grammar, and never a byte written, a file made or a folder created."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from mlflow.entities import Param, RunTag

from analysis import frames as f
from dashboard import ids
from dashboard.app import create_app
from dashboard.cli import main
from dashboard.settings import DashboardSettings
from tests.helpers.dash_client import SHOW_OUTPUTS, SHOW_STATE, call, press, show_inputs
from tests.helpers.fixture_stores import (
    FILE_STORES,
    SWEEP,
    actual_frames,
    all_keys,
    assert_reads_as_its_release_reported,
    copy_of,
    expected,
    expected_frames,
)
from tests.helpers.stores import EXPERIMENT, write_awkward_experiment
from tracking.cache import CachedReader
from tracking.client_reader import ClientReader, search_all_runs
from tracking.file_reader import FileReader, supports
from tracking.open import open_reader
from tracking.reader import (
    ExperimentData,
    InvalidFilter,
    ReaderError,
    StoreUnreachable,
)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
FILTERS = [
    "params.name = 'plain'", "metrics.val_loss < 0.5", "metrics.val_loss <= -1e308",
    "metrics.val_loss > 0.45 and params.lr = '0.1'", "attributes.status = 'RUNNING'",
    "tags.majority_baseline_accuracy = '0.5'", "metrics.val_accuracy >= 0.8",
    "attributes.run_name LIKE 'no-%'", "metrics.lr = 0.01", "metrics.val_loss = 0.4",
    "attributes.user_id != 'nobody'", "params.lr = '0.2'",
]


def tree_state(root: Path) -> dict[str, str | None]:
    """Every path below `root` (folders and hidden ones too) and its bytes' hash (None: a
    folder), with the listing of the folder that holds `root` (a lock file would show)."""
    found: dict[str, str | None] = {
        str(p.relative_to(root)): None if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))}
    found["../"] = " ".join(sorted(p.name for p in root.parent.iterdir()))
    return found


def canonical(data: ExperimentData) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = data.runs.sort_values(f.RUN_ID).reset_index(drop=True)
    history = data.history.sort_values([f.RUN_ID, f.KEY, f.STEP, f.TIMESTAMP, f.VALUE])
    return runs[sorted(runs.columns)], history.reset_index(drop=True)


def assert_same(a: ExperimentData, b: ExperimentData) -> None:
    for left, right in zip(canonical(a), canonical(b), strict=True):
        pd.testing.assert_frame_equal(left, right, check_dtype=False)


@pytest.fixture
def written_by_mlflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The awkward experiment logged by MLflow 3.17's own file store (allowed in this test
    only); the variable is then unset again: the file reader does not need it."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root = tmp_path / "mlruns"
    write_awkward_experiment(root.as_uri())
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    return root


@pytest.mark.parametrize("form", ["path", "file-uri"])
@pytest.mark.parametrize("fixture", FILE_STORES, ids=lambda p: p.name)
def test_file_stores_of_2x_releases_read_as_mlflow_reports_them(
        fixture: Path, form: str, tmp_path: Path) -> None:
    store = copy_of(fixture, tmp_path)
    report = expected(fixture)
    reader = open_reader(str(store) if form == "path" else "file://" + str(store))
    assert isinstance(reader, FileReader)
    assert_reads_as_its_release_reported(reader, report)
    sweep = reader.read(SWEEP).runs.set_index(f.RUN_NAME)
    assert "deleted-run" not in sweep.index
    assert sweep.loc["still-running", f.STATUS] == "RUNNING"
    assert sweep[f.STALE].sum() == 1 and bool(sweep.loc["still-running", f.STALE])
    by_id = reader.read_runs(str(sweep[f.EXPERIMENT_ID].iloc[0])).runs
    assert sorted(by_id[f.RUN_NAME]) == sorted(sweep.index)


@pytest.mark.parametrize("fixture", FILE_STORES, ids=lambda p: p.name)
def test_filters_on_fixture_stores_use_mlflows_grammar(fixture: Path, tmp_path: Path) -> None:
    reader = FileReader(str(copy_of(fixture, tmp_path)))
    adam = reader.read(SWEEP, filter_string="params.optimizer = 'adam' and metrics.val_loss < 10")
    assert adam.runs[f.RUN_NAME].tolist() == ["keras-style"]
    assert set(adam.history[f.RUN_ID]) == set(adam.runs[f.RUN_ID])
    owned = reader.read_runs(SWEEP, filter_string="tags.`team/owner` = 'ml-platform'")
    assert owned.runs["params.ключ"].tolist() == ["значение"]
    with pytest.raises(InvalidFilter, match="^invalid filter 'metrics.val_loss <'"):
        reader.read_runs(SWEEP, filter_string="metrics.val_loss <")


def test_a_store_mlflow_317_wrote_reads_as_mlflow_reads_it(written_by_mlflow: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    files = FileReader(str(written_by_mlflow)).read(EXPERIMENT, include_deleted=True)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = ClientReader(written_by_mlflow.as_uri()).read(EXPERIMENT, include_deleted=True)
    assert_same(files, client)
    extremes = files.history[files.history[f.RUN_ID].isin(
        files.runs.loc[files.runs[f.RUN_NAME] == "extremes", f.RUN_ID])]
    values = extremes[extremes[f.KEY] == "val_loss"].set_index(f.STEP)[f.VALUE]
    assert pd.isna(values[1]) and values[2] == float("inf") and values[3] == float("-inf")


def test_folded_names_nested_keys_and_dataset_lines_as_mlflow_317_writes_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    client = MlflowClient(uri)
    run_id = client.create_run(client.create_experiment("layout"), run_name=" ".join(
        ["a long name: with 'quotes', folded by YAML past 80 characters"] * 2)).info.run_id
    for step in (1, 2, 3):
        client.log_metric(run_id, "train/loss", 1 / step, timestamp=1000 + step, step=step)
        client.log_metric(run_id, "val_loss", 0.5 / step, timestamp=1000 + step, step=step,
                          dataset_name="val", dataset_digest="abc123")
    client.log_batch(run_id, params=[Param("note", "line one\r\nline two\n")],
                     tags=[RunTag("team/owner", "ml")])
    theirs = ClientReader(uri).read("layout", extra_keys=("train/loss",))
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    ours = FileReader(uri).read("layout", extra_keys=("train/loss",))
    # no run ended: NaN here as from the SQL reader, None from MLflow's entities
    ended = theirs.runs.assign(end_time=pd.to_numeric(theirs.runs[f.END_TIME]))
    pd.testing.assert_frame_equal(ours.runs, ended, check_dtype=False)
    assert ours.runs["params.note"].tolist() == ["line one\r\nline two\n"]
    # MLflow reads step 0 from a line that names a dataset; the step is in the line
    with_dataset = ours.history[ours.history[f.KEY] == "val_loss"]
    assert with_dataset[f.STEP].tolist() == [1, 2, 3]
    assert set(theirs.history.loc[theirs.history[f.KEY] == "val_loss", f.STEP]) == {0}
    assert_same(ExperimentData("", "", ours.runs, ours.history.assign(step=0, epoch=0.0)),
                ExperimentData("", "", ended, theirs.history.assign(step=0, epoch=0.0)))


def test_older_line_forms_and_a_line_being_written_are_read_as_mlflow_reads_them(
        tmp_path: Path) -> None:
    """Lines `timestamp value` (step 0: the oldest releases' form) and a last line with no
    newline yet, as a writer mid-append leaves it (read when it is whole)."""
    fixture = FILE_STORES[-1]
    store, report = copy_of(fixture, tmp_path), expected(fixture)
    reader = FileReader(str(store))
    run = reader.read_runs(SWEEP).runs.set_index(f.RUN_NAME).loc["keras-style", f.RUN_ID]
    metrics = next(store.glob(f"*/{run}/metrics"))
    (metrics / "val_old").write_text("1700000000000 0.25\n1700000001000 nan\n")
    with open(metrics / "val_loss", "a") as handle:
        handle.write("1700099999999 0.1")
    data = reader.read(SWEEP, include_deleted=True, extra_keys=(*all_keys(report), "val_old"))
    runs, history = actual_frames(data)
    old = history[history[f.KEY] == "val_old"]
    assert old[f.STEP].tolist() == [0, 0] and old[f.VALUE].iloc[0] == 0.25
    assert old[f.VALUE].isna().iloc[1]
    want_runs, want_history = expected_frames(report, SWEEP)
    assert history[history[f.KEY] != "val_old"].reset_index(drop=True).equals(want_history)
    assert runs.to_dict(orient="records") == want_runs.to_dict(orient="records")


def test_history_of_some_runs_since_a_time_is_that_part_of_the_whole(
        written_by_mlflow: Path) -> None:
    reader = FileReader(str(written_by_mlflow))
    runs = reader.read_runs(EXPERIMENT)
    whole = reader.read_history(runs)
    chosen = list(runs.runs.loc[runs.runs[f.RUN_NAME].isin(["duplicates", "stale"]), f.RUN_ID])
    since = int(whole.loc[whole[f.RUN_ID] == chosen[0], f.TIMESTAMP].median())
    part = reader.read_history(runs, run_ids=chosen, since=since)
    want = whole[whole[f.RUN_ID].isin(chosen) & (whole[f.TIMESTAMP] >= since)]
    assert 0 < len(part) < len(whole[whole[f.RUN_ID].isin(chosen)])
    order = [f.RUN_ID, f.KEY, f.STEP, f.TIMESTAMP, f.VALUE]
    pd.testing.assert_frame_equal(part.sort_values(order).reset_index(drop=True),
                                  want.sort_values(order).reset_index(drop=True))
    assert reader.read_history(runs, run_ids=[]).empty


@pytest.mark.parametrize("include_deleted", [False, True])
def test_filters_give_the_runs_mlflows_own_file_store_search_gives(
        written_by_mlflow: Path, include_deleted: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = FileReader(str(written_by_mlflow))
    experiment_id = reader.read_runs(EXPERIMENT).experiment_id
    found = {s: set(reader.read_runs(EXPERIMENT, filter_string=s,
                                     include_deleted=include_deleted).runs[f.RUN_ID])
             for s in FILTERS}
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = written_by_mlflow.as_uri()
    for filter_string in FILTERS:
        mlflows = {run.info.run_id for run in search_all_runs(uri, experiment_id, filter_string,
                                                              include_deleted)}
        assert found[filter_string] == mlflows, filter_string
    assert set() in found.values() and len({frozenset(v) for v in found.values()}) > 5


@pytest.mark.parametrize("which", [*(p.name for p in FILE_STORES), "mlflow-3.17"])
def test_reads_compare_and_the_page_leave_every_byte_as_it_was(
        which: str, tmp_path: Path, request: pytest.FixtureRequest,
        capsys: pytest.CaptureFixture[str]) -> None:
    if which == "mlflow-3.17":
        store, experiment = request.getfixturevalue("written_by_mlflow"), EXPERIMENT
    else:
        store, experiment = copy_of(FILE_STORES[[p.name for p in FILE_STORES].index(which)],
                                    tmp_path), SWEEP
    before = tree_state(store)
    reader = open_reader(f"file://{store}")
    for name in reader.experiment_names():
        runs = reader.read_runs(name, include_deleted=True)
        reader.read_history(runs, extra_keys=("lr",), since=0)
    reader.read(experiment, filter_string="metrics.val_loss < 0.5")
    uri = f"file://{store}"
    assert main(["compare", "--experiment", experiment, "--tracking-uri", uri,
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"]
    client = create_app(DashboardSettings(uri), CachedReader(open_reader(uri))).server.test_client()
    assert client.get("/").status_code == 200
    shown = call(client, SHOW_OUTPUTS, show_inputs(experiment), SHOW_STATE)
    message = shown[f"{ids.MESSAGE}.children"] or ""  # a run left RUNNING: stalled by now
    assert message == "" or message.startswith("1 RUNNING run(s) logged nothing for over")
    assert len(shown[f"{ids.RUNS_TABLE}.rowData"]) >= 5
    said = press(client, ids.CHOOSE, [shown[f"{ids.RUNS_TABLE}.rowData"][0]["run_id"]],
                 experiment=experiment)
    assert said.startswith("Reviews are not written to the file store"), said
    assert tree_state(store) == before


def test_every_way_of_naming_a_file_store_opens_it(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my runs").mkdir()
    store = copy_of(FILE_STORES[-1], tmp_path / "my runs")
    monkeypatch.chdir(tmp_path / "my runs")
    name = store.name
    for uri in (store.as_uri(), f"file://{store}", f"file:./{name}", f"file:{name}",
                f"./{name}", name, str(store)):
        reader = open_reader(uri)
        assert isinstance(reader, FileReader) and reader.root.resolve() == store.resolve(), uri
        assert SWEEP in reader.experiment_names()
    for other in ("databricks", "sqlite:///mlflow.db", "http://mlflow:5000", "foo://bar", ""):
        assert not supports(other), other


def test_a_missing_folder_is_one_clear_line_and_stays_missing(tmp_path: Path) -> None:
    absent = tmp_path / "mlruns"
    for uri in (str(absent), f"file://{absent}", absent.as_uri()):
        with pytest.raises(StoreUnreachable, match=f"no MLflow file store at {absent} ") as raised:
            open_reader(uri)
        assert "\n" not in str(raised.value) and "Traceback" not in str(raised.value)
    assert not absent.exists()


def test_a_folder_or_file_that_is_not_a_store_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "0").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    (tmp_path / "mlflow.db").write_bytes(b"")
    before = tree_state(tmp_path / "notes")
    for path, says in ((tmp_path / "notes", "is not an MLflow file store"),
                       (tmp_path / "mlflow.db", "is a file, not a file store's folder")):
        with pytest.raises(ReaderError, match=f"^cannot open {path}: {path} {says}") as raised:
            open_reader(str(path))
        assert "\n" not in str(raised.value)
    assert tree_state(tmp_path / "notes") == before


def test_reading_a_file_store_imports_no_mlflow(tmp_path: Path) -> None:
    """MLflow is imported for filter strings only: a plain read is folders and files."""
    store = copy_of(FILE_STORES[-1], tmp_path)
    code = ("import sys\nfrom tracking.open import open_reader\n"
            f"reader = open_reader({str(store)!r})\n"
            f"assert len(reader.read({SWEEP!r}, include_deleted=True).history)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mlflow'))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
