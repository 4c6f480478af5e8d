"""Metric-key and tag conventions: the one place that names what Lossboard logs."""

from __future__ import annotations

from typing import Final

SPLITS: Final = ("train", "val")
METRICS: Final = ("loss", "accuracy")

TRAIN_LOSS: Final = "train_loss"
TRAIN_ACCURACY: Final = "train_accuracy"
VAL_LOSS: Final = "val_loss"
VAL_ACCURACY: Final = "val_accuracy"

# Tags describing the data a run was trained on.
TAG_DATASET: Final = "dataset"
TAG_MODEL_FAMILY: Final = "model_family"
TAG_N_CLASSES: Final = "n_classes"
TAG_N_VAL: Final = "n_val"  # validation samples: the noise floor of its accuracy
TAG_CLASS_COUNTS: Final = "class_counts"
TAG_MAJORITY_BASELINE: Final = "majority_baseline_accuracy"

# Tags Lossboard itself uses.
TAG_RUN_TOKEN: Final = "lossboard.run_token"
TAG_LOGGER_VERSION: Final = "lossboard.logger"
TAG_HISTORY_FILE: Final = "lossboard.history_file"  # its value: the artifact path below
TAG_PREDICTIONS: Final = "lossboard.predictions"  # set once the predictions file is stored

ARTIFACT_DIR: Final = "lossboard"  # a run's artifacts written by Lossboard's logger
PREDICTIONS_FILE: Final = "val_predictions.npz"
PREDICTIONS_ARTIFACT: Final = f"{ARTIFACT_DIR}/{PREDICTIONS_FILE}"
HISTORY_FILE: Final = "history.npz"  # the run's whole metric history, written as it ends
HISTORY_ARTIFACT: Final = f"{ARTIFACT_DIR}/{HISTORY_FILE}"


def metric_key(split: str, metric: str) -> str:
    """Key under which `metric` of `split` is logged, e.g. ("val", "loss") -> "val_loss"."""
    if split not in SPLITS or metric not in METRICS:
        raise ValueError(f"unknown split/metric {split!r}/{metric!r}; expected {SPLITS}/{METRICS}")
    return f"{split}_{metric}"


# Model-selection review, written by the dashboard (tracking.review).
REVIEW_PREFIX: Final = "lossboard.review."
TAG_REVIEW_STATUS: Final = REVIEW_PREFIX + "status"  # one of REVIEW_STATUSES
TAG_REVIEW_REASON: Final = REVIEW_PREFIX + "reason"
TAG_REVIEW_REVIEWER: Final = REVIEW_PREFIX + "reviewer"
TAG_REVIEW_TIME: Final = REVIEW_PREFIX + "time"  # ISO 8601, UTC
REVIEW_TAGS: Final = (TAG_REVIEW_STATUS, TAG_REVIEW_REASON, TAG_REVIEW_REVIEWER, TAG_REVIEW_TIME)
REVIEW_STATUSES: Final = ("chosen", "shortlisted", "rejected")
LEGACY_REVIEW_STATUSES: Final = {"selected": "chosen"}  # written by Lossboard before 2026-12
DEFAULT_ALIAS: Final = "champion"  # the registry alias a promoted version gets
