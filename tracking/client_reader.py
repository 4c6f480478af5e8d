"""Reading through MLflow's client API: any tracking URI, one request per run and key.

The portable path, and the fallback when the SQL fast path does not know a store's schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Run, ViewType
from mlflow.exceptions import MlflowException

from analysis import frames as f
from analysis.metric_keys import relevant_keys
from tracking.reader import (
    ExperimentNotFound,
    InvalidFilter,
    Progress,
    ReaderError,
    StoreUnreachable,
    describe_failure,
)
from tracking.run_records import RecordReader, RunRecord, from_entity

PAGE_SIZE = 1000


def search_all_runs(uri: str, experiment_id: str, filter_string: str | None,
                    include_deleted: bool, page_size: int = PAGE_SIZE) -> Iterator[Run]:
    """Every matching run, following page tokens: never cut off at a page."""
    client = MlflowClient(uri)
    view = ViewType.ALL if include_deleted else ViewType.ACTIVE_ONLY
    token = None
    while True:
        try:
            page = client.search_runs([experiment_id], filter_string or "", view,
                                      max_results=page_size, page_token=token)
        except MlflowException as error:
            if filter_string and error.error_code == "INVALID_PARAMETER_VALUE":
                # over REST, MLflow's client puts the error code before the message
                reason = error.message.strip().removeprefix(f"{error.error_code}: ")
                reason = (reason.splitlines() or ["rejected"])[0][:300]
                raise InvalidFilter(f"invalid filter {filter_string!r}: {reason}") from None
            raise
        yield from page
        token = page.token
        if not token:
            return


class ClientReader(RecordReader):
    """`RunReader` over `MlflowClient`: search_runs pages, then get_metric_history calls."""

    def __init__(self, uri: str, threads: int = 4, progress: Progress | None = None) -> None:
        self.uri = uri
        try:
            self._client = MlflowClient(uri)
        except MlflowException as error:  # an unknown scheme, a file store MLflow refuses
            raise ReaderError(describe_failure(uri, error)) from None
        self._threads = threads
        self._progress = progress

    def experiment_names(self) -> list[str]:
        try:
            return sorted(e.name for e in self._client.search_experiments())
        except MlflowException as error:
            raise StoreUnreachable(describe_failure(self.uri, error)) from None

    def find_experiment(self, experiment: str) -> tuple[str, str]:
        """(id, name) of an active experiment given by name or id."""
        try:
            found = self._client.get_experiment_by_name(experiment)
            if found is None and experiment.isdigit():
                found = self._client.get_experiment(experiment)
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                found = None
            else:
                raise StoreUnreachable(describe_failure(self.uri, error)) from None
        if found is None or found.lifecycle_stage != "active":
            raise ExperimentNotFound(f"no active experiment named {experiment!r} in {self.uri}")
        return str(found.experiment_id), str(found.name)

    def _search(self, experiment_id: str, filter_string: str | None,
                include_deleted: bool) -> Iterator[RunRecord]:
        try:
            for run in search_all_runs(self.uri, experiment_id, filter_string, include_deleted):
                yield from_entity(run)
        except MlflowException as error:
            raise StoreUnreachable(describe_failure(self.uri, error)) from None

    def _points_of(self, runs: list[RunRecord], extra: tuple[str, ...]) -> pd.DataFrame:
        """Raw points, one get_metric_history call per run and key, a few at a time."""
        jobs = [(r.run_id, key) for r in runs
                for key in relevant_keys(r.latest, extra) if key in r.latest]
        rows: list[tuple[str, str, int, float, int]] = []
        done: set[str] = set()
        with ThreadPoolExecutor(self._threads) as pool:
            for (run_id, key), points in zip(jobs, pool.map(self._points, jobs), strict=True):
                rows += [(run_id, key, m.step, m.value, m.timestamp) for m in points]
                done.add(run_id)
                if self._progress:
                    self._progress(len(done), len(runs))
        return pd.DataFrame(rows, columns=[f.RUN_ID, f.KEY, f.STEP, f.VALUE, f.TIMESTAMP])

    def _points(self, job: tuple[str, str]) -> list[Metric]:
        try:
            return self._client.get_metric_history(*job)
        except MlflowException as error:
            raise StoreUnreachable(describe_failure(self.uri, error)) from None
