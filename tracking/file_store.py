"""The layout of an MLflow file store (`./mlruns`), parsed: meta.yaml files, param and tag
values, metric files. Read only; `tracking.file_reader` builds the reader on it.

`<root>/<exp_id>/meta.yaml`; runs `<exp_id>/<run_id>/meta.yaml` (status an int enum);
`params/<key>` and `tags/<key>` files holding the value, `metrics/<key>` lines `timestamp value
step` (oldest stores `timestamp value`; with a dataset, two more fields); a key with '/' is
nested folders.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis import frames as f
from tracking.reader import assemble_runs

META = "meta.yaml"
# RunStatus, which meta.yaml keeps as its int
STATUSES: dict[int | None, object] = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED",
                                      5: "KILLED"}
NOT_RUNS = {"tags", "datasets", "traces", "models"}  # an experiment's own folders
BASE_COLUMNS = [*f.STORED_RUN_COLUMNS, f.USER_ID]
RAW_COLUMNS = [f.RUN_ID, f.KEY, f.STEP, f.VALUE, f.TIMESTAMP]
_INDICATORS = tuple("-?:,[]{}#&*!|>\"%@`")  # a YAML value starting so is left to PyYAML


def read_meta(path: str) -> dict[str, object] | None:
    """A meta.yaml's top-level values; None if missing or not a mapping. MLflow rewrites it in
    place (truncate, then write): an empty one is read once more, as MLflow's reader does."""
    for attempt in range(2):
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if text.strip() or attempt:
            break
        time.sleep(0.05)
    simple = _simple_yaml(text)
    return simple if simple is not None else _full_yaml(text)


def _simple_yaml(text: str) -> dict[str, object] | None:
    """`key: value` lines as MLflow's dumper writes them, else None. Measured a run: 2 us, to
    58 us for libyaml and 460 us for yaml.safe_load (1000 runs: 2 ms, 58 ms, 0.46 s)."""
    found: dict[str, object] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(": ")
        if not colon or not key.isidentifier():
            return None  # a folded value, a nested block: PyYAML's job
        if value.startswith("'") and value.endswith("'") and len(value) > 1:
            found[key] = value[1:-1].replace("''", "'")
        elif value in ("[]", "{}", "null", "~", ""):
            found[key] = None  # MLflow's lists and maps here are empty and unused
        elif value.startswith(_INDICATORS):
            return None
        else:
            found[key] = value
    return found


def _full_yaml(text: str) -> dict[str, object] | None:
    import yaml  # PyYAML (MLflow's dependency): only for the files the fast path declines

    try:
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    return {str(k): v for k, v in loaded.items()} if isinstance(loaded, dict) else None


def integer(value: object) -> int | None:
    try:
        return None if value is None else int(str(value))
    except ValueError:
        return None


def _files_under(folder: str, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(key, path) of every file below `folder`; nested folders give keys with '/'."""
    try:
        entries = list(os.scandir(folder))  # os.walk costs 3x more over a thousand runs
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir():
            yield from _files_under(entry.path, f"{prefix}{entry.name}/")
        else:
            yield prefix + entry.name, entry.path


def _values(folder: str) -> dict[str, str]:
    """Params or tags: a file a key, its whole text the value, untranslated as MLflow reads it."""
    found = {}
    for key, path in _files_under(folder):
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            found[key] = handle.read()
    return found


class StoredRun(NamedTuple):
    folder: str
    row: dict[str, object]  # BASE_COLUMNS
    params: dict[str, str]
    tags: dict[str, str]


def _read_run(folder: str, experiment_id: str, stages: Collection[str]) -> StoredRun | None:
    """None for a folder that is no run of this experiment (MLflow skips those) or not in
    `stages`; a missing status is RUNNING and a missing run_name the mlflow.runName tag, as
    MLflow reads them."""
    meta = read_meta(os.path.join(folder, META))
    if meta is None or str(meta.get("experiment_id")) != experiment_id:
        return None
    stage = str(meta.get("lifecycle_stage") or "active")
    if stage not in stages:
        return None
    tags = _values(os.path.join(folder, "tags"))
    status = meta.get("status")
    row = {f.RUN_ID: str(meta.get("run_id") or meta.get("run_uuid") or os.path.basename(folder)),
           f.RUN_NAME: meta.get("run_name") or tags.get("mlflow.runName", meta.get("run_name")),
           f.STATUS: "RUNNING" if status is None else STATUSES.get(integer(status), status),
           f.START_TIME: integer(meta.get("start_time")),
           f.END_TIME: integer(meta.get("end_time")), f.EXPERIMENT_ID: experiment_id,
           f.LIFECYCLE_STAGE: stage, f.ARTIFACT_URI: meta.get("artifact_uri"),
           f.USER_ID: meta.get("user_id")}
    return StoredRun(folder, row, _values(os.path.join(folder, "params")), tags)


def runs_frame(found: list[StoredRun]) -> pd.DataFrame:
    """The runs frame (with user_id, for filters) of the runs read."""
    base = pd.DataFrame([run.row for run in found], columns=BASE_COLUMNS)
    for column in (f.START_TIME, f.END_TIME):  # all None (every run RUNNING): still numbers
        base[column] = pd.to_numeric(base[column])
    pairs = [[(r.row[f.RUN_ID], k, v) for r in found for k, v in getattr(r, kind).items()]
             for kind in ("params", "tags")]
    params, tags = (pd.DataFrame(rows, columns=[f.RUN_ID, f.KEY, f.VALUE]) for rows in pairs)
    return assemble_runs(base, params, tags)


def _whole_lines(path: str) -> bytes:
    """A metric file up to its last newline: a line being appended is read next time."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return b""
    return data if data.endswith(b"\n") else data[:data.rfind(b"\n") + 1]


def read_points(files: Iterable[tuple[str, str, str]]) -> pd.DataFrame:
    """(run_id, key, path) metric files -> raw points (RAW_COLUMNS). Files of `timestamp value
    step` lines are joined and parsed by one pandas call, each file's rows found again by its
    line count (Python per line: 10x slower); other files line by line, as MLflow does."""
    texts, owners, other = [], [], []
    for run_id, key, path in files:
        text = _whole_lines(path)
        if text.count(b" ") == 2 * text.count(b"\n"):
            texts.append(text)
            owners.append((run_id, key))
        else:
            other.append((run_id, key, text))
    joined = _parse_joined(texts, owners)
    if joined is None:
        other += [(run_id, key, text) for (run_id, key), text in zip(owners, texts, strict=True)]
    rows = [row for run_id, key, text in other for row in _parse_lines(run_id, key, text)]
    parts = [part for part in (joined, pd.DataFrame(rows, columns=RAW_COLUMNS))
             if part is not None and len(part)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RAW_COLUMNS)


def _parse_joined(texts: list[bytes], owners: list[tuple[str, str]]) -> pd.DataFrame | None:
    """One read_csv over every file's lines (floats read exactly as float() reads them); None
    if they are not all three numbers."""
    counts = [text.count(b"\n") for text in texts]
    try:
        table = pd.read_csv(io.BytesIO(b"".join(texts)), sep=" ", header=None, engine="c",
                            names=[f.TIMESTAMP, f.VALUE, f.STEP], quoting=3,
                            dtype={f.TIMESTAMP: "int64", f.VALUE: "float64", f.STEP: "int64"},
                            keep_default_na=False, na_values=["nan", "-nan", "NaN"],
                            skip_blank_lines=False)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None if sum(counts) else pd.DataFrame(columns=RAW_COLUMNS)
    if len(table) != sum(counts):
        return None
    rows = np.repeat(np.arange(len(owners)), counts)
    for position, column in enumerate((f.RUN_ID, f.KEY)):  # taken, not a str made per row
        table[column] = pd.array([owner[position] for owner in owners], dtype="string").take(rows)
    return table[RAW_COLUMNS]


def _parse_lines(run_id: str, key: str, text: bytes) -> list[tuple[str, str, int, float, int]]:
    """Lines `ts value`, `ts value step` or `ts value step dataset digest`. MLflow reads step 0
    from the last form (file_store._get_metric_from_line); the step is in the line: kept."""
    rows = []
    for line in text.decode("utf-8", "replace").splitlines():
        parts = line.strip().split(" ")
        if len(parts) in (2, 3, 5):
            try:
                step = int(parts[2]) if len(parts) > 2 else 0
                rows.append((run_id, key, step, float(parts[1]), int(parts[0])))
            except ValueError:
                continue  # not a point (MLflow refuses the whole run)
    return rows


def latest_values(points: pd.DataFrame) -> pd.DataFrame:
    """Each run's latest value per key, MLflow's rule: the highest (step, timestamp, value)."""
    if points.empty:
        return points
    run, key = (pd.factorize(points[column])[0] for column in (f.RUN_ID, f.KEY))
    order = np.lexsort((points[f.VALUE].to_numpy(dtype="float64"),
                        points[f.TIMESTAMP].to_numpy(dtype="int64"),
                        points[f.STEP].to_numpy(dtype="int64"), key, run))
    group = run[order] * (key.max() + 1) + key[order]
    latest: pd.DataFrame = points.iloc[order[np.append(group[1:] != group[:-1], True)]]
    return latest


def metric_files(runs: Iterable[tuple[str, str]],
                  keys: Collection[str] | None = None) -> list[tuple[str, str, str]]:
    """(run_id, key, path) of the metric files of `runs` ((run_id, folder)), of `keys` only."""
    return [(run_id, key, path) for run_id, folder in runs
            for key, path in _files_under(os.path.join(folder, "metrics"))
            if keys is None or key in keys]


def runs_in(folder: str, experiment_id: str, stages: Collection[str]) -> list[StoredRun]:
    """The experiment's runs in `stages`, in MLflow's order: the latest started first."""
    found = [run for entry in os.scandir(folder) if entry.name not in NOT_RUNS and entry.is_dir()
             and (run := _read_run(entry.path, experiment_id, stages)) is not None]
    return sorted(found, key=lambda r: (-(integer(r.row[f.START_TIME]) or 0),
                                        str(r.row[f.RUN_ID])))


def experiments(root: Path) -> dict[str, tuple[str, str]]:
    """Active experiments: id -> (name, folder). One whose meta.yaml names another id is not
    one (MLflow ignores it too); `.trash` holds the deleted ones, `models` the registry."""
    found = {}
    for entry in os.scandir(root):
        if entry.name.startswith(".") or entry.name == "models" or not entry.is_dir():
            continue
        meta = read_meta(os.path.join(entry.path, META))
        if meta is not None and str(meta.get("experiment_id")) == entry.name:
            found[entry.name] = (str(meta.get("name")), entry.path)
    return found
