"""Run training scripts that autolog to MLflow, each in its own process, and read the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dashboard.cli import main


def write_runs(folder: Path, preamble: str, scripts: dict[str, str],
               env: dict[str, str] | None = None) -> str:
    """Run `preamble + script` for each script into a new SQLite store; return its URI."""
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    base = {"MLFLOW_TRACKING_URI": uri, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(folder)}
    for name, script in scripts.items():
        result = subprocess.run([sys.executable, "-c", preamble + textwrap.dedent(script)],
                                cwd=folder, capture_output=True, text=True, timeout=600,
                                env=base | (env or {}))
        assert result.returncode == 0, f"{name}: {result.stderr[-3000:]}"
    return uri


def compared_runs(uri: str, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict]:
    """`lossboard compare --format json` on the `autologged` experiment, runs by name."""
    assert main(["compare", "--tracking-uri", uri, "--experiment", "autologged",
                 "--format", "json", *args]) == 0
    return {r["run_name"]: r for r in json.loads(capsys.readouterr().out)["runs"]}
