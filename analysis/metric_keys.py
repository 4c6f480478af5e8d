"""Which metric keys are train/validation loss and accuracy, with no configuration.

Recognised, among others:
  Lossboard          train_loss, train_accuracy, val_loss, val_accuracy
  Keras (autolog)    loss, accuracy, val_loss, val_accuracy (also acc, *categorical_accuracy)
  XGBoost            <eval>-logloss, <eval>-mlogloss, <eval>-error, <eval>-merror
                     (eval sets train / validation_0, validation_1, ... / eval / test)
  LightGBM           training-binary_logloss, valid_0-multi_logloss, valid_1-binary_error ...
  HF Trainer         loss (train, per logging step), eval_loss, eval_accuracy; `epoch`
  Lightning          whatever self.log was given: train_loss, val_acc, val/loss, and the
                     _step / _epoch variants on_step+on_epoch logging adds; `epoch`
  hand-written       val/loss, valid_acc, validation_accuracy, eval-acc, test_accuracy ...
A key is read as [split words] + metric; any other word (kl_loss, val_loss_ema, top5_acc)
means it is not the plain cross-entropy or accuracy, and it is left alone. A key with no split
word is a training metric (Keras' and HF's `loss`). Error rates are metric "error": accuracy is
derived from them as 1 - error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

LOSS, ACCURACY, ERROR = "loss", "accuracy", "error"
TRAIN, VAL = "train", "val"
EPOCH_KEY = "epoch"

_SPLIT_WORDS = {  # word -> (split, preference: lower is preferred)
    "train": (TRAIN, 0), "training": (TRAIN, 0), "trn": (TRAIN, 1),
    "val": (VAL, 0), "valid": (VAL, 0), "validation": (VAL, 0),
    "eval": (VAL, 1), "evaluation": (VAL, 1), "dev": (VAL, 1), "test": (VAL, 2),
}
_METRIC_WORDS = {
    LOSS: {"loss", "logloss", "mlogloss", "nll", "xentropy", "crossentropy", "cross_entropy",
           "binary_logloss", "multi_logloss", "log_loss"},
    ACCURACY: {"accuracy", "acc", "top1", "categorical_accuracy", "sparse_categorical_accuracy",
               "binary_accuracy", "top1_accuracy", "top1_acc"},
    ERROR: {"error", "err", "merror", "binary_error", "multi_error", "error_rate"},
}
_WORD_TO_METRIC = {word: metric for metric, words in _METRIC_WORDS.items() for word in words}
_GRANULARITY = {"epoch": 0, "": 1, "step": 2}  # Lightning's suffixes: per-epoch curves first
_SEPARATORS = re.compile(r"[/\-.:\s_]+")


@dataclass(frozen=True, order=True)
class KeyRole:
    """What a key measures, and how strongly to prefer it among keys with the same role."""

    split: str
    metric: str
    granularity: int  # 0 per epoch (_epoch), 1 plain, 2 per step (_step)
    split_preference: int  # val before eval before test; explicit "train" before implicit
    eval_set_index: int  # XGBoost/LightGBM: later eval sets (validation_1) before earlier


@lru_cache(maxsize=8192)  # a handful of distinct keys, asked about for every run
def classify(key: str) -> KeyRole | None:
    """The role of `key`, or None when it is not a loss, accuracy or error-rate key."""
    words = [w for w in _SEPARATORS.split(key.lower()) if w]
    granularity = 1
    if len(words) > 1 and words[-1] in ("epoch", "step"):
        granularity = _GRANULARITY[words.pop()]
    for length in (3, 2, 1):
        metric = _WORD_TO_METRIC.get("_".join(words[-length:])) if len(words) >= length else None
        if metric is not None:
            return _role(words[:-length], metric, granularity)
    return None


def _role(prefix: list[str], metric: str, granularity: int) -> KeyRole | None:
    split, preference, index = TRAIN, 3, 0  # no split word: a training metric (Keras, HF)
    for word in prefix:
        if word.isdigit():
            index = int(word)
        elif word in _SPLIT_WORDS:
            split, preference = _SPLIT_WORDS[word]
        else:
            return None
    return KeyRole(split, metric, granularity, preference, -index)


@dataclass(frozen=True)
class ChosenKeys:
    """The keys read as loss and accuracy for one split (None where the run has none)."""

    loss: str | None
    accuracy: str | None
    accuracy_from_error: bool  # True: `accuracy` is an error-rate key, accuracy = 1 - value


def choose_keys(point_counts: Mapping[str, int], split: str = VAL,
                loss_key: str | None = None, accuracy_key: str | None = None) -> ChosenKeys:
    """Pick one loss and one accuracy key for `split` among a run's keys (key -> points).

    User-given keys win when the run has them. Among candidates: per-epoch before plain before
    per-step; a curve (2+ points) before a single summary value; the preferred split word; the
    later eval set; more points; then the key name, so the choice is stable.
    """
    roles = {k: r for k in point_counts if (r := classify(k)) is not None and r.split == split}

    def best(metric: str) -> str | None:
        found = [k for k, r in roles.items() if r.metric == metric]
        if not found:
            return None
        return min(found, key=lambda k: (roles[k].granularity, point_counts[k] < 2,
                                         roles[k].split_preference, roles[k].eval_set_index,
                                         -point_counts[k], k))

    loss = loss_key if loss_key in point_counts else best(LOSS)
    if accuracy_key in point_counts:
        role = classify(accuracy_key or "")
        return ChosenKeys(loss, accuracy_key, role is not None and role.metric == ERROR)
    accuracy = best(ACCURACY)
    if accuracy is not None:
        return ChosenKeys(loss, accuracy, False)
    error = best(ERROR)
    return ChosenKeys(loss, error, error is not None)


def relevant_keys(keys: Iterable[str], extra: Iterable[str | None] = ()) -> list[str]:
    """Keys worth loading: every loss/accuracy/error key, `epoch`, and any user-given keys."""
    wanted = {k for k in keys if k == EPOCH_KEY or classify(k) is not None}
    return sorted(wanted | {k for k in extra if k})
