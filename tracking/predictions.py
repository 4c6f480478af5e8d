"""Validation predictions for calibration: fetched only for the runs that logged them.

Lossboard's logger tags a run `lossboard.predictions` (the artifact's path) once its
`lossboard/val_predictions.npz` is stored, so runs without the tag (autologged or hand-logged
runs: most runs) cost nothing; asking the store for a file each of them lacks took 48 of the
50 s `lossboard compare` spent on 1000 such runs.

A file comes from the run's artifact root as the runs frame records it, never through an
MLflow tracking store object (on a database of another MLflow version that object would migrate
it): read in place for local roots; through `ServerSession` (the run's root is proxied by the
tracking server: `mlflow-artifacts:`) from an http(s) server; through MLflow's artifact
repository for anything else (S3, GCS, ...).
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from analysis import frames as f
from analysis.calibration import Predictions
from tracking import keys
from tracking.extras import missing_extra

log = logging.getLogger("lossboard.tracking")

PREDICTIONS_TAG = f.TAG_PREFIX + keys.TAG_PREDICTIONS
MAX_PREDICTIONS_BYTES = 1 << 30


def with_predictions(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of `runs` (a runs frame) whose run logged predictions."""
    if PREDICTIONS_TAG not in runs:
        return runs.iloc[0:0]
    return runs[runs[PREDICTIONS_TAG].notna()]


def load_predictions(runs: pd.DataFrame, tracking_uri: str,
                     progress: Callable[[int], None] | None = None) -> dict[str, Predictions]:
    """(proba, labels) for each run of `runs` that logged predictions; a file that cannot be
    fetched or read only skips its run. `progress(done)` after each file."""
    logged = with_predictions(runs)
    if logged.empty:
        return {}
    fetch = _Fetch(tracking_uri)
    found: dict[str, Predictions] = {}
    warned = False
    for done, (run_id, root, path) in enumerate(logged[
            [f.RUN_ID, f.ARTIFACT_URI, PREDICTIONS_TAG]].itertuples(index=False), start=1):
        try:
            with np.load(fetch(str(root), str(path)), allow_pickle=False) as saved:
                found[str(run_id)] = (saved["proba"], saved["labels"])
        except Exception as error:  # missing, unreadable or not ours: no calibration
            if (needed := missing_extra(error, f"predictions under {root}")) and not warned:
                log.warning("%s; those runs get no calibration", needed)
                warned = True
        if progress:
            progress(done)
    return found


class _Fetch:
    """One artifact file as something `np.load` opens."""

    def __init__(self, tracking_uri: str) -> None:
        self._uri = tracking_uri
        self._fetcher = None
        if urlparse(tracking_uri).scheme in ("http", "https"):
            from tracking.server_http import ServerSession, host_creds

            self._fetcher = ServerSession(host_creds(tracking_uri))

    def __call__(self, root: str, path: str) -> io.BytesIO | Path:
        local = _local_path(root)
        if local is not None:
            return local / path
        from tracking.server_http import proxied_artifact_endpoint

        endpoint = proxied_artifact_endpoint(root, path)
        if endpoint is not None and self._fetcher is not None:
            data = self._fetcher.get_file(endpoint, MAX_PREDICTIONS_BYTES)
            if data is None:
                raise FileNotFoundError(f"no {path} under {root}")
            return io.BytesIO(data)
        return io.BytesIO(_download(root, path, self._uri))


def _local_path(root: str) -> Path | None:
    parsed = urlparse(root)
    if parsed.scheme == "file":
        from mlflow.utils.file_utils import local_file_uri_to_path

        return Path(local_file_uri_to_path(root))  # type: ignore[no-untyped-call]
    return Path(root) if parsed.scheme == "" or len(parsed.scheme) == 1 else None  # C:\...


def _download(root: str, path: str, tracking_uri: str) -> bytes:
    """Through MLflow's artifact repository for `root`. Its `_download_file` fetches one file
    without the progress bar `download_artifacts` draws for each (turning that off means
    writing MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR into the environment)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    repository = get_artifact_repository(root, tracking_uri=tracking_uri)
    with tempfile.TemporaryDirectory(prefix="lossboard-") as folder:
        target = Path(folder) / Path(path).name
        repository._download_file(path, str(target))  # type: ignore[no-untyped-call]
        return target.read_bytes()
