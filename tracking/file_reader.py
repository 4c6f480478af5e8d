"""Legacy `./mlruns` file stores (MLflow 2.x's default), read straight from the folder.

MLflow 3.17 refuses these stores unless MLFLOW_ALLOW_FILE_STORE=true, and its FileStore writes
as it opens (a `.trash` folder, a Default experiment). So the layout is read here and nothing is
written: `<root>/<exp_id>/meta.yaml`; runs `<exp_id>/<run_id>/meta.yaml` (status an int enum);
`params/<key>` and `tags/<key>` files holding the value, `metrics/<key>` lines `timestamp value
step` (oldest stores `timestamp value`; with a dataset, two more fields); a key with '/' is
nested folders. An experiment is deleted when it is in `.trash/`, whatever its meta.yaml says
(2.0.1 leaves it `active`). MLflow is imported only to filter, for its grammar.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pandas as pd

from analysis import frames as f
from analysis.metric_keys import relevant_keys
from analysis.series import tidy_history
from tracking.file_store import (
    META,
    StoredRun,
    experiments,
    latest_values,
    metric_files,
    read_points,
    runs_frame,
    runs_in,
)
from tracking.reader import (
    ExperimentNotFound,
    ReaderBase,
    ReaderError,
    RunsData,
    StoreUnreachable,
    label_stale,
)

NOT_PATHS = {"databricks", "databricks-uc", "uc"}  # scheme-less URIs MLflow does not read as paths


def supports(uri: str) -> bool:
    """file: URIs and plain paths: what MLflow itself reads as a file store."""
    if not uri or uri in NOT_PATHS:
        return False
    try:
        scheme = urlsplit(uri).scheme
    except ValueError:
        return False
    return scheme in ("", "file") or len(scheme) == 1  # C:\mlruns: a drive, not a scheme


def store_root(uri: str) -> Path:
    """The folder `uri` names (absolute); file: URIs percent-decoded, as MLflow decodes them."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return Path(uri).absolute()
    if parts.netloc not in ("", "localhost"):
        raise ReaderError(f"{uri} names a folder on another host ({parts.netloc}): use "
                          "file:///absolute/path or a plain path")
    return Path(url2pathname(parts.path)).absolute()


def _filtered_keys(filter_string: str) -> set[str]:
    """The metric keys `filter_string` compares, by MLflow's own parser (one it rejects names
    none: `matching_run_ids` then says why)."""
    from mlflow.exceptions import MlflowException
    from mlflow.utils.search_utils import SearchUtils

    try:
        clauses = SearchUtils.parse_search_filter(filter_string)  # type: ignore[no-untyped-call]
    except MlflowException:
        return set()
    return {str(c["key"]) for c in clauses if c.get("type") == "metric"}


def _latest_for(found: list[StoredRun], filter_string: str | None) -> pd.DataFrame:
    """Latest values of what needs them: every key of RUNNING runs (the stale label), and the
    keys `filter_string` compares, of every run."""
    named = _filtered_keys(filter_string) if filter_string else set()
    files = []
    for run in found:
        running = run.row[f.STATUS] == "RUNNING"
        if running or named:
            files += metric_files([(str(run.row[f.RUN_ID]), run.folder)],
                                   None if running else named)
    return latest_values(read_points(files))


def _check_store(uri: str, root: Path) -> None:
    """One line naming the folder, unless it holds an experiment (active or deleted)."""
    if not root.exists():
        raise StoreUnreachable(f"cannot open {uri}: no MLflow file store at {root} (the folder "
                               "does not exist)")
    if not root.is_dir():
        raise StoreUnreachable(f"cannot open {uri}: {root} is a file, not a file store's folder "
                               f"(a SQLite store is opened as sqlite:///{root})")
    with _reading(uri):
        folders = [folder for folder in (root, root / ".trash") if folder.is_dir()]
        if not any((entry / META).is_file() for d in folders for entry in d.iterdir()):
            raise StoreUnreachable(f"cannot open {uri}: {root} is not an MLflow file store (no "
                                   f"experiment folder with a {META} in it)")


@contextmanager
def _reading(uri: str) -> Iterator[None]:
    try:
        yield
    except OSError as error:  # a permission, a folder gone mid-read: one line, no traceback
        raise StoreUnreachable(f"reading {uri} failed: {str(error)[:300]}") from None


class FileReader(ReaderBase):
    """`RunReader` over a file store's folder, read in place: nothing is ever written there."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.root = store_root(uri)
        _check_store(uri, self.root)

    def experiment_names(self) -> list[str]:
        with _reading(self.uri):
            return sorted(name for name, _ in experiments(self.root).values())

    def _experiment(self, experiment: str) -> tuple[str, str, str]:
        """(id, name, folder) of an active experiment given by name, else by id."""
        active = experiments(self.root)
        named = [i for i, (name, _) in active.items() if name == experiment]
        found = named[0] if named else experiment
        if found not in active:
            raise ExperimentNotFound(f"no active experiment named {experiment!r} in {self.uri}")
        return found, *active[found]

    def read_runs(self, experiment: str, *, filter_string: str | None = None,
                  include_deleted: bool = False) -> RunsData:
        stages = ("active", "deleted") if include_deleted else ("active",)
        with _reading(self.uri):
            experiment_id, name, folder = self._experiment(experiment)
            found = runs_in(folder, experiment_id, stages)
            latest = _latest_for(found, filter_string)
        runs = label_stale(runs_frame(found), latest.groupby(f.RUN_ID)[f.TIMESTAMP].max())
        if filter_string:
            from tracking.filtering import matching_run_ids  # imports MLflow: only to filter

            keep = matching_run_ids(runs, latest, filter_string)
            runs = runs[runs[f.RUN_ID].isin(keep)].reset_index(drop=True)
        folders = {str(run.row[f.RUN_ID]): run.folder for run in found}
        return RunsData(experiment_id, name, runs.drop(columns=[f.USER_ID]), folders)

    def read_history(self, runs: RunsData, *, run_ids: Collection[str] | None = None,
                     extra_keys: tuple[str, ...] = (), since: int | None = None) -> pd.DataFrame:
        folders: dict[str, str] = runs.source
        wanted = list(runs.runs[f.RUN_ID]) if run_ids is None else list(run_ids)
        with _reading(self.uri):
            files = metric_files((r, folders[r]) for r in wanted if r in folders)
            keys = set(relevant_keys({key for _, key, _ in files}, extra_keys))
            raw = read_points(m for m in files if m[1] in keys)
        if since is not None:
            raw = raw[raw[f.TIMESTAMP] >= since]
        return tidy_history(raw)
