"""Model-selection review, written to MLflow: tags on the run, and the model registry.

A reviewed run carries `lossboard.review.{status,reason,reviewer,time}`, its status one of
chosen, shortlisted or rejected (`keys.REVIEW_STATUSES`); clearing removes them. Promoting
registers the model the run logged (MLflow 3's logged models, or a classic `MLmodel` folder
among its artifacts) and points an alias (default `champion`) at the version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TypeVar

from mlflow import MlflowClient
from mlflow.entities import RunTag
from mlflow.exceptions import MlflowException
from mlflow.utils.validation import MAX_REGISTERED_MODEL_ALIAS_LENGTH

from tracking import keys
from tracking.extras import missing_extra
from tracking.reader import ReaderError, describe_failure
from tracking.settings import without_password as redact

T = TypeVar("T")
MAX_REASON = 5000
MAX_REVIEWER = 250
MAX_MODEL_NAME = 256  # MLflow's registered_models.name column (SQLite would store any length)


class ReviewError(ReaderError):
    """A review action that could not be done; the message says why, in one sentence."""


@dataclass(frozen=True)
class Promotion:
    model_name: str
    version: str
    alias: str

    def __str__(self) -> str:
        return f"model {self.model_name!r} version {self.version}, alias {self.alias!r}"


def other_version_problem(uri: str) -> str | None:
    """Why writing straight to the store at `uri` is refused, or None. MLflow's client migrates
    a database of another schema revision (or refuses it) before its first write, and writes to
    a file store only in maintenance mode; a team's store is theirs to migrate, not a review's
    side effect."""
    from tracking import file_reader
    from tracking.sql_reader import SqlReader, supports
    from tracking.sql_schema import installed_schema

    if file_reader.supports(uri):
        return (f"Reviews are not written to the file store {uri}: MLflow 3 keeps file stores "
                "read-only. Serve it with an `mlflow server` of the MLflow version that wrote "
                "it and point Lossboard's MLFLOW_TRACKING_URI there to review.")
    if not supports(uri):
        return None
    reader = SqlReader(uri)
    try:
        schema = reader.schema
    finally:
        reader.close()
    installed = installed_schema()
    if schema.relation(installed) == "current":
        return None
    return (f"Reviews are not written to {redact(uri)} ({schema.describe(installed)}): MLflow "
            f"{installed.version} would have to migrate it first. Run an `mlflow server` of "
            "the store's own MLflow version on it and point Lossboard's MLFLOW_TRACKING_URI "
            "there to review.")


def promotion_problem(model_name: str, alias: str) -> str | None:
    """Why MLflow's registry would refuse (or, on SQLite, store unchecked) this name and alias,
    checked before any registry call; None if it would take them."""
    if not model_name.strip() or not alias.strip():
        return "Promoting needs a registered-model name and an alias."
    if len(model_name) > MAX_MODEL_NAME:
        return f"The registered-model name is limited to {MAX_MODEL_NAME} characters."
    if "/" in model_name or ":" in model_name:
        return "A registered-model name cannot contain '/' or ':'."
    if len(alias) > MAX_REGISTERED_MODEL_ALIAS_LENGTH:
        return f"The alias is limited to {MAX_REGISTERED_MODEL_ALIAS_LENGTH} characters."
    return None


class ReviewWriter:
    """Writes reviews to the store at `uri` (the dashboard's reader only reads). MLflow's client
    is made at the first action, once the store is known to be one it may write to."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    @cached_property
    def _client(self) -> MlflowClient:
        if problem := other_version_problem(self.uri):
            raise ReviewError(problem)
        return MlflowClient(self.uri, registry_uri=self.uri)

    def mark(self, run_id: str, status: str, reason: str, reviewer: str) -> None:
        """Mark the run `status` (chosen, shortlisted or rejected), with why and by whom."""
        reason, reviewer = reason.strip(), reviewer.strip()
        if status not in keys.REVIEW_STATUSES:
            raise ReviewError(f"A review status is one of {', '.join(keys.REVIEW_STATUSES)}.")
        if not reason:
            raise ReviewError(f"Say why this run is {status}: the reason is required.")
        if len(reason) > MAX_REASON:
            raise ReviewError(f"The reason is limited to {MAX_REASON} characters.")
        if len(reviewer) > MAX_REVIEWER:
            raise ReviewError(f"The reviewer's name is limited to {MAX_REVIEWER} characters.")
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        values = {keys.TAG_REVIEW_STATUS: status, keys.TAG_REVIEW_REASON: reason,
                  keys.TAG_REVIEW_REVIEWER: reviewer or "anonymous",
                  keys.TAG_REVIEW_TIME: stamp}
        tags = [RunTag(k, v) for k, v in values.items()]
        self._call(lambda: self._client.log_batch(run_id, tags=tags))  # one write: all or none

    def clear(self, run_id: str) -> None:
        present = self._call(lambda: self._client.get_run(run_id).data.tags)
        self._call(lambda: self._delete_tags(run_id, [k for k in keys.REVIEW_TAGS
                                                      if k in present]))

    def _delete_tags(self, run_id: str, names: list[str]) -> None:
        for name in names:
            self._client.delete_tag(run_id, name)

    def promote(self, run_id: str, model_name: str, alias: str = keys.DEFAULT_ALIAS) -> Promotion:
        """Register the run's model under `model_name` and point `alias` at the new version."""
        if problem := promotion_problem(model_name, alias):
            raise ReviewError(problem)
        source, model_id = self._model_source(run_id)
        self._ensure_registered_model(model_name)
        version = self._call(lambda: self._client.create_model_version(
            model_name, source, run_id=run_id, model_id=model_id)).version
        self._call(lambda: self._client.set_registered_model_alias(model_name, alias, version))
        return Promotion(model_name, str(version), alias)

    def _model_source(self, run_id: str) -> tuple[str, str | None]:
        run = self._call(lambda: self._client.get_run(run_id))
        models = self._call(lambda: self._client.search_logged_models(
            [run.info.experiment_id], filter_string=f"source_run_id = '{run_id}'"))
        if models:
            newest = max(models, key=lambda m: m.creation_timestamp or 0)
            return newest.artifact_location, newest.model_id
        folders = self._call(lambda: self._client.list_artifacts(run_id))
        for folder in (f for f in folders if f.is_dir):
            names = {a.path.rsplit("/", 1)[-1] for a in self._client.list_artifacts(run_id,
                                                                                  folder.path)}
            if "MLmodel" in names:  # a model logged the MLflow 2 way
                return f"{run.info.artifact_uri}/{folder.path}", None
        raise ReviewError(f"Run {run.info.run_name or run_id} logged no model, so there is "
                          "nothing to register.")

    def _ensure_registered_model(self, name: str) -> None:
        try:
            self._client.get_registered_model(name)
        except MlflowException:
            self._call(lambda: self._client.create_registered_model(name))

    def _call(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except ReviewError:
            raise
        except Exception as error:
            if needed := missing_extra(error, f"writing reviews to {self.uri.split(':')[0]}"):
                raise ReviewError(needed) from None
            if isinstance(error, MlflowException):
                raise ReviewError(f"MLflow refused: {error.message}") from None
            if isinstance(error, OSError):
                raise ReviewError(describe_failure(self.uri, error)) from None
            raise
