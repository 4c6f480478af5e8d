import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import main

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
