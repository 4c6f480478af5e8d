#!/usr/bin/env bash
# Create .venv with Python >= 3.11 and install Lossboard with the extras named in $1 (default
# "dev"; scripts/test.sh adds "autolog" and "mysql"), pinned by constraints.txt. Re-running is quick: it
# reinstalls only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python=$(find_python) || { echo "error: Lossboard needs Python 3.11 or newer (set PYTHON=...)" >&2; exit 1; }
  echo "Creating .venv with $python" >&2
  "$python" -m venv .venv || {
    echo "error: could not create .venv; on Debian install the venv module: apt-get install python3-venv" >&2
    exit 1
  }
fi

extras=${1:-dev}
stamp=".venv/.lossboard-installed-${extras//,/-}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "Installing Lossboard into .venv (a minute or two the first time)" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --constraint constraints.txt --editable ".[$extras]"
  touch "$stamp"
fi
