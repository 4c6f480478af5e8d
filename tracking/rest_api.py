"""MLflow's REST API, the few endpoints the REST reader reads, spoken without MLflow.

Answers are protobuf JSON as `mlflow server` writes them (fields at their default left out,
int64 fields as numbers or strings), turned into `RunRecord`s and point tuples. Every failure
becomes one of the reader's errors with a one-line message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from tracking.reader import ExperimentNotFound, InvalidFilter, StoreUnreachable, describe_failure
from tracking.run_records import RunRecord, from_json
from tracking.server_http import ServerSession, host_creds

API = "/api/2.0/mlflow"
BULK_ENDPOINT = "/ajax-api/2.0/mlflow/metrics/get-history-bulk"
PAGE_SIZE = 1000
MAX_POINTS_PER_CALL = 25_000
Point = tuple[str, str, int, float, int]  # run_id, key, step, value, timestamp


class ApiError(Exception):
    """The server's answer to a request it refused: its status, error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}".replace(" :", ":"))
        self.status, self.code, self.message = status, code, message


class TrackingServer:
    """The REST endpoints of the tracking server at `uri`."""

    def __init__(self, uri: str, session: ServerSession | None = None) -> None:
        self.uri = uri
        self.session = session or ServerSession(host_creds(uri))

    def experiment_names(self) -> list[str]:
        """Every active experiment's name, page after page."""
        names: list[str] = []
        for page in self._pages("POST", f"{API}/experiments/search",
                                {"max_results": PAGE_SIZE, "view_type": "ACTIVE_ONLY"}):
            names += [e["name"] for e in page.get("experiments", [])]
        return sorted(names)

    def find_experiment(self, experiment: str) -> tuple[str, str]:
        """(id, name) of an active experiment given by name or id."""
        found = self._experiment("get-by-name", {"experiment_name": experiment})
        if found is None and experiment.isdigit():
            found = self._experiment("get", {"experiment_id": experiment})
        if found is None or found.get("lifecycle_stage", "active") != "active":
            raise ExperimentNotFound(f"no active experiment named {experiment!r} in {self.uri}")
        return str(found["experiment_id"]), str(found["name"])

    def search_runs(self, experiment_id: str, filter_string: str | None,
                    include_deleted: bool) -> Iterator[RunRecord]:
        """Every matching run, following page tokens: never cut off at a page."""
        body = {"experiment_ids": [experiment_id], "filter": filter_string or "",
                "run_view_type": "ALL" if include_deleted else "ACTIVE_ONLY",
                "max_results": PAGE_SIZE}
        try:
            for page in self._pages("POST", f"{API}/runs/search", body):
                yield from (from_json(run) for run in page.get("runs", []))
        except StoreUnreachable as error:
            cause = error.__cause__
            if (filter_string and isinstance(cause, ApiError)
                    and cause.code == "INVALID_PARAMETER_VALUE"):
                reason = (cause.message.strip().splitlines() or ["rejected"])[0][:300]
                raise InvalidFilter(f"invalid filter {filter_string!r}: {reason}") from None
            raise

    def bulk_history(self, key: str, run_ids: list[str]) -> list[Point]:
        """Up to 25,000 points of `key` of the runs, from the endpoint MLflow's UI uses."""
        answer = self.call("GET", BULK_ENDPOINT, params={
            "run_id": run_ids, "metric_key": key, "max_results": MAX_POINTS_PER_CALL})
        return [_point(m["run_id"], m) for m in answer.get("metrics", [])]

    def metric_history(self, run_id: str, key: str) -> list[Point]:
        """All of one run's points of `key`, page after page."""
        params = {"run_id": run_id, "metric_key": key, "max_results": MAX_POINTS_PER_CALL}
        return [_point(run_id, m) for page in self._pages("GET", f"{API}/metrics/get-history",
                                                          params)
                for m in page.get("metrics", [])]

    def call(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer; StoreUnreachable (caused by an `ApiError` where the server refused)
        for anything else."""
        try:
            response = self.session.request(method, endpoint, **kwargs)
            if response.status_code != 200:
                raise _refusal(response)
            answer: dict[str, Any] = response.json()
            return answer
        except Exception as error:
            raise StoreUnreachable(describe_failure(self.uri, error)) from error

    def _experiment(self, endpoint: str, params: dict[str, str]) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.call("GET", f"{API}/experiments/{endpoint}",
                                              params=params)["experiment"]
            return found
        except StoreUnreachable as error:
            if isinstance(error.__cause__, ApiError) and error.__cause__.status == 404:
                return None
            raise

    def _pages(self, method: str, endpoint: str,
               request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Each page of a paged answer (a POST's body or a GET's query carries the token)."""
        token = None
        while True:
            asked = request | ({"page_token": token} if token else {})
            page = self.call(method, endpoint,
                             **({"json": asked} if method == "POST" else {"params": asked}))
            yield page
            token = page.get("next_page_token")
            if not token:
                return


def _point(run_id: str, metric: dict[str, Any]) -> Point:
    return (run_id, metric["key"], int(metric.get("step", 0)), float(metric.get("value", 0.0)),
            int(metric.get("timestamp", 0)))


def _refusal(response: requests.Response) -> ApiError:
    """The server's error code and message, from its JSON body if it sent one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "error_code" in body:
        return ApiError(response.status_code, str(body["error_code"]), str(body.get("message")))
    first = (response.text.strip().splitlines() or [response.reason or ""])[0]
    return ApiError(response.status_code, "", first[:300])
