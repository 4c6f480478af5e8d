"""Train one configuration epoch by epoch and log every epoch through `EpochLogger`."""

from __future__ import annotations

import signal
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier

from tracking import EpochLogger, TrackingSettings, keys
from tracking.logger import FlushReport
from training.datasets import Split, load_split
from training.sweep import PlannedRun, RunConfig


@dataclass(frozen=True)
class Scores:
    loss: float
    accuracy: float


@dataclass(frozen=True)
class RunResult:
    experiment: str
    name: str
    report: FlushReport
    final_val: Scores | None
    baseline_accuracy: float


EpochCallback = Callable[[int, Scores], None]


class EpochSink(Protocol):
    """Where `fit_and_log` reports: an `EpochLogger`, or anything with the same methods."""

    def log_epoch(self, epoch: int, *, train_loss: float | None = ..., train_accuracy: float
                  | None = ..., val_loss: float | None = ..., val_accuracy: float | None = ...,
                  **more: float) -> None: ...

    def log_predictions(self, proba: Any, labels: Any) -> None: ...

    def log_model(self, model: Any) -> None: ...


class CtrlCGuard:
    """Remembers Ctrl-C so it can be raised again where a library swallowed it.

    scikit-learn's MLP `partial_fit` catches KeyboardInterrupt and only warns, so training
    would go on; the guard notes the signal and `check()` raises it after the call returns.
    """

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None

    def __enter__(self) -> CtrlCGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.pressed = True
        if callable(self._previous):
            self._previous(signum, frame)
        else:
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt


def score(model: MLPClassifier, x: NDArray[np.float64], y: NDArray[np.int64],
          classes: NDArray[np.int64]) -> Scores:
    proba = model.predict_proba(x)
    accuracy = float(np.mean(classes[np.argmax(proba, axis=1)] == y))
    return Scores(float(log_loss(y, proba, labels=classes)), accuracy)


def build_model(config: RunConfig, seed: int) -> MLPClassifier:
    return MLPClassifier(
        hidden_layer_sizes=config.hidden_layers,
        alpha=config.weight_decay,
        learning_rate_init=config.learning_rate,
        batch_size=config.batch_size,
        random_state=seed,
    )


def _one_epoch(model: MLPClassifier, split: Split, ctrl_c: CtrlCGuard) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Training interrupted by user")
        model.partial_fit(split.x_train, split.y_train, classes=split.classes)
    ctrl_c.check()


def fit_and_log(config: RunConfig, split: Split, seed: int, run: EpochSink,
                on_epoch: EpochCallback | None = None) -> Scores | None:
    """One pass over the training data per epoch; logs train and validation scores each epoch."""
    model = build_model(config, seed)
    val: Scores | None = None
    with CtrlCGuard() as ctrl_c:
        for epoch in range(1, config.epochs + 1):
            _one_epoch(model, split, ctrl_c)
            train = score(model, split.x_train, split.y_train, split.classes)
            val = score(model, split.x_val, split.y_val, split.classes)
            run.log_epoch(epoch, train_loss=train.loss, train_accuracy=train.accuracy,
                          val_loss=val.loss, val_accuracy=val.accuracy)
            if on_epoch is not None:
                on_epoch(epoch, val)
    run.log_predictions(model.predict_proba(split.x_val), split.y_val)
    run.log_model(model)
    return val


def train_planned(planned: PlannedRun, settings: TrackingSettings,
                  on_epoch: EpochCallback | None = None) -> RunResult:
    """Train and log one planned run; the run ends FAILED or KILLED if training raises."""
    config, seed = planned.config, planned.seed
    split = load_split(config.dataset)
    tags = {keys.TAG_DATASET: config.dataset, keys.TAG_MODEL_FAMILY: config.model_family,
            "lossboard.demo.intent": config.intent}
    params = config.params() | {"seed": seed}
    run = EpochLogger(planned.experiment, planned.run_name, params=params, tags=tags,
                      settings=settings)
    with run:
        baseline = run.log_class_balance(split.y_train, split.y_val)
        final_val = fit_and_log(config, split, seed, run, on_epoch)
    assert run.report is not None
    return RunResult(planned.experiment, planned.run_name, run.report, final_val, baseline)
