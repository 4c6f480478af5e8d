"""Reading an experiment's runs and histories: one interface, whatever the tracking store.

The readers (`sql_reader`, `file_reader`, `rest_reader`, `client_reader`) implement `RunReader`;
`tracking.open.open_reader(uri)` picks one for a URI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from analysis import frames as f
from analysis.calibration import Predictions

Progress = Callable[[int, int], None]  # (done, in all): how far a reader's history reads are


class ReaderError(Exception):
    """A problem the user can act on; the message is one clear sentence."""


class ExperimentNotFound(ReaderError):
    pass


class StoreUnreachable(ReaderError):
    pass


class InvalidFilter(ReaderError):
    """A filter string MLflow's search grammar rejects."""


@dataclass(frozen=True)
class ExperimentData:
    experiment_id: str
    name: str
    runs: pd.DataFrame  # frames.RUN_COLUMNS + params.* + tags.*
    history: pd.DataFrame  # frames.HISTORY_COLUMNS


def read_together(reader: RunReader, experiments: Collection[str]) -> ExperimentData:
    """Several experiments read as one (each run's experiment name in `experiment`): compared
    together, their medians and fronts are the union's. One experiment reads as itself."""
    parts = [reader.read(name) for name in dict.fromkeys(experiments)]
    if len(parts) == 1:
        return parts[0]
    runs = pd.concat([part.runs.assign(**{f.EXPERIMENT: part.name}) for part in parts],
                     ignore_index=True)
    history = pd.concat([part.history for part in parts], ignore_index=True)
    return ExperimentData("+".join(part.experiment_id for part in parts),
                          " + ".join(part.name for part in parts),
                          runs.drop_duplicates(f.RUN_ID), history.astype(f.HISTORY_DTYPES))


@dataclass(frozen=True)
class RunsData:
    """An experiment's runs, and what the reader that found them needs to read their history."""

    experiment_id: str
    name: str
    runs: pd.DataFrame
    source: Any = field(default=None, repr=False)


class RunReader(Protocol):
    uri: str

    def experiment_names(self) -> list[str]:
        """Active experiments, by name."""
        ...

    def read_runs(self, experiment: str, *, filter_string: str | None = None,
                  include_deleted: bool = False) -> RunsData:
        """The runs of `experiment` (a name or an id), active only unless asked."""
        ...

    def read_history(self, runs: RunsData, *, run_ids: Collection[str] | None = None,
                     extra_keys: tuple[str, ...] = (), since: int | None = None) -> pd.DataFrame:
        """History of `run_ids` (default: all of `runs`) for the keys that matter: loss,
        accuracy and error keys, `epoch`, and `extra_keys`. With `since` (ms since the epoch),
        only points stamped at or after it."""
        ...

    def read(self, experiment: str, *, filter_string: str | None = None,
             include_deleted: bool = False, extra_keys: tuple[str, ...] = ()) -> ExperimentData:
        """`read_runs` and then `read_history` of all of them."""
        ...

    def predictions(self, runs: pd.DataFrame) -> dict[str, Predictions]:
        """(proba, labels) logged as `lossboard/val_predictions.npz`, for those of `runs` (rows
        of a runs frame) whose `lossboard.predictions` tag says they have it."""
        ...


class ReaderBase:
    """`read` for readers that implement `read_runs` and `read_history`."""

    uri: str
    artifacts_uri: str | None = None  # where run artifacts are fetched, if not from `uri`

    def experiment_names(self) -> list[str]:
        raise NotImplementedError

    def read_runs(self, experiment: str, *, filter_string: str | None = None,
                  include_deleted: bool = False) -> RunsData:
        raise NotImplementedError

    def read_history(self, runs: RunsData, *, run_ids: Collection[str] | None = None,
                     extra_keys: tuple[str, ...] = (), since: int | None = None) -> pd.DataFrame:
        raise NotImplementedError

    def read(self, experiment: str, *, filter_string: str | None = None,
             include_deleted: bool = False, extra_keys: tuple[str, ...] = ()) -> ExperimentData:
        runs = self.read_runs(experiment, filter_string=filter_string,
                              include_deleted=include_deleted)
        history = self.read_history(runs, extra_keys=extra_keys)
        return ExperimentData(runs.experiment_id, runs.name, runs.runs, history)

    def predictions(self, runs: pd.DataFrame) -> dict[str, Predictions]:
        from tracking.predictions import load_predictions

        return load_predictions(runs, self.artifacts_uri or self.uri)


def describe_failure(uri: str, error: BaseException) -> str:
    """One plain sentence for a store that could not be read."""
    text = str(error)
    if "Connection refused" in text or "Failed to establish a new connection" in text:
        return f"cannot reach {uri}: connection refused (is the tracking server running?)"
    if "timed out" in text.lower() or "Read timed out" in text:
        return f"cannot reach {uri}: the server did not answer in time"
    if "unsupported URI" in text:
        return (f"{uri} is not a tracking URI MLflow can read: use sqlite:///path, "
                "postgresql://..., mysql://... or http(s)://host:port")
    first = (text.strip().splitlines() or [type(error).__name__])[0]
    return f"cannot read {uri}: {first[:300]}"


def label_stale(runs: pd.DataFrame, last_activity: pd.Series, now: float | None = None,
                after: float = f.STALLED_AFTER_SECONDS) -> pd.DataFrame:
    """Add each run's last activity and mark RUNNING runs with nothing logged for `after`
    seconds (see `analysis.frames.stalled`; the dashboard judges again with its own setting).

    `last_activity` is milliseconds since the epoch per run_id (latest metric timestamp).
    """
    now_ms = (time.time() if now is None else now) * 1000
    out = runs.copy()
    activity = runs[f.RUN_ID].map(last_activity).fillna(runs[f.START_TIME])
    out[f.LAST_ACTIVITY] = activity.astype("float64")
    out[f.STALE] = f.stalled(out, now_ms, after)
    return out


def pivot_key_values(rows: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """(run_id, key, value) rows -> one column per key, named prefix + key, indexed by run."""
    if rows.empty:
        return pd.DataFrame(index=pd.Index([], name=f.RUN_ID))
    wide = rows.pivot_table(index=f.RUN_ID, columns=f.KEY, values=f.VALUE, aggfunc="last")
    wide.columns = [prefix + str(c) for c in wide.columns]
    return wide


def assemble_runs(base: pd.DataFrame, params: pd.DataFrame, tags: pd.DataFrame) -> pd.DataFrame:
    """The `runs` frame: base columns, then params.* and tags.* (sorted by name)."""
    wide = (base.set_index(f.RUN_ID)
            .join(pivot_key_values(params, f.PARAM_PREFIX).sort_index(axis=1))
            .join(pivot_key_values(tags, f.TAG_PREFIX).sort_index(axis=1)))
    return wide.reset_index()
