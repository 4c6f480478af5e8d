"""The logger's promises under real faults, on real processes: a user's own training script
stopped by SIGTERM, and a spool folder that cannot be written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.helpers.mlflow_server import free_port
from tracking import EpochLogger, TrackingSettings
from tracking import logger as logger_module
from tracking.spool import SPOOL_FILE

PREAMBLE = """
import signal, sys, time
from tracking import EpochLogger
"""
LOOP = """
for epoch in range(1, 100_001):
    run.log_epoch(epoch, train_loss=1 / epoch, val_loss=2 / epoch)
    print(epoch, flush=True)
    time.sleep(0.002)
"""
SCRIPTS = {
    "with-block": "with EpochLogger('term', 'r') as run:\n" + textwrap.indent(LOOP, "    "),
    "no-finish": "run = EpochLogger('term', 'r')\n" + LOOP,
}


def start(script: str, uri: str, folder: Path, **env: str) -> subprocess.Popen[str]:
    path = folder / "train_script.py"
    path.write_text(PREAMBLE + script)
    environment = dict(os.environ) | {"MLFLOW_TRACKING_URI": uri, "PYTHONPATH": os.getcwd(),
                                      "LOSSBOARD_SPOOL_DIR": str(folder / "unsent")} | env
    return subprocess.Popen([sys.executable, str(path)], cwd=folder, env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def terminate_after(process: subprocess.Popen[str], epochs: int) -> tuple[int, str]:
    """SIGTERM once the script has logged `epochs` epochs; (last epoch printed, stderr)."""
    assert process.stdout is not None
    last = 0
    while last < epochs:
        line = process.stdout.readline()
        assert line, process.communicate(timeout=30)[1]
        last = int(line)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=90)
    return max([last, *map(int, out.split())]), err


def stored_run(uri: str) -> tuple[str, list[int]]:
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("term")
    assert experiment is not None
    [run] = client.search_runs([experiment.experiment_id])
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "val_loss")]
    return run.info.status, sorted(steps)


def stored_points(uri: str) -> int:
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("term")
    runs = client.search_runs([experiment.experiment_id]) if experiment else []
    return sum(len(client.get_metric_history(r.info.run_id, "val_loss")) for r in runs)


@pytest.mark.parametrize("shape", SCRIPTS)
def test_sigterm_ends_a_users_script_killed_with_every_epoch_stored(
    sqlite_uri: str, tmp_path: Path, shape: str
) -> None:
    process = start(SCRIPTS[shape], sqlite_uri, tmp_path)
    last, err = terminate_after(process, epochs=300)
    assert process.returncode == 128 + signal.SIGTERM, err
    status, steps = stored_run(sqlite_uri)
    assert status == "KILLED"
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= last  # no gap, no double
    assert not (tmp_path / "unsent").exists()


def test_a_scripts_own_handler_is_chained_and_put_back(sqlite_uri: str, tmp_path: Path) -> None:
    script = """
stop = []
def graceful(signum, frame):
    stop.append(signum)
signal.signal(signal.SIGTERM, graceful)
with EpochLogger('term', 'r') as run:
    for epoch in range(1, 100_001):
        run.log_epoch(epoch, val_loss=1 / epoch)
        print(epoch, flush=True)
        if stop:
            break
        time.sleep(0.002)
print(signal.getsignal(signal.SIGTERM) is graceful, file=sys.stderr)
"""
    process = start(script, sqlite_uri, tmp_path)
    last, err = terminate_after(process, epochs=100)
    assert process.returncode == 0, err
    assert err.strip().endswith("True")  # the script's handler is back
    status, steps = stored_run(sqlite_uri)
    assert (status, steps) == ("FINISHED", list(range(1, last + 1)))


def test_an_ignored_sigterm_stays_ignored(sqlite_uri: str, tmp_path: Path) -> None:
    script = """
signal.signal(signal.SIGTERM, signal.SIG_IGN)
with EpochLogger('term', 'r') as run:
    for epoch in range(1, 401):
        run.log_epoch(epoch, val_loss=1 / epoch)
        print(epoch, flush=True)
        time.sleep(0.002)
print(signal.getsignal(signal.SIGTERM) == signal.SIG_IGN, file=sys.stderr)
"""
    process = start(script, sqlite_uri, tmp_path)
    _, err = terminate_after(process, epochs=100)
    assert process.returncode == 0 and err.strip().endswith("True"), err
    assert stored_run(sqlite_uri) == ("FINISHED", list(range(1, 401)))


def test_sigterm_with_the_store_down_spools_the_run_without_waiting_out_the_flush(
    tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    process = start(SCRIPTS["with-block"], dead, tmp_path, LOSSBOARD_FLUSH_TIMEOUT="600",
                    LOSSBOARD_REQUEST_TIMEOUT="1")
    last, err = terminate_after(process, epochs=50)  # within 90 s, so not after 600 s of flush
    assert process.returncode == 128 + signal.SIGTERM, err
    [saved] = (tmp_path / "unsent").glob(f"*/{SPOOL_FILE}")
    record = json.loads(saved.read_text())
    steps = sorted({step for key, _, _, step in record["points"] if key == "val_loss"})
    assert record["final_status"] == "KILLED"
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= last


def test_an_unwritable_spool_falls_back_to_the_temporary_folder_and_keeps_the_error(
    tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    (tmp_path / "tmp").mkdir()
    script = """
with EpochLogger('term', 'r') as run:
    for epoch in (1, 2, 3):
        run.log_epoch(epoch, val_loss=1 / epoch)
    raise ValueError("the script's own error")
"""
    process = start(script, f"http://127.0.0.1:{free_port()}", tmp_path,
                    LOSSBOARD_SPOOL_DIR=str(blocker / "unsent"), LOSSBOARD_FLUSH_TIMEOUT="1",
                    LOSSBOARD_REQUEST_TIMEOUT="1", TMPDIR=str(tmp_path / "tmp"))
    _, err = process.communicate(timeout=90)
    assert process.returncode == 1
    assert err.rstrip().endswith("ValueError: the script's own error")
    [saved] = (tmp_path / "tmp" / "lossboard-unsent").glob(f"*/{SPOOL_FILE}")
    assert len(json.loads(saved.read_text())["points"]) == 3
    assert f"lossboard replay {saved.parent}" in err


def test_when_no_folder_can_be_written_the_loss_is_counted_and_the_error_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Both folders failing cannot be made for real as root (the temporary folder falls back
    to /tmp), so the temporary folder is pointed under a file here."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = TrackingSettings(f"http://127.0.0.1:{free_port()}", request_timeout=1,
                                flush_timeout=0.5, spool_dir=blocker / "unsent")
    with pytest.raises(ValueError, match="own error"):
        with EpochLogger("term", "r", settings=settings) as run:
            monkeypatch.setattr(logger_module.tempfile, "gettempdir", lambda: str(blocker))
            for epoch in (1, 2, 3):
                run.log_epoch(epoch, val_loss=1 / epoch, val_accuracy=0.5)
            raise ValueError("own error")
    assert run.report is not None and run.report.lost and not run.report.complete
    assert "3 epoch(s) (6 point(s))" in caplog.text and "they are lost" in caplog.text


def test_sigterm_handler_is_not_left_behind_in_process(sqlite_uri: str, tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    settings = TrackingSettings(sqlite_uri, spool_dir=tmp_path / "unsent")
    outer = EpochLogger("term", "outer", settings=settings)
    inner = EpochLogger("term", "inner", settings=settings)
    assert signal.getsignal(signal.SIGTERM) is not before
    outer.finish()
    assert signal.getsignal(signal.SIGTERM) is not before  # inner still open
    inner.finish()
    assert signal.getsignal(signal.SIGTERM) is before


def test_loggers_starting_together_on_a_new_sqlite_store_all_land(tmp_path: Path) -> None:
    """Before the set-up lock, 3 of 4 runs were refused in 3 of 3 trials (MLflow's schema
    creation racing: "table runs already exists"; with 6 and more, half-migrated schemas)."""
    uri = f"sqlite:///{tmp_path / 'new.db'}"
    script = """
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
with EpochLogger('race', sys.argv[2]) as run:
    for epoch in range(1, 6):
        run.log_epoch(epoch, val_loss=1 / epoch)
print(run.report.complete)
"""
    (tmp_path / "race.py").write_text(PREAMBLE + script)
    env = dict(os.environ) | {"MLFLOW_TRACKING_URI": uri, "PYTHONPATH": os.getcwd(),
                              "LOSSBOARD_SPOOL_DIR": str(tmp_path / "unsent")}
    begin = str(time.time() + 8)  # every process has imported MLflow by then
    processes = [subprocess.Popen([sys.executable, "race.py", begin, f"r{i}"], cwd=tmp_path,
                                  env=env, text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for i in range(6)]
    outputs = [p.communicate(timeout=180) for p in processes]
    assert [out.strip() for out, _ in outputs] == ["True"] * 6, [err for _, err in outputs]
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("race")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.info.run_name for r in runs) == [f"r{i}" for i in range(6)]
    assert all(r.info.status == "FINISHED" and r.data.metrics["val_loss"] == 0.2 for r in runs)
    assert not (tmp_path / "unsent").exists()


def test_a_refused_param_is_set_aside_and_the_rest_of_the_run_lands(
    sqlite_uri: str, tmp_path: Path
) -> None:
    script = """
with EpochLogger('term', 'r', params={'lr': 0.01}) as run:
    for epoch in range(1, 201):
        if epoch == 50:
            run.log_params({'lr': 0.02, 'batch': 32})  # lr was 0.01: MLflow refuses a change
        run.log_epoch(epoch, val_loss=1 / epoch, val_accuracy=epoch / 200)
print(run.report.refused, run.report.refused_file)
"""
    process = start(script, sqlite_uri, tmp_path)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    count, path = out.split()
    status, steps = stored_run(sqlite_uri)
    assert (status, steps, count) == ("FINISHED", list(range(1, 201)), "1")
    client = MlflowClient(sqlite_uri)
    [run] = client.search_runs([client.get_experiment_by_name("term").experiment_id])
    assert run.data.params == {"lr": "0.01", "batch": "32"}
    [refused] = json.loads(Path(tmp_path, path).read_text())["refused"]
    assert (refused["kind"], refused["key"], refused["value"]) == ("params", "lr", "0.02")
    assert err.count("refused param 'lr'") == 1 and "'batch'" not in err


def test_replay_isolates_a_refused_item_instead_of_failing_forever(
    sqlite_uri: str, tmp_path: Path
) -> None:
    import sqlite3

    from tracking import replay_spool
    from tracking.spool import REFUSED_FILE

    settings = TrackingSettings(sqlite_uri, request_timeout=1, flush_timeout=1,
                                spool_dir=tmp_path / "unsent")
    run = EpochLogger("term", "r", params={"lr": 0.01}, settings=settings)
    assert run.wait_until_sent(60)
    lock = sqlite3.connect(tmp_path / "mlflow.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the store is busy: what follows is spooled
    run.log_params({"lr": 0.02})
    for epoch in (1, 2, 3):
        run.log_epoch(epoch, val_loss=1 / epoch)
    report = run.finish()
    lock.close()
    assert report.spool is not None

    for _ in range(2):  # a second replay finds nothing left to send
        replayed = replay_spool(report.spool, settings)
        assert replayed.refused == 1 and replayed.spool is None
        if not (report.spool / SPOOL_FILE).exists():
            break
    assert not (report.spool / SPOOL_FILE).exists()
    assert json.loads((report.spool / REFUSED_FILE).read_text())["refused"][0]["key"] == "lr"
    status, steps = stored_run(sqlite_uri)
    assert (status, steps) == ("FINISHED", [1, 2, 3])


def test_a_sigkilled_run_is_shown_stalled_and_stops_the_refresh(
    sqlite_uri: str, tmp_path: Path
) -> None:
    """SIGKILL leaves the run RUNNING forever; once it has been quiet for
    LOSSBOARD_STALLED_SECONDS the page calls it stalled and stops polling for it."""
    from dashboard import ids
    from dashboard.app import create_app
    from dashboard.settings import DashboardSettings
    from tests.helpers.dash_client import SHOW_OUTPUTS, SHOW_STATE, call, show_inputs
    from tracking.cache import CachedReader
    from tracking.open import open_reader

    script = SCRIPTS["with-block"].replace("val_loss=2 / epoch", "val_loss=2 / epoch, "
                                           "val_accuracy=1 - 1 / (epoch + 1)")
    process = start(script, sqlite_uri, tmp_path, LOSSBOARD_SEND_INTERVAL="0.05")
    assert process.stdout is not None
    while int(process.stdout.readline() or 0) < 40:
        pass
    deadline = time.monotonic() + 60
    while not stored_points(sqlite_uri) and time.monotonic() < deadline:
        time.sleep(0.1)  # until the sender has written some of what was logged
    process.kill()
    process.communicate(timeout=30)
    assert stored_run(sqlite_uri)[0] == "RUNNING"

    def shown(stalled_seconds: float) -> dict[str, object]:
        settings = DashboardSettings(sqlite_uri, stalled_seconds=stalled_seconds)
        page = create_app(settings, CachedReader(open_reader(sqlite_uri))).server.test_client()
        return call(page, SHOW_OUTPUTS, show_inputs("term"), SHOW_STATE)

    live = shown(3600)
    assert live[f"{ids.REFRESH}.disabled"] is False
    assert live[f"{ids.RUNS_TABLE}.rowData"][0]["status"] == "RUNNING"
    time.sleep(1.5)
    quiet = shown(1)
    assert quiet[f"{ids.REFRESH}.disabled"] is True
    assert quiet[f"{ids.RUNS_TABLE}.rowData"][0]["status"] == "RUNNING (stalled)"
    assert "1 RUNNING run(s) logged nothing for over 1 s" in str(quiet[f"{ids.MESSAGE}.children"])
