"""The logger's promises under real faults, on real processes: a user's own training script
stopped by SIGTERM, and a spool folder that cannot be written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
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
