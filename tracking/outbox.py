"""What a run still has to write to MLflow, and how it is sent without duplicates."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import NamedTuple

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

from tracking.history_file import log_history_file
from tracking.keys import TAG_RUN_TOKEN

log = logging.getLogger("lossboard.tracking")

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100


class Point(NamedTuple):
    key: str
    value: float
    timestamp: int
    step: int


class Refused(NamedTuple):
    """One item the store would not take (e.g. a param re-logged with another value)."""

    kind: str  # params, tags or metrics
    key: str
    value: str
    step: int | None
    reason: str

    def __str__(self) -> str:
        at = "" if self.step is None else f" at step {self.step}"
        return f"{self.kind[:-1]} {self.key!r} = {self.value[:100]!r}{at} ({self.reason[:300]})"


Item = Param | RunTag | Metric


@dataclass
class PendingRun:
    """Everything about one run not yet confirmed written, in the order it must be written."""

    tracking_uri: str
    experiment_name: str
    run_name: str
    token: str
    run_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)
    artifacts: list[tuple[str, str]] = field(default_factory=list)  # (local file, artifact dir)
    artifact_tags: dict[str, str] = field(default_factory=dict)  # set once artifacts are stored
    final_status: str | None = None
    refused: list[Refused] = field(default_factory=list)  # never sent again, kept to inspect
    uncertain: bool = False  # a request failed after it may have reached the store

    def is_empty(self) -> bool:
        return (
            self.run_id is not None
            and not (self.params or self.tags or self.points or self.artifacts
                     or self.artifact_tags)
            and self.final_status is None
        )

    def unsent_epochs(self) -> int:
        return len({point.step for point in self.points})


def send(client: MlflowClient, run: PendingRun) -> None:
    """Write everything pending; on failure raise, keeping what was not confirmed.

    Idempotent across attempts: a run is found again by its token tag before a second one is
    created, and points already in the store are dropped before a batch is re-sent.
    """
    try:
        _ensure_run(client, run)
        if run.uncertain:
            _drop_points_already_stored(client, run)
            run.uncertain = False
        _send_batches(client, run)
        _send_artifacts(client, run)
        if run.final_status is not None:
            _log_history_file(client, _run_id(run))
            client.set_terminated(_run_id(run), status=run.final_status)
            run.final_status = None
    except Exception:
        run.uncertain = True
        raise


def _run_id(run: PendingRun) -> str:
    if run.run_id is None:
        raise RuntimeError("run not created yet")
    return run.run_id


def _experiment_id(client: MlflowClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            return client.create_experiment(name)
        except MlflowException as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            experiment = client.get_experiment_by_name(name)
    if experiment is None:
        raise MlflowException(f"experiment {name!r} could not be created")
    if experiment.lifecycle_stage == "deleted":
        raise MlflowException.invalid_parameter_value(
            f"experiment {name!r} is deleted: restore it or log to another experiment"
        )
    return str(experiment.experiment_id)


def _ensure_run(client: MlflowClient, run: PendingRun) -> None:
    if run.run_id is not None:
        return
    experiment_id = _experiment_id(client, run.experiment_name)
    if run.uncertain:
        found = client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{TAG_RUN_TOKEN}` = '{run.token}'",
            run_view_type=ViewType.ALL,
            max_results=1,
        )
        if found:
            run.run_id = found[0].info.run_id
            return
    created = client.create_run(
        experiment_id, run_name=run.run_name, tags={TAG_RUN_TOKEN: run.token}
    )
    run.run_id = created.info.run_id


def _drop_points_already_stored(client: MlflowClient, run: PendingRun) -> None:
    run_id = _run_id(run)
    stored: set[tuple[str, int]] = set()
    for key in {point.key for point in run.points}:
        stored.update((key, m.step) for m in client.get_metric_history(run_id, key))
    run.points = [p for p in run.points if (p.key, p.step) not in stored]


def _send_batches(client: MlflowClient, run: PendingRun) -> None:
    while run.params:
        chunk = dict(list(run.params.items())[:MAX_PARAMS_PER_BATCH])
        _write(client, run, "params", [Param(k, v) for k, v in chunk.items()])
        for key in chunk:
            del run.params[key]
    while run.tags:
        chunk = dict(list(run.tags.items())[:MAX_TAGS_PER_BATCH])
        _write(client, run, "tags", [RunTag(k, v) for k, v in chunk.items()])
        for key in chunk:
            del run.tags[key]
    while run.points:
        batch = run.points[:MAX_METRICS_PER_BATCH]
        _write(client, run, "metrics", [Metric(*point) for point in batch])
        del run.points[: len(batch)]


def _write(client: MlflowClient, run: PendingRun, kind: str, items: list[Item]) -> None:
    """One `log_batch` of `items`. If MLflow refuses it as an invalid value, the batch is
    halved until the refused items are found: those are set aside in `run.refused` and
    reported once by name; every other item is written (a refused batch writes nothing, so
    halves that were accepted are written once)."""
    try:
        client.log_batch(_run_id(run), **{kind: items})  # type: ignore[arg-type]
    except MlflowException as error:
        if error.error_code != "INVALID_PARAMETER_VALUE":
            raise
        if len(items) > 1:
            half = len(items) // 2
            _write(client, run, kind, items[:half])
            _write(client, run, kind, items[half:])
            return
        refused = Refused(kind, items[0].key, str(items[0].value),
                          getattr(items[0], "step", None), error.message)
        if refused in run.refused:  # a retry after a later failure: already reported
            return
        run.refused.append(refused)
        log.error("run %r: the store refused %s; the rest of the run is still sent",
                  run.run_name, refused)


def _send_artifacts(client: MlflowClient, run: PendingRun) -> None:
    while run.artifacts:
        local_file, artifact_dir = run.artifacts[0]
        client.log_artifact(_run_id(run), local_file, artifact_dir)
        run.artifacts.pop(0)
    if run.artifact_tags:  # they say a file is there: only once it is
        client.log_batch(_run_id(run), tags=[RunTag(k, v) for k, v in run.artifact_tags.items()])
        run.artifact_tags.clear()


def _log_history_file(client: MlflowClient, run_id: str) -> None:
    """The run's history as one file for fast reads. Without it reads are only slower, so no
    failure here may keep the run from ending (if the store is down, ending fails next)."""
    try:
        log_history_file(client, run_id)
    except Exception as error:
        log.warning("run %s: history file not written (%s); readers will use MLflow's "
                    "endpoints instead", run_id, str(error).splitlines()[0][:200])
