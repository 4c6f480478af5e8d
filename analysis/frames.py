"""The frames every layer speaks, and their column names: the one place they are spelled.

`runs`    one row per run: run_id, run_name, status, start_time, end_time, experiment_id,
          lifecycle_stage, artifact_uri, stale, last_activity, then `params.<name>` and
          `tags.<name>` columns.
`history` one row per logged point: run_id, key, split, metric, step, epoch, value, timestamp.
          split is "train" | "val" | None; metric "loss" | "accuracy" | "error" | None, as the
          key conventions (tracking.keys) read them. Stored as MLflow has them: one row per
          point, duplicate steps included; +/-inf restored from MLflow's clamped +/-1.797e308.
`curves`  the chosen series, one row per (run_id, split, metric, epoch): run_id, split
          ("train" | "val"), metric ("loss" | "accuracy"), epoch, value. Accuracy derived from
          an error rate is already 1 - error here. run_id, split and metric are categorical:
          a 1000-run experiment has 400k curve points, and every panel groups them by run.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

RUN_ID: Final = "run_id"
RUN_NAME: Final = "run_name"
STATUS: Final = "status"
START_TIME: Final = "start_time"
END_TIME: Final = "end_time"
EXPERIMENT_ID: Final = "experiment_id"
EXPERIMENT: Final = "experiment"  # its experiment's name, when several are compared together
LIFECYCLE_STAGE: Final = "lifecycle_stage"
ARTIFACT_URI: Final = "artifact_uri"  # the run's artifact root, as the store records it
USER_ID: Final = "user_id"  # read for filters on attributes.user_id; not kept in the frame
STALE: Final = "stale"  # RUNNING, but nothing logged for a long time: probably killed
LAST_ACTIVITY: Final = "last_activity"  # ms since the epoch: latest point, else the start
PARAM_PREFIX: Final = "params."
TAG_PREFIX: Final = "tags."
PARENT_RUN_TAG: Final = TAG_PREFIX + "mlflow.parentRunId"  # MLflow's, on nested runs
BASELINE_TAG: Final = TAG_PREFIX + "majority_baseline_accuracy"  # Lossboard's logger's
N_VAL_TAG: Final = TAG_PREFIX + "n_val"  # validation samples, Lossboard's logger's

KEY: Final = "key"
SPLIT: Final = "split"
METRIC: Final = "metric"
STEP: Final = "step"
EPOCH: Final = "epoch"
VALUE: Final = "value"
TIMESTAMP: Final = "timestamp"

# `table`: the comparison (analysis.report), one row per run, indexed by run_id; its columns are
# also the fields of `lossboard compare --format json`
PARENT_RUN_ID: Final = "parent_run_id"
CHILD_RUNS: Final = "child_runs"  # runs that name this one their parent: a sweep's parent if > 0
LOSS_KEY: Final = "loss_key"
ACCURACY_KEY: Final = "accuracy_key"
ACCURACY_DERIVED_FROM: Final = "accuracy_derived_from"  # the error-rate key, if accuracy is 1 - it
ACCURACY_SCALE: Final = "accuracy_scale"  # 100: logged in percent
TRAIN_LOSS_KEY: Final = "train_loss_key"
TRAIN_ACCURACY_KEY: Final = "train_accuracy_key"
TRAIN_ACCURACY_DERIVED_FROM: Final = "train_accuracy_derived_from"
TRAIN_ACCURACY_SCALE: Final = "train_accuracy_scale"
EPOCHS: Final = "epochs"
EVALUATIONS: Final = "evaluations"  # validation points: epochs, or every N steps (HF Trainer)
FINAL_LOSS: Final = "final_loss"
FINAL_ACCURACY: Final = "final_accuracy"
BEST_LOSS: Final = "best_loss"
BEST_LOSS_EPOCH: Final = "best_loss_epoch"
BEST_ACCURACY: Final = "best_accuracy"
BEST_ACCURACY_EPOCH: Final = "best_accuracy_epoch"
QUADRANT: Final = "quadrant"
PARETO: Final = "pareto"
DIVERGENCE_EPOCH: Final = "divergence_epoch"
BASELINE_ACCURACY: Final = "baseline_accuracy"
BASELINE_LIFT: Final = "baseline_lift"
ECE: Final = "ece"
CALIBRATED_LOSS: Final = "calibrated_loss"
GROUP: Final = "group"  # seed group id (analysis.seed_groups), None for a run alone
N_VAL: Final = "n_val"  # validation samples: from the predictions, else the n_val tag
ACCURACY_CI: Final = "accuracy_ci"  # 95% Wilson interval of final_accuracy, (low, high) or None
LOSS_SE: Final = "loss_se"  # standard error of the mean per-sample validation log loss
CONFIDENT_MISTAKES: Final = "confident_mistakes"  # wrong at top-class probability >= 0.9
CONFIDENT_MISTAKE_LOSS_SHARE: Final = "confident_mistake_loss_share"  # of the summed loss
LOSS_IF_HEDGED: Final = "loss_if_hedged"  # the loss had each confident mistake been 50/50

STORED_RUN_COLUMNS: Final = [RUN_ID, RUN_NAME, STATUS, START_TIME, END_TIME, EXPERIMENT_ID,
                             LIFECYCLE_STAGE, ARTIFACT_URI]  # as the store has them
RUN_COLUMNS: Final = [*STORED_RUN_COLUMNS, STALE, LAST_ACTIVITY]
HISTORY_COLUMNS: Final = [RUN_ID, KEY, SPLIT, METRIC, STEP, EPOCH, VALUE, TIMESTAMP]
CURVE_COLUMNS: Final = [RUN_ID, SPLIT, METRIC, EPOCH, VALUE]

HISTORY_DTYPES: Final = {
    RUN_ID: "string", KEY: "string", SPLIT: "string", METRIC: "string", STEP: "int64",
    EPOCH: "float64", VALUE: "float64", TIMESTAMP: "int64",
}
CURVE_DTYPES: Final = {RUN_ID: "category", SPLIT: "category", METRIC: "category", EPOCH: "float64",
                       VALUE: "float64"}


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(dtype=t) for k, t in HISTORY_DTYPES.items()})


def empty_curves() -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(dtype=t) for k, t in CURVE_DTYPES.items()})


STALLED_AFTER_SECONDS: Final = 1800.0


def stalled(runs: pd.DataFrame, now_ms: float,
            after_seconds: float = STALLED_AFTER_SECONDS) -> pd.Series:
    """RUNNING runs that logged nothing for `after_seconds`: their process probably died (a
    SIGKILL leaves them RUNNING forever), so they are not shown, or refreshed, as live."""
    quiet = now_ms - runs[LAST_ACTIVITY].astype("float64") > after_seconds * 1000
    return (runs[STATUS] == "RUNNING") & quiet
