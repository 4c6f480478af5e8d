#!/usr/bin/env bash
# The reader tests again, against the newest MLflow release pyproject.toml's range allows, in a
# venv of their own (.venv-newest-mlflow): the next MLflow release is caught the day it is out,
# not when a user upgrades. scripts/test.sh runs this after the whole suite. Extra arguments go
# to pytest.
#
# A release whose companions are not on the index yet (mlflow 3.18.0 needs mlflow-skinny and
# mlflow-tracing 3.18.0, which are not published) is installed the way the fixtures' venvs do it
# (scripts/make_store_fixtures.py): the pinned MLflow with its dependencies, then the newer full
# `mlflow` wheel, which carries the whole package, with --no-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-newest-mlflow
newest=$(.venv/bin/python scripts/newest_mlflow.py)
pinned=$(.venv/bin/python -c 'import mlflow; print(mlflow.__version__)')
if [ "$newest" = "$pinned" ]; then
  echo "The newest MLflow the range allows is $newest, which the suite just ran with." >&2
  exit 0
fi
stamp="$venv/.installed-$newest"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "Installing MLflow $newest (newest in range; pinned: $pinned) into $venv" >&2
  rm -rf "$venv"
  .venv/bin/python -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  others=$(mktemp)
  grep -v -E '^mlflow(-skinny|-tracing)?==' constraints.txt > "$others"
  if ! "$venv/bin/python" -m pip install --quiet --constraint "$others" --editable ".[dev,mysql]" \
      "mlflow==$newest" 2>/dev/null; then
    echo "mlflow $newest's companions are not on the index: its wheel goes over $pinned's" >&2
    "$venv/bin/python" -m pip install --quiet --constraint constraints.txt --editable ".[dev,mysql]"
    "$venv/bin/python" -m pip uninstall --quiet --yes mlflow mlflow-skinny mlflow-tracing
    "$venv/bin/python" -m pip install --quiet --no-deps "mlflow==$newest"
  fi
  rm -f "$others"
  touch "$stamp"
fi
got=$("$venv/bin/python" -c 'import mlflow; print(mlflow.__version__)')
[ "$got" = "$newest" ] || { echo "error: $venv has MLflow $got, not $newest" >&2; exit 1; }
echo "Reader tests against MLflow $newest" >&2
"$venv/bin/pytest" -p no:cacheprovider tests/unit tests/integration/test_readers.py \
  tests/integration/test_store_versions.py tests/integration/test_file_store.py \
  tests/integration/test_predictions.py tests/integration/test_disk_cache.py \
  tests/integration/test_history_files.py tests/integration/test_compare_cli.py "$@"
