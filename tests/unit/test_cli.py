import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from dashboard.cli import main
from tests.helpers.mlflow_server import free_port
from tracking import EpochLogger, TrackingSettings

ROOT = Path(__file__).resolve().parents[2]


def test_train_script_help_explains_every_flag() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), "--help"],
                            capture_output=True, text=True, check=True)
    for flag in ("--experiment", "--sweep", "--config", "--epochs", "--seed", "--tracking-uri",
                 "--list", "--no-progress"):
        assert flag in result.stdout


def test_list_names_every_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--list"]) == 0
    out = capsys.readouterr().out
    assert "mlp-256-no-decay-long" in out and "mlp-8-short" in out and "overconfident" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["train", "--config", "nope"], "unknown configuration(s): nope"),
     (["train", "--epochs", "0"], "--epochs must be at least 1")],
)
def test_bad_arguments_exit_2_with_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {message}"


def test_a_port_out_of_range_is_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "99999"])
    assert exited.value.code == 2
    assert "argument --port: '99999' is not a port number (1 to 65535)" in capsys.readouterr().err


def test_bad_environment_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOSSBOARD_FLUSH_TIMEOUT", "never")
    assert main(["train"]) == 2
    assert "LOSSBOARD_FLUSH_TIMEOUT='never' is not a number" in capsys.readouterr().err


def test_replay_of_a_folder_without_saved_runs_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path)]) == 2
    assert "holds no saved run" in capsys.readouterr().err


def test_replay_sends_saved_runs_to_the_chosen_store(
    sqlite_uri: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = TrackingSettings(f"http://127.0.0.1:{free_port()}", request_timeout=1,
                            flush_timeout=0.5, spool_dir=tmp_path / "unsent")
    with EpochLogger("saved", "r", settings=dead) as run:
        run.log_epoch(1, val_loss=0.25)
    assert run.report is not None and run.report.spool is not None

    assert main(["replay", str(tmp_path / "unsent"), "--tracking-uri", sqlite_uri]) == 0
    assert "FINISHED: sent" in capsys.readouterr().out
    experiment = MlflowClient(sqlite_uri).get_experiment_by_name("saved")
    assert experiment is not None
    [stored] = MlflowClient(sqlite_uri).search_runs([experiment.experiment_id])
    assert stored.data.metrics == {"val_loss": 0.25}
    assert main(["replay", str(tmp_path / "unsent")]) == 2  # nothing left to send


def test_replay_sends_to_mlflow_tracking_uri_when_it_is_set(sqlite_uri: str,
                                                            tmp_path: Path) -> None:
    dead = TrackingSettings(f"http://127.0.0.1:{free_port()}", request_timeout=1,
                            flush_timeout=0.5, spool_dir=tmp_path / "unsent")
    with EpochLogger("saved", "r", settings=dead) as run:
        run.log_epoch(1, val_loss=0.5)
    lossboard = str(Path(sys.executable).with_name("lossboard"))
    env = dict(os.environ) | {"MLFLOW_TRACKING_URI": sqlite_uri}
    done = subprocess.run([lossboard, "replay", str(tmp_path / "unsent")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    experiment = MlflowClient(sqlite_uri).get_experiment_by_name("saved")
    assert experiment is not None
    [stored] = MlflowClient(sqlite_uri).search_runs([experiment.experiment_id])
    assert (stored.data.metrics, stored.info.status) == ({"val_loss": 0.5}, "FINISHED")
