"""Fast path: read runs and histories straight from MLflow's SQL store.

A handful of queries (SQLite, PostgreSQL, MySQL/MariaDB: see `tracking.sql_connections`) over
the six tables MLflow has kept alike from 2.0 to 3.18. Whether a store can be read is decided by
its own catalogue (`tracking.sql_schema`), not by one schema revision; a store that lacks a
column the queries read is one clear error. Nothing here writes: SQLite files are opened
read-only, and no MLflow store object is ever made on the database (it would migrate it).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence

import pandas as pd

from analysis import frames as f
from analysis.metric_keys import relevant_keys
from analysis.series import tidy_history
from tracking.extras import missing_extra
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
from tracking.sql_schema import StoreSchema, installed_schema, read_store_schema


class SchemaMismatch(ReaderError):
    """The store's tables lack a column the queries read."""


def supports(uri: str) -> bool:
    return dialect_of(uri) is not None


class SqlReader(ReaderBase):
    """`RunReader` over MLflow's SQL tables, at any schema revision that has the columns read."""

    def __init__(self, uri: str) -> None:
        dialect = dialect_of(uri)
        if dialect is None:
            raise ReaderError(f"{uri} is not a SQLite, PostgreSQL or MySQL tracking URI")
        self.uri = uri
        self._lock = threading.Lock()  # one connection: one query at a time (libpq hangs else)
        try:
            self._conn = connect(uri)
        except ImportError as missing:
            raise ReaderError(missing_extra(missing, f"reading {uri.split(':', 1)[0]} stores")
                              or f"cannot open {uri}: {missing}") from None
        except ReaderError:
            raise
        except Exception as error:
            raise StoreUnreachable(f"cannot open {uri}: {_first_line(error)}") from None
        self.schema = read_store_schema(self._query, dialect)
        _check_readable(uri, self.schema)

    def close(self) -> None:
        self._conn.close()

    def _query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        try:
            with self._lock:
                return self._conn.query(sql, params)
        except Exception as error:
            raise StoreUnreachable(f"reading {self.uri} failed: {_first_line(error)}") from None

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
                                "WHERE experiment_id = ? AND lifecycle_stage = 'active'",
                                [int(experiment)])
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
        runs, latest = self._runs(scope, args)
        if filter_string:
            from tracking.filtering import matching_run_ids  # imports MLflow: only to filter

            keep = matching_run_ids(runs, latest, filter_string)
            runs = runs[runs[f.RUN_ID].isin(keep)].reset_index(drop=True)
        runs = runs.drop(columns=[f.USER_ID])
        return RunsData(experiment_id, name, runs, (scope, args, bool(filter_string)))

    def _runs(self, scope: str, args: list[object]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The runs frame (with user_id, for filters) and the runs' latest metric values."""
        base = self._query(
            "SELECT r.run_uuid AS run_id, r.name AS run_name, r.status, r.start_time, "
            "r.end_time, r.experiment_id, r.lifecycle_stage, r.artifact_uri, "
            f"r.user_id {scope}", args)
        base[f.EXPERIMENT_ID] = base[f.EXPERIMENT_ID].astype(str)
        owned = f"WHERE x.run_uuid IN (SELECT r.run_uuid {scope})"
        params = self._query(f"SELECT x.run_uuid AS run_id, x.key, x.value FROM params x {owned}",
                             args)
        tags = self._query(f"SELECT x.run_uuid AS run_id, x.key, x.value FROM tags x {owned}",
                           args)
        latest = self._query(
            "SELECT x.run_uuid AS run_id, x.key, x.value, x.step, x.timestamp, x.is_nan "
            f"FROM latest_metrics x {owned}", args)
        latest[f.VALUE] = latest[f.VALUE].where(~latest["is_nan"].astype(bool), float("nan"))
        runs = assemble_runs(base, params, tags)
        activity = latest.groupby(f.RUN_ID)[f.TIMESTAMP].max()
        return label_stale(runs, activity), latest

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


def _check_readable(uri: str, schema: StoreSchema) -> None:
    """Raise the one-line reason when the queries cannot serve `schema`."""
    if not schema.has_tables:
        raise StoreUnreachable(f"{uri} holds no MLflow tracking tables (nothing has been logged "
                               "there yet, or it is another database)")
    if schema.missing:
        raise SchemaMismatch(
            f"{uri} ({schema.describe(installed_schema())}) lacks what Lossboard reads: "
            f"{', '.join(schema.missing)}")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
