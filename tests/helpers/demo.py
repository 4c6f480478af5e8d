"""The real demo sweep, trained as a user trains it (`python scripts/train.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "scripts" / "train.py"


def train_env(uri: str, **extra: str) -> dict[str, str]:
    return os.environ | {"MLFLOW_TRACKING_URI": uri, "PYTHONUNBUFFERED": "1"} | extra


@dataclass(frozen=True)
class DemoStore:
    uri: str
    stdout: str


def train_demo(folder: Path) -> DemoStore:
    """`python scripts/train.py` with no arguments into a new SQLite store in `folder`."""
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    result = subprocess.run([sys.executable, str(TRAIN), "--no-progress"], cwd=folder,
                            env=train_env(uri), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return DemoStore(uri, result.stdout)
