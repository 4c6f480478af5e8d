"""MLflow filter strings over runs a reader has already read, without an MLflow store object.

MLflow owns the grammar (`params.lr = '0.1' and metrics.val_loss < 0.3`), so the filter is MLflow's
own in-memory search, `SearchUtils.filter`: what its file store runs. Going through
`MlflowClient(uri).search_runs` instead would construct a `SqlAlchemyStore` on the database,
which migrates a store of another MLflow version.
"""

from __future__ import annotations

import math

import pandas as pd
from mlflow.entities import Metric, Param, Run, RunData, RunInfo, RunInputs, RunTag
from mlflow.exceptions import MlflowException
from mlflow.utils.search_utils import SearchUtils

from analysis import frames as f
from tracking.reader import InvalidFilter


def matching_run_ids(runs: pd.DataFrame, latest: pd.DataFrame, filter_string: str) -> set[str]:
    """Ids of `runs` (the runs frame, optionally with `user_id`) that match `filter_string`;
    `latest` holds each run's latest metric values (run_id, key, value, step, timestamp)."""
    metrics: dict[str, list[Metric]] = {}
    for run_id, key, value, step, timestamp in latest[
            [f.RUN_ID, f.KEY, f.VALUE, f.STEP, f.TIMESTAMP]].itertuples(index=False):
        metrics.setdefault(run_id, []).append(Metric(key, float(value), int(timestamp),
                                                     int(step)))
    entities = [_run({str(k): v for k, v in row.items()}, metrics.get(str(row[f.RUN_ID]), []))
                for row in runs.to_dict(orient="records")]
    try:
        found: list[Run] = SearchUtils.filter(entities, filter_string)  # type: ignore[no-untyped-call]
        return {run.info.run_id for run in found}
    except MlflowException as error:
        reason = (error.message.strip().splitlines() or ["rejected"])[0][:300]
        raise InvalidFilter(f"invalid filter {filter_string!r}: {reason}") from None


def _run(row: dict[str, object], metrics: list[Metric]) -> Run:
    def given(prefix: str) -> dict[str, str]:
        return {name[len(prefix):]: str(value) for name, value in row.items()
                if name.startswith(prefix) and _present(value)}

    info = RunInfo(
        run_id=str(row[f.RUN_ID]), experiment_id=str(row[f.EXPERIMENT_ID]),
        user_id=str(row.get(f.USER_ID) or ""), status=str(row[f.STATUS]),
        start_time=_millis(row[f.START_TIME]) or 0, end_time=_millis(row[f.END_TIME]),
        lifecycle_stage=str(row[f.LIFECYCLE_STAGE]),
        artifact_uri=str(row.get(f.ARTIFACT_URI) or ""), run_name=str(row[f.RUN_NAME] or ""))
    data = RunData(metrics=metrics,
                   params=[Param(k, v) for k, v in given(f.PARAM_PREFIX).items()],
                   tags=[RunTag(k, v) for k, v in given(f.TAG_PREFIX).items()])
    return Run(info, data, RunInputs(dataset_inputs=[]))


def _present(value: object) -> bool:
    return value is not None and value is not pd.NA and not (
        isinstance(value, float) and math.isnan(value))


def _millis(value: object) -> int | None:
    return int(value) if _present(value) else None  # type: ignore[call-overload]
