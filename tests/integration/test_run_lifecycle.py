"""Training processes as users run them: same seed same curves; never left RUNNING."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.helpers.demo import TRAIN, train_env
from training.cli import main

LONG_CONFIG = "mlp-128x128-no-decay-long"


def train(uri: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TRAIN), "--no-progress", *args], cwd=cwd,
                          env=train_env(uri), capture_output=True, text=True, timeout=300)


def curves(uri: str) -> dict[tuple[str, str], list[tuple[int, float]]]:
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("lossboard-demo")
    assert experiment is not None
    found = {}
    for run in client.search_runs([experiment.experiment_id]):
        for key in run.data.metrics:
            history = client.get_metric_history(run.info.run_id, key)
            found[(run.info.run_name, key)] = sorted((m.step, m.value) for m in history)
    return found


def test_same_seed_gives_the_same_curves(tmp_path: Path) -> None:
    stores = {name: f"sqlite:///{tmp_path / name}.db" for name in ("a", "b", "other")}
    args = ["--config", "mlp-2-short", "--config", "mlp-8-slow", "--epochs", "4"]
    for name, uri in stores.items():
        seed = "4" if name == "other" else "3"
        assert train(uri, tmp_path, *args, "--seed", seed).returncode == 0
    first, second, other = (curves(uri) for uri in stores.values())
    assert len(first) == 8 and first == second
    assert first != other


def _as_from_a_terminal() -> None:
    # CI runs tests as a background job, where SIGINT is ignored and children inherit that;
    # a user's Ctrl-C in a terminal arrives with the default handler.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_training_and_wait_for_points(uri: str, cwd: Path) -> subprocess.Popen[str]:
    # 5,000 epochs: minutes of training, so the signal always lands mid-training
    process = subprocess.Popen([sys.executable, str(TRAIN), "--no-progress", "--config",
                                LONG_CONFIG, "--epochs", "5000"], cwd=cwd, env=train_env(uri),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_as_from_a_terminal)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"training ended early: {process.communicate()}")
        try:
            if MlflowClient(uri).search_runs(["1"])[0].data.metrics:
                return process
        except Exception:  # the store or the run is not there yet
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail("no metrics appeared within 120 s")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_training_ends_its_run_killed(tmp_path: Path, sig: int, code: int) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    process = start_training_and_wait_for_points(uri, tmp_path)
    process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == code, stderr
    assert "interrupted" in stderr or sig == signal.SIGTERM
    assert "Traceback" not in stderr
    [run] = MlflowClient(uri).search_runs(["1"])
    assert run.info.status == "KILLED"
    assert run.data.metrics  # what was trained before the signal is kept


def test_a_script_that_never_finishes_its_run_leaves_it_killed_not_running(
    tmp_path: Path,
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    script = (
        "from tracking import EpochLogger\n"
        "run = EpochLogger('forgetful', 'r')\n"
        "run.log_epoch(1, val_loss=0.5)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=train_env(uri),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "was not finished by the script" in result.stderr
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("forgetful")
    assert experiment is not None
    [run] = client.search_runs([experiment.experiment_id])
    assert run.info.status == "KILLED" and run.data.metrics == {"val_loss": 0.5}


def test_progress_bar_shows_run_epoch_and_validation_scores(
    sqlite_uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--tracking-uri", sqlite_uri, "--config", "mlp-2-short", "--config",
                 "mlp-8-slow", "--epochs", "3", "--seed", "5", "--seed", "6"]) == 0
    err = capsys.readouterr().err
    assert "run 1/4 mlp-2-short-seed5" in err and "run 4/4 mlp-8-slow-seed6" in err
    assert "3/3" in err and "val_loss=" in err and "val_acc=" in err
