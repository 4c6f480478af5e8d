"""Finished runs' histories kept on disk, so a tracking server is not asked for them again.

Over http(s) every `lossboard compare` and every dashboard start read all finished runs from
the server again (3.5-15 s for 1000 runs). The REST reader keeps each ended run's points here
after its first read, one file per run under `<cache dir>/<server>/`, and trusts a file only
while it agrees with the run's latest metrics as the run search returned them: the rule the
history files follow (`tracking.history_file.agrees_with`). A point logged since, a file that is
not one of ours, damaged or of another run is a miss: read from the server again and rewritten.

A file is an Arrow IPC stream (key as a dictionary column, step, value, timestamp; the format and
run id in its metadata): one reads in about 40 microseconds, against 440 as an .npz archive
and 185 as an Arrow file through a memory map.
Files are written to a temporary name and renamed into place, so processes sharing the folder
see a whole file or none. Nothing here ever fails a read: problems are one warning each.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis import frames as f
from tracking.history_file import History, agrees_with
from tracking.run_records import RunRecord
from tracking.settings import without_password

FORMAT = b"lossboard-history-cache-1"
_POINTS = [f.KEY, f.STEP, f.VALUE, f.TIMESTAMP]
log = logging.getLogger("lossboard.tracking")


class DiskHistoryCache:
    """Points of ended runs of the server at `uri`, under `folder`."""

    def __init__(self, folder: Path, uri: str) -> None:
        server = hashlib.sha256(without_password(uri).encode()).hexdigest()[:16]
        self.folder = folder / server
        self._warned: set[str] = set()

    def get(self, runs: Collection[RunRecord],
            keys: Collection[str]) -> tuple[pd.DataFrame, set[str]]:
        """Raw points (run_id, key, step, value, timestamp) of `keys` for the runs held and
        still current, and the ids of those runs."""
        held = {run.run_id: history for run in runs
                if (history := self._current(run, keys)) is not None}
        return _points(held), set(held)

    def put(self, run: RunRecord, points: pd.DataFrame) -> None:
        """Keep `points` (rows of this run) as its file."""
        path = self._path(run.run_id)
        if path is None:
            return
        table = pa.table({  # keys as a dictionary column: read back without a cast
            f.KEY: pa.array(points[f.KEY].astype(str).to_numpy()).dictionary_encode(),
            f.STEP: pa.array(points[f.STEP].to_numpy(dtype=np.int64)),
            f.VALUE: pa.array(points[f.VALUE].to_numpy(dtype=np.float64)),
            f.TIMESTAMP: pa.array(points[f.TIMESTAMP].to_numpy(dtype=np.int64))},
            metadata={b"format": FORMAT, b"run_id": run.run_id.encode()})
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as out:
                with pa.ipc.new_stream(out, table.schema) as writer:
                    writer.write_table(table)
            os.replace(out.name, path)
        except OSError as error:
            self._warn("unwritable", f"{self.folder}: {error}")

    def _current(self, run: RunRecord, keys: Collection[str]) -> History | None:
        """The run's points of `keys` from its file, if the file agrees with the run."""
        path = self._path(run.run_id)
        if path is None or not path.is_file():
            return None
        try:
            history = _read(path, run.run_id)
        except (OSError, ValueError, pa.ArrowException) as error:
            self._warn("ignored", f"{path}: {error}")
            return None
        latest = {key: point for key, point in run.latest.items() if key in keys}
        if not agrees_with(history, latest, complete=False):
            return None
        wanted = np.isin(history.keys, list(latest))[history.key_index]
        if wanted.all():
            return history
        return History(history.keys, history.key_index[wanted], history.step[wanted],
                       history.value[wanted], history.timestamp[wanted])

    def _path(self, run_id: str) -> Path | None:
        """None for anything but a plain run id (hex): it never names a file."""
        return self.folder / f"{run_id}.arrow" if run_id.isascii() and run_id.isalnum() else None

    def _warn(self, kind: str, detail: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("history cache: %s (%s); those runs are read from the server",
                        "a file was not ours or damaged" if kind == "ignored"
                        else "cannot write", detail[:300])


def _read(path: Path, run_id: str) -> History:
    """The file's points; ValueError for a file that is not the cache's file of `run_id`."""
    table = pa.ipc.open_stream(path.read_bytes()).read_all()
    metadata = table.schema.metadata or {}
    if metadata.get(b"format") != FORMAT or metadata.get(b"run_id") != run_id.encode():
        raise ValueError(f"not a history cache file of run {run_id}")
    if table.schema.names != _POINTS or not pa.types.is_dictionary(table.schema.field(f.KEY).type):
        raise ValueError(f"columns {table.schema}, not {_POINTS}")
    table = table.combine_chunks()
    chunks = table.column(f.KEY).chunks
    keys = chunks[0] if chunks else pa.array([], pa.dictionary(pa.int32(), pa.string()))
    return History(np.asarray(keys.dictionary.to_pylist(), dtype=np.str_),
                   keys.indices.to_numpy(zero_copy_only=False).astype(np.int32),
                   table.column(f.STEP).to_numpy(), table.column(f.VALUE).to_numpy(),
                   table.column(f.TIMESTAMP).to_numpy())


def _points(held: dict[str, History]) -> pd.DataFrame:
    """One frame of the runs' points, built from their arrays (no per-run frame)."""
    names = sorted({str(k) for h in held.values() for k in h.keys})
    index = {name: i for i, name in enumerate(names)}
    parts = list(held.values())
    codes = [np.array([index[str(k)] for k in h.keys], dtype=np.int32)[h.key_index]
             for h in parts]

    def joined(values: list[np.ndarray], dtype: str) -> np.ndarray:
        return np.concatenate(values) if values else np.array([], dtype=dtype)

    return pd.DataFrame({
        f.RUN_ID: np.repeat(np.array(list(held), dtype=object), [len(c) for c in codes]),
        f.KEY: pd.Categorical.from_codes(joined(codes, "int32"), categories=pd.Index(names)),
        f.STEP: joined([h.step for h in parts], "int64"),
        f.VALUE: joined([h.value for h in parts], "float64"),
        f.TIMESTAMP: joined([h.timestamp for h in parts], "int64")})
