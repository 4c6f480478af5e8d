#!/usr/bin/env bash
# The demo in one command: set up, train the demo sweeps for real and log them to MLflow
# (MLFLOW_TRACKING_URI when set, else the embedded SQLite store ./mlflow.db), then serve the
# dashboard on http://127.0.0.1:8050/.
# Extra arguments go to `lossboard train` (see `.venv/bin/lossboard train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/lossboard train "$@"
uri=${MLFLOW_TRACKING_URI:-sqlite:///mlflow.db}
cat <<TXT

The demo runs are in $uri. The same comparison on the terminal:
  .venv/bin/lossboard compare --experiment lossboard-demo --tracking-uri $uri
Starting the dashboard: open http://127.0.0.1:${LOSSBOARD_PORT:-8050}/ (Ctrl-C stops it).
TXT
exec .venv/bin/lossboard serve --tracking-uri "$uri"
