"""Fast path: read runs and histories straight from MLflow's SQL store.

A handful of queries (SQLite, PostgreSQL, MySQL/MariaDB: see `tracking.sql_connections`).
The queries use MLflow's own tables, so the store's schema revision is checked first: on a
revision these queries were not written against, `SchemaMismatch` tells the caller to fall back
to MLflow's client API. SQLite files are opened read-only.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence

import pandas as pd

from analysis import frames as f
from analysis.metric_keys import relevant_keys
from analysis.series import tidy_history
from tracking.reader import (
    ExperimentNotFound,
    ReaderBase,
    ReaderError,
    RunsData,
    StoreUnreachable,
    assemble_runs,
    label_stale,
)
from tracking.sql_connections import connect, dialect_of

# Alembic revisions of MLflow's schema whose tables these queries were written and tested on.
SUPPORTED_SCHEMA_REVISIONS = frozenset({"dc11669786a5"})  # MLflow 3.17


class FastPathUnavailable(ReaderError):
    """The store cannot be read by SQL here; MLflow's client API can still read it."""


class SchemaMismatch(FastPathUnavailable):
    pass


def supports(uri: str) -> bool:
    return dialect_of(uri) is not None


class SqlReader(ReaderBase):
    """`RunReader` over MLflow's SQL tables."""

    def __init__(self, uri: str) -> None:
        if not supports(uri):
            raise ReaderError(f"{uri} is not a SQLite, PostgreSQL or MySQL tracking URI")
        self.uri = uri
        self._lock = threading.Lock()  # one connection: one query at a time (libpq hangs else)
        try:
            self._conn = connect(uri)
        except ImportError as missing:
            raise FastPathUnavailable(
                f"the SQL fast path for {uri.split(':', 1)[0]} needs {missing.name}: "
                "pip install 'lossboard[mysql]'") from None
        except ReaderError:
            raise
        except Exception as error:
            raise StoreUnreachable(f"cannot open {uri}: {_first_line(error)}") from None
        self._check_schema()

    def close(self) -> None:
        self._conn.close()

    def _query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        try:
            with self._lock:
                return self._conn.query(sql, params)
        except Exception as error:
            raise StoreUnreachable(f"reading {self.uri} failed: {_first_line(error)}") from None

    def _check_schema(self) -> None:
        try:
            revision = self._query("SELECT version_num FROM alembic_version")["version_num"]
        except StoreUnreachable as error:
            raise SchemaMismatch(f"{self.uri} has no MLflow schema ({error})") from None
        found = revision.iloc[0] if len(revision) else None
        if found not in SUPPORTED_SCHEMA_REVISIONS:
            raise SchemaMismatch(
                f"{self.uri} is at MLflow schema revision {found}; the fast path knows "
                f"{', '.join(sorted(SUPPORTED_SCHEMA_REVISIONS))}"
            )

    def experiment_names(self) -> list[str]:
        found = self._query(
            "SELECT name FROM experiments WHERE lifecycle_stage = 'active' ORDER BY name")
        return [str(name) for name in found["name"]]

    def _experiment(self, experiment: str) -> tuple[str, str]:
        found = self._query(
            "SELECT experiment_id, name FROM experiments WHERE name = ? "
            "AND lifecycle_stage = 'active'", [experiment])
        if found.empty and experiment.isdigit():
            found = self._query("SELECT experiment_id, name FROM experiments "
                                "WHERE experiment_id = ?", [int(experiment)])
        if found.empty:
            raise ExperimentNotFound(f"no active experiment named {experiment!r} in {self.uri}")
        return str(found["experiment_id"].iloc[0]), str(found["name"].iloc[0])

    def read_runs(self, experiment: str, *, filter_string: str | None = None,
                  include_deleted: bool = False) -> RunsData:
        experiment_id, name = self._experiment(experiment)
        stages = ("active", "deleted") if include_deleted else ("active",)
        scope = (f"FROM runs r WHERE r.experiment_id = ? AND r.lifecycle_stage IN "
                 f"({', '.join('?' * len(stages))})")
        args: list[object] = [int(experiment_id), *stages]
        runs = self._runs(scope, args)
        if filter_string:
            keep = _filtered_run_ids(self.uri, experiment_id, filter_string, include_deleted)
            runs = runs[runs[f.RUN_ID].isin(keep)].reset_index(drop=True)
        return RunsData(experiment_id, name, runs, (scope, args, bool(filter_string)))

    def _runs(self, scope: str, args: list[object]) -> pd.DataFrame:
        base = self._query(
            "SELECT r.run_uuid AS run_id, r.name AS run_name, r.status, r.start_time, "
            f"r.end_time, r.experiment_id, r.lifecycle_stage {scope}", args)
        base[f.EXPERIMENT_ID] = base[f.EXPERIMENT_ID].astype(str)
        owned = f"WHERE x.run_uuid IN (SELECT r.run_uuid {scope})"
        params = self._query(f"SELECT x.run_uuid AS run_id, x.key, x.value FROM params x {owned}",
                             args)
        tags = self._query(f"SELECT x.run_uuid AS run_id, x.key, x.value FROM tags x {owned}",
                           args)
        activity = self._query(
            "SELECT x.run_uuid AS run_id, MAX(x.timestamp) AS last FROM latest_metrics x "
            f"{owned} GROUP BY x.run_uuid", args)
        runs = assemble_runs(base, params, tags)
        return label_stale(runs, activity.set_index(f.RUN_ID)["last"])

    def read_history(self, runs: RunsData, *, run_ids: Collection[str] | None = None,
                     extra_keys: tuple[str, ...] = (), since: int | None = None) -> pd.DataFrame:
        scope, args, filtered = runs.source
        if run_ids is None and filtered:
            run_ids = list(runs.runs[f.RUN_ID])
        if run_ids is not None:
            ids = list(run_ids)
            if not ids:
                return tidy_history(pd.DataFrame())
            owned, args = f"m.run_uuid IN ({', '.join('?' * len(ids))})", ids
        else:
            owned = f"m.run_uuid IN (SELECT r.run_uuid {scope})"
        names = self._query(f"SELECT DISTINCT m.key FROM latest_metrics m WHERE {owned}", args)
        keys = relevant_keys(names["key"].astype(str), extra_keys)
        if not keys:
            return tidy_history(pd.DataFrame())
        newer = "" if since is None else " AND m.timestamp >= ?"
        raw = self._query(
            "SELECT m.run_uuid AS run_id, m.key, m.step, m.value, m.timestamp, m.is_nan "
            f"FROM metrics m WHERE {owned} AND m.key IN ({', '.join('?' * len(keys))}){newer}",
            [*args, *keys, *([] if since is None else [since])])
        raw[f.VALUE] = raw[f.VALUE].where(~raw["is_nan"].astype(bool), float("nan"))
        return tidy_history(raw)


def _filtered_run_ids(uri: str, experiment_id: str, filter_string: str,
                      include_deleted: bool) -> set[str]:
    """Run ids matching an MLflow filter string, by MLflow's own search (it owns the grammar)."""
    from tracking.client_reader import search_all_runs  # imports mlflow: only when filtering

    return {run.info.run_id for run in search_all_runs(uri, experiment_id, filter_string,
                                                        include_deleted)}


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
