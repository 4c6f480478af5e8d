"""Write side for training scripts: per-epoch train/val loss and accuracy into MLflow.

    with EpochLogger("my-experiment", "wide-mlp", params={"lr": 0.01}) as run:
        for epoch in range(1, epochs + 1):
            ...
            run.log_epoch(epoch, train_loss=tl, train_accuracy=ta, val_loss=vl, val_accuracy=va)
        run.log_predictions(val_proba, val_labels)
        run.log_model(fitted_sklearn_model)  # optional: registrable from the dashboard

Training never waits on the store: a background sender writes each epoch as it comes. Nothing
is lost when the store is unreachable or locked: points are buffered and re-sent with back-off,
and what still cannot be written when the run ends is saved to a spool folder that
`lossboard replay` sends later. The run always ends FINISHED, FAILED (an exception) or KILLED
(Ctrl-C, or SIGTERM: see `tracking.signals`), never left RUNNING.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from tracking import keys, signals
from tracking.model_files import sklearn_model_files
from tracking.outbox import PendingRun, Point, Refused
from tracking.retry import Backoff
from tracking.sender import Change, Sender
from tracking.settings import TrackingSettings
from tracking.spool import write_refused, write_spool
from tracking.values import checked_key, checked_number, checked_step

log = logging.getLogger("lossboard.tracking")

# After SIGTERM, unsent data is retried this long at most before it is spooled: docker stop
# and Kubernetes send SIGKILL 10 s (by default) after SIGTERM, which would lose it.
TERMINATED_FLUSH_SECONDS = 5.0


@dataclass(frozen=True)
class FlushReport:
    """How a run ended: its id (None if never created), where unsent data was saved, whether
    some was lost (no folder could be written), and what the store refused."""

    run_id: str | None
    status: str
    spool: Path | None
    unsent_epochs: int
    lost: bool = False  # unsent data that could not be saved either
    refused: int = 0  # items the store would not take (reported by name, never re-sent)
    refused_file: Path | None = None  # where they were saved for inspection

    @property
    def complete(self) -> bool:
        return self.spool is None and not self.lost and not self.refused


def status_for_exit(exc_type: type[BaseException] | None, exc: BaseException | None) -> str:
    """MLflow run status for a training block that ended with `exc` (None: it finished)."""
    if exc_type is None:
        return "FINISHED"
    if isinstance(exc, SystemExit) and exc.code in (0, None):
        return "FINISHED"
    if issubclass(exc_type, KeyboardInterrupt | SystemExit):
        return "KILLED"
    return "FAILED"


class EpochLogger:
    """One MLflow run of a training loop; see the module docstring for an example."""

    def __init__(
        self,
        experiment: str,
        run_name: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        settings: TrackingSettings | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        token = uuid.uuid4().hex
        settings = settings or TrackingSettings.from_env()
        pending = PendingRun(
            tracking_uri=settings.tracking_uri,
            experiment_name=experiment,
            run_name=run_name or f"run-{token[:8]}",
            token=token,
        )
        self._attach(pending, settings, backoff)
        self.set_tags({keys.TAG_LOGGER_VERSION: "1"} | dict(tags or {}))
        self.log_params(params or {})

    @classmethod
    def resume(
        cls, pending: PendingRun, settings: TrackingSettings, backoff: Backoff | None = None
    ) -> EpochLogger:
        """A logger that carries on sending a run saved earlier (see `replay_spool`)."""
        logger = cls.__new__(cls)
        logger._attach(pending, settings, backoff)
        return logger

    def _attach(
        self, pending: PendingRun, settings: TrackingSettings, backoff: Backoff | None
    ) -> None:
        self.settings = settings
        self.report: FlushReport | None = None
        self._run_name = pending.run_name
        self._params: dict[str, str] = {}  # what this logger has queued, to refuse changes
        self._scratch = Path(tempfile.mkdtemp(prefix="lossboard-"))
        self._sender = Sender(pending, settings, backoff)
        atexit.register(self._finish_at_exit)
        self._holds_signal = signals.hold()

    @property
    def run_id(self) -> str | None:
        """MLflow run id, known once the run could be created in the store."""
        return self._sender.pending.run_id

    def __enter__(self) -> EpochLogger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish(status_for_exit(exc_type, exc))

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Queue params. A param already logged with another value is refused as MLflow would
        refuse it (a run's params are fixed): reported once by name, kept in the report,
        never raised into training; the first value stays."""
        values = {checked_key(k): str(v) for k, v in params.items()}
        refused = [Refused("params", k, v, None, f"already logged as {self._params[k]!r}; "
                           "a run's params cannot change")
                   for k, v in values.items() if self._params.get(k, v) != v]
        accepted = {k: v for k, v in values.items() if k not in self._params}
        self._params |= accepted
        for item in refused:
            log.error("run %r: refused %s; the rest of the run is still sent", self._run_name,
                      item)

        def queue(run: PendingRun) -> None:
            run.params.update(accepted)
            run.refused.extend(refused)

        self._submit(queue)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        values = {checked_key(k): str(v) for k, v in tags.items()}
        self._submit(lambda run: run.tags.update(values))

    def log_class_balance(self, train_labels: Any, val_labels: Any) -> float:
        """Tag class counts, the validation set's size and the accuracy of always predicting the
        training majority class."""
        train = np.asarray(train_labels).astype(int)
        val = np.asarray(val_labels).astype(int)
        classes, counts = np.unique(train, return_counts=True)
        majority = int(classes[np.argmax(counts)])
        baseline = float(np.mean(val == majority)) if val.size else math.nan
        self.set_tags(
            {
                keys.TAG_N_CLASSES: len(np.union1d(classes, np.unique(val))),
                keys.TAG_N_VAL: val.size,
                keys.TAG_CLASS_COUNTS: json.dumps(
                    {str(c): int(n) for c, n in zip(classes, counts, strict=True)}
                ),
                keys.TAG_MAJORITY_BASELINE: repr(baseline),
            }
        )
        return baseline

    def log_epoch(
        self,
        epoch: int,
        *,
        train_loss: float | None = None,
        train_accuracy: float | None = None,
        val_loss: float | None = None,
        val_accuracy: float | None = None,
        **more: float,
    ) -> None:
        """Record one epoch's metrics at step=`epoch`; returns at once (sent in background)."""
        step = checked_step(epoch)
        named = {
            keys.TRAIN_LOSS: train_loss,
            keys.TRAIN_ACCURACY: train_accuracy,
            keys.VAL_LOSS: val_loss,
            keys.VAL_ACCURACY: val_accuracy,
        }
        values = {k: v for k, v in named.items() if v is not None} | more
        now = int(time.time() * 1000)
        points = [Point(checked_key(k), checked_number(k, v), now, step) for k, v in values.items()]
        self._submit(lambda run: run.points.extend(points))

    def log_predictions(self, proba: Any, labels: Any) -> None:
        """Queue validation predictions as `lossboard/val_predictions.npz` (proba, labels)."""
        proba_arr = np.asarray(proba, dtype=np.float32)
        labels_arr = np.asarray(labels).astype(np.int64)
        if proba_arr.ndim != 2 or labels_arr.shape != (proba_arr.shape[0],):
            raise ValueError(
                f"expected proba (n, classes) and labels (n,), got {proba_arr.shape} "
                f"and {labels_arr.shape}"
            )
        folder = Path(tempfile.mkdtemp(dir=self._scratch))
        path = folder / keys.PREDICTIONS_FILE
        np.savez_compressed(path, proba=proba_arr, labels=labels_arr)
        entry = (str(path), keys.ARTIFACT_DIR)

        def queue(run: PendingRun) -> None:
            run.artifacts.append(entry)
            run.artifact_tags[keys.TAG_PREDICTIONS] = keys.PREDICTIONS_ARTIFACT

        self._submit(queue)

    def log_model(self, model: Any) -> None:
        """Queue a fitted scikit-learn model as a `model` folder (MLmodel, skops file,
        requirements)."""
        files = sklearn_model_files(model, Path(tempfile.mkdtemp(dir=self._scratch)))
        self._submit(lambda run: run.artifacts.extend(files))

    def wait_until_sent(self, timeout: float) -> bool:
        """Block until everything logged so far is in the store (True) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while not self._sender.sent_everything():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def finish(self, status: str = "FINISHED") -> FlushReport:
        """End the run with `status`, retrying unsent data for up to `flush_timeout` seconds."""
        if self.report is None:
            atexit.unregister(self._finish_at_exit)
            flush = self.settings.flush_timeout
            if signals.received():
                flush = min(flush, TERMINATED_FLUSH_SECONDS)
            try:
                self.report = self._final_report(status, self._sender.close(status, flush))
            finally:
                shutil.rmtree(self._scratch, ignore_errors=True)
                if self._holds_signal:
                    self._holds_signal = False
                    signals.release()
            if self._sender.interrupted is not None:
                raise self._sender.interrupted
        return self.report

    def _finish_at_exit(self) -> None:
        log.warning("run %r was not finished by the script: ending it KILLED", self._run_name)
        self.finish("KILLED")

    def _submit(self, change: Change) -> None:
        if self.report is not None:
            raise RuntimeError(f"run {self._run_name!r} has already finished")
        self._sender.submit(change)

    def _final_report(self, status: str, left: PendingRun) -> FlushReport:
        refusals = self._refusals(left)
        if left.is_empty():
            return FlushReport(left.run_id, status, None, 0, **refusals)
        reason = self._sender.rejected or f"{self.settings.tracking_uri} is unreachable"
        spool = self._save(left, write_spool)
        what = (f"run {left.run_name!r} ({left.run_id or 'not created'}): {left.unsent_epochs()} "
                f"epoch(s) ({len(left.points)} point(s)) and the run's end could not be written: "
                f"{reason}")
        if spool is None:
            log.error("%s, and could not be saved anywhere: they are lost", what)
            return FlushReport(left.run_id, status, None, left.unsent_epochs(), lost=True,
                               **refusals)
        log.error("%s. Saved to %s; send it later with: lossboard replay %s", what, spool, spool)
        return FlushReport(left.run_id, status, spool, left.unsent_epochs(), **refusals)

    def _refusals(self, left: PendingRun) -> dict[str, Any]:
        if not left.refused:
            return {}
        saved = self._save(left, write_refused)
        log.warning("run %r: the store refused %d item(s)%s", left.run_name, len(left.refused),
                    f"; they are listed in {saved}" if saved else "")
        return {"refused": len(left.refused), "refused_file": saved}

    def _save(self, left: PendingRun, write: Callable[[PendingRun, Path], Path]) -> Path | None:
        """`write` under the spool folder, else under the temporary directory; None if neither
        can be written (the error is logged, never raised over the script's own)."""
        for root in (self.settings.spool_dir, Path(tempfile.gettempdir()) / "lossboard-unsent"):
            try:
                return write(left, root)
            except (OSError, TypeError, ValueError) as error:
                log.warning("cannot save unsent data to %s: %s", root, error)
        return None
