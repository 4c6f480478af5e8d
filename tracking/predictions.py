"""Validation predictions logged as `lossboard/val_predictions.npz`, fetched for calibration."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from tracking import keys
from tracking.reader import Predictions

_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


def load_predictions(uri: str, run_ids: Iterable[str],
                     progress: Callable[[int], None] | None = None) -> dict[str, Predictions]:
    """(proba, labels) for each run that logged predictions; runs without them are skipped."""
    client = MlflowClient(uri)
    found: dict[str, Predictions] = {}
    with _no_bar_per_file(), tempfile.TemporaryDirectory(prefix="lossboard-") as folder:
        for done, run_id in enumerate(run_ids, start=1):
            try:
                path = client.download_artifacts(run_id, keys.PREDICTIONS_ARTIFACT, folder)
                with np.load(path) as saved:
                    found[run_id] = (saved["proba"], saved["labels"])
            except (MlflowException, OSError, KeyError, ValueError):
                pass  # no predictions logged (or unreadable): no calibration for this run
            if progress:
                progress(done)
    return found


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
