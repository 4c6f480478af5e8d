#!/usr/bin/env bash
# The demo in one command: set up, then train the demo sweeps for real and log them to MLflow
# (MLFLOW_TRACKING_URI when set, else the embedded SQLite store ./mlflow.db).
# Extra arguments go to `lossboard train` (see `.venv/bin/lossboard train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/lossboard train "$@"
uri=${MLFLOW_TRACKING_URI:-sqlite:///mlflow.db}
cat <<TXT

The demo runs are in $uri. To browse them now with MLflow's own UI:
  .venv/bin/mlflow ui --backend-store-uri $uri --host 127.0.0.1 --port 5000
and open http://127.0.0.1:5000 (Lossboard's dashboard replaces this step once it lands).
Where loss and accuracy disagree, on the terminal:
  .venv/bin/lossboard compare --experiment lossboard-demo --tracking-uri $uri
TXT
