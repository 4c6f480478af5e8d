"""Validation predictions logged as `lossboard/val_predictions.npz`, fetched for calibration.

From a tracking server that proxies the run's artifacts (`mlflow-artifacts:` roots), each file
comes with two GETs through `FileFetcher` (the run, then the file), free of the delayed-ACK wait
MLflow's own session meets on multi-worker servers (see `tracking.file_fetch`). Other stores go
through MLflow's `download_artifacts`.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlparse

import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.utils.credentials import get_default_host_creds

from analysis.calibration import Predictions
from tracking import keys
from tracking.file_fetch import FileFetcher, proxied_artifact_endpoint

_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
MAX_RUN_BYTES = 16 << 20  # a run's JSON, params and tags included
MAX_PREDICTIONS_BYTES = 1 << 30


def load_predictions(uri: str, run_ids: Iterable[str],
                     progress: Callable[[int], None] | None = None) -> dict[str, Predictions]:
    """(proba, labels) for each run that logged predictions; runs without them are skipped."""
    client = MlflowClient(uri)
    fetcher = None
    if urlparse(uri).scheme in ("http", "https"):
        fetcher = FileFetcher(get_default_host_creds(uri))  # type: ignore[no-untyped-call]
    found: dict[str, Predictions] = {}
    with _no_bar_per_file(), tempfile.TemporaryDirectory(prefix="lossboard-") as folder:
        for done, run_id in enumerate(run_ids, start=1):
            try:
                with np.load(_open(client, fetcher, run_id, folder)) as saved:
                    found[run_id] = (saved["proba"], saved["labels"])
            except (MlflowException, OSError, KeyError, ValueError):
                pass  # no predictions logged (or unreadable): no calibration for this run
            if progress:
                progress(done)
    return found


def _open(client: MlflowClient, fetcher: FileFetcher | None, run_id: str,
          folder: str) -> io.BytesIO | Path:
    """The run's predictions file; OSError or MlflowException when it has none."""
    endpoint = _served_at(fetcher, run_id) if fetcher else None
    if fetcher is None or endpoint is None:
        return Path(client.download_artifacts(run_id, keys.PREDICTIONS_ARTIFACT, folder))
    data = fetcher.get(endpoint, MAX_PREDICTIONS_BYTES)
    if data is None:
        raise FileNotFoundError(f"no {keys.PREDICTIONS_ARTIFACT} in run {run_id}")
    return io.BytesIO(data)


def _served_at(fetcher: FileFetcher, run_id: str) -> str | None:
    """Where the server serves the run's predictions, if it proxies the run's artifacts."""
    answer = fetcher.get(f"/api/2.0/mlflow/runs/get?run_id={quote(run_id)}", MAX_RUN_BYTES)
    info = json.loads(answer or b"{}").get("run", {}).get("info", {})
    return proxied_artifact_endpoint(info.get("artifact_uri"), keys.PREDICTIONS_ARTIFACT)


@contextmanager
def _no_bar_per_file() -> Iterator[None]:
    """MLflow draws a progress bar for every artifact download; the caller draws one for all."""
    before = os.environ.get(_BAR)
    os.environ[_BAR] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_BAR, None)
        else:
            os.environ[_BAR] = before
