#!/usr/bin/env bash
# The whole test suite in one command: set up, lint, type-check, then every test, then the reader
# tests against the newest MLflow release the dependency range allows (scripts/test-newest-mlflow.sh).
# Extra arguments go to pytest and run only that (e.g. scripts/test.sh tests/unit -x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev,autolog,mysql
scripts/install-browser.sh
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/pytest "$@"
if [ $# -eq 0 ]; then
  scripts/test-newest-mlflow.sh
fi
