#!/usr/bin/env python3
"""Print the newest MLflow release on the package index that pyproject.toml's range allows
(e.g. `mlflow>=3.17,<4` -> 3.18.0), for scripts/test-newest-mlflow.sh."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent


def mlflow_requirement() -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(d) for d in project["dependencies"] if re.match(r"mlflow\b", d)]
    if len(found) != 1:
        raise SystemExit("pyproject.toml names mlflow once in its dependencies")
    return found[0]


def released() -> list[Version]:
    """Every release of mlflow on the index pip uses (`pip index versions`)."""
    answer = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "mlflow"],
                            capture_output=True, text=True, check=True).stdout
    listed = re.search(r"Available versions: (.+)", answer)
    if listed is None:
        raise SystemExit(f"pip index versions mlflow said: {answer.strip()[:300]}")
    versions = []
    for text in listed.group(1).split(", "):
        try:
            versions.append(Version(text.strip()))
        except InvalidVersion:
            continue
    return versions


def main() -> int:
    requirement = mlflow_requirement()
    allowed = [v for v in released() if not v.is_prerelease and v in requirement.specifier]
    if not allowed:
        raise SystemExit(f"no release of mlflow on the index matches {requirement}")
    print(max(allowed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
