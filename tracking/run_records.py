"""Runs as the REST and client readers hold them between the search and the history reads.

A `RunRecord` is what those readers need of a run: its info, params, tags and latest metrics
(step, timestamp, value per key, as the search returns them). It is built from MLflow's REST
answer (`from_json`: no MLflow entities, so the REST path never imports MLflow) or from an
MLflow `Run` (`from_entity`), and the `runs` frame is built from records alike.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis import frames as f
from analysis.series import tidy_history
from tracking.history_file import Latest
from tracking.reader import ReaderBase, RunsData, assemble_runs, label_stale


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    run_name: str | None
    status: str
    start_time: int | None
    end_time: int | None
    experiment_id: str
    lifecycle_stage: str
    artifact_uri: str | None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    latest: dict[str, Latest] = field(default_factory=dict)


def _number(value: Any) -> int | None:
    """An int64 field: protobuf's JSON may spell it as a string, and leaves 0 and null out."""
    return None if value is None else int(value)


def from_json(run: Mapping[str, Any]) -> RunRecord:
    """A run of a `runs/search` answer (protobuf JSON: fields at their default are left out)."""
    info, data = run.get("info", {}), run.get("data", {})
    return RunRecord(
        info.get("run_id") or info["run_uuid"], info.get("run_name"),
        info.get("status", "RUNNING"), _number(info.get("start_time")),
        _number(info.get("end_time")), str(info.get("experiment_id", "0")),
        info.get("lifecycle_stage", "active"), info.get("artifact_uri"),
        {p["key"]: p.get("value", "") for p in data.get("params", [])},
        {t["key"]: t.get("value", "") for t in data.get("tags", [])},
        {m["key"]: (int(m.get("step", 0)), int(m.get("timestamp", 0)),
                    float(m.get("value", 0.0))) for m in data.get("metrics", [])})


def from_entity(run: Any) -> RunRecord:
    """An MLflow `Run` (its latest metrics with their steps and timestamps)."""
    info = run.info
    return RunRecord(
        info.run_id, info.run_name, info.status, info.start_time, info.end_time,
        str(info.experiment_id), info.lifecycle_stage, info.artifact_uri,
        dict(run.data.params), dict(run.data.tags),
        {m.key: (m.step, m.timestamp, m.value) for m in getattr(run.data, "_metric_objs", [])})


def runs_frame(runs: list[RunRecord]) -> pd.DataFrame:
    """The `runs` frame."""
    base = pd.DataFrame([{
        f.RUN_ID: r.run_id, f.RUN_NAME: r.run_name, f.STATUS: r.status,
        f.START_TIME: r.start_time, f.END_TIME: r.end_time, f.EXPERIMENT_ID: r.experiment_id,
        f.LIFECYCLE_STAGE: r.lifecycle_stage, f.ARTIFACT_URI: r.artifact_uri,
    } for r in runs], columns=f.STORED_RUN_COLUMNS)
    params = pd.DataFrame([(r.run_id, k, v) for r in runs for k, v in r.params.items()],
                          columns=[f.RUN_ID, f.KEY, f.VALUE])
    tags = pd.DataFrame([(r.run_id, k, v) for r in runs for k, v in r.tags.items()],
                        columns=[f.RUN_ID, f.KEY, f.VALUE])
    last_activity = pd.Series({r.run_id: max((t for _, t, _ in r.latest.values()),
                                             default=r.start_time) for r in runs},
                              dtype="float64")
    return label_stale(assemble_runs(base, params, tags), last_activity)


class RecordReader(ReaderBase):
    """`read_runs` and `read_history` for readers whose search gives `RunRecord`s: they find
    experiments, search runs and read raw points (run_id, key, step, value, timestamp)."""

    def find_experiment(self, experiment: str) -> tuple[str, str]:
        raise NotImplementedError

    def _search(self, experiment_id: str, filter_string: str | None,
                include_deleted: bool) -> Iterator[RunRecord]:
        raise NotImplementedError

    def _points_of(self, runs: list[RunRecord], extra: tuple[str, ...]) -> pd.DataFrame:
        raise NotImplementedError

    def read_runs(self, experiment: str, *, filter_string: str | None = None,
                  include_deleted: bool = False) -> RunsData:
        experiment_id, name = self.find_experiment(experiment)
        runs = list(self._search(experiment_id, filter_string, include_deleted))
        return RunsData(experiment_id, name, runs_frame(runs), runs)

    def read_history(self, runs: RunsData, *, run_ids: Collection[str] | None = None,
                     extra_keys: tuple[str, ...] = (), since: int | None = None) -> pd.DataFrame:
        chosen = None if run_ids is None else set(run_ids)
        records: list[RunRecord] = runs.source
        raw = self._points_of([r for r in records if chosen is None or r.run_id in chosen],
                              extra_keys)
        if since is not None:
            raw = raw[raw[f.TIMESTAMP] >= since]
        return tidy_history(raw)
