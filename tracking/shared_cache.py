"""Finished runs' histories and predictions, shared by the dashboard's processes through Redis.

One value per run, written once its run has finished and never changed afterwards:
`lossboard:history:<namespace>:<run_id>` (its history rows, Arrow IPC, zstd) and
`lossboard:predictions:<namespace>:<run_id>` (proba then labels, `np.save`), both expiring after
a week. The namespace is a hash of the store's URI without its password, the extra keys read and
the encoding's version, so stores, key sets and releases never read each other's values.

Redis is a convenience, never a dependency: when it is unreachable or answers errors, one warning
is logged, every call is a miss (reads go to the store) and Redis is tried again 30 s later.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis import frames as f
from analysis.calibration import Predictions
from tracking.settings import without_password

if TYPE_CHECKING:
    from redis import Redis

FORMAT_VERSION = 1  # part of every namespace: a new encoding never reads an older one's values
DEFAULT_TTL_SECONDS = 7 * 24 * 3600
RETRY_AFTER_SECONDS = 30.0
SOCKET_TIMEOUT_SECONDS = 1.5
_KEYS_PER_ROUND_TRIP = 256
log = logging.getLogger("lossboard.tracking")
T = TypeVar("T")


def encode_history(history: pd.DataFrame) -> bytes:
    """Rows of a history frame as Arrow IPC: dtypes, NaN and +/-inf kept exactly; index dropped."""
    table = pa.Table.from_pandas(history, preserve_index=False)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def decode_history(data: bytes) -> pd.DataFrame:
    frame: pd.DataFrame = pa.ipc.open_stream(data).read_all().to_pandas()
    return frame


def encode_predictions(predictions: Predictions) -> bytes:
    buffer = io.BytesIO()
    for array in predictions:
        np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def decode_predictions(data: bytes) -> Predictions:
    buffer = io.BytesIO(data)
    proba, labels = (np.load(buffer, allow_pickle=False) for _ in range(2))
    if buffer.read(1) or proba.ndim != 2 or labels.shape != proba.shape[:1]:
        raise ValueError("not a (proba, labels) pair")
    return proba, labels


def namespace(store_uri: str, extra_keys: Collection[str] = ()) -> str:
    """16 hex digits naming what a value was read from: the store and the extra keys asked."""
    what = [FORMAT_VERSION, without_password(store_uri), sorted({k for k in extra_keys if k})]
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()[:16]


def history_key(space: str, run_id: str) -> str:
    return f"lossboard:history:{space}:{run_id}"


def predictions_key(space: str, run_id: str) -> str:
    return f"lossboard:predictions:{space}:{run_id}"


class RedisHistoryCache:
    """Histories and predictions of finished runs of one store, in the Redis at `url`
    (`redis://[:password@]host:port/db`). Every method answers, whatever Redis does: a miss
    (or nothing stored) when it cannot."""

    def __init__(self, url: str, store_uri: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS,
                 retry_after: float = RETRY_AFTER_SECONDS,
                 timeout: float = SOCKET_TIMEOUT_SECONDS) -> None:
        import redis  # only here: a dashboard without a shared cache never imports it
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url = without_password(url)
        self.store_uri = store_uri
        self._client: Redis = redis.Redis.from_url(  # ValueError for a malformed URL
            url, socket_timeout=timeout, socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0))  # the store is the fallback: no waiting on retries
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._ttl = ttl_seconds
        self._retry_after = retry_after
        self._down_until = 0.0
        self._warned = False

    def get(self, run_ids: Sequence[str],
            extra_keys: Collection[str] = ()) -> tuple[pd.DataFrame, set[str]]:
        """The histories held for `run_ids` (one frame) and the runs they are of."""
        space = namespace(self.store_uri, extra_keys)
        found = self._fetch([history_key(space, r) for r in run_ids], run_ids, decode_history)
        held = {r: h for r, h in found.items()
                if list(h.columns) == f.HISTORY_COLUMNS and (h[f.RUN_ID] == r).all()}
        if not held:
            return f.empty_history(), set()
        return pd.concat(held.values(), ignore_index=True), set(held)

    def put(self, history: pd.DataFrame, run_ids: Collection[str],
            extra_keys: Collection[str] = ()) -> None:
        """Store each of `run_ids`' rows of `history` (finished runs only; none is a value too)."""
        space = namespace(self.store_uri, extra_keys)
        parts = dict(iter(history.groupby(f.RUN_ID, sort=False, observed=True)))
        empty = history.iloc[0:0]
        self._store({history_key(space, r): encode_history(parts.get(r, empty))
                     for r in run_ids})

    def get_predictions(self, run_ids: Sequence[str]) -> dict[str, Predictions]:
        space = namespace(self.store_uri)
        keys = [predictions_key(space, r) for r in run_ids]
        return self._fetch(keys, run_ids, decode_predictions)

    def put_predictions(self, predictions: Mapping[str, Predictions]) -> None:
        space = namespace(self.store_uri)
        self._store({predictions_key(space, r): encode_predictions(p)
                     for r, p in predictions.items()})

    def _fetch(self, keys: Sequence[str], run_ids: Sequence[str],
               decode: Callable[[bytes], T]) -> dict[str, T]:
        values: list[bytes | str | None] = self._guarded(lambda: list(self._mget(keys)), [])
        found: dict[str, T] = {}
        for run_id, key, value in zip(run_ids, keys, values, strict=False):
            if not isinstance(value, bytes):  # None: not held
                continue
            try:
                found[run_id] = decode(value)
            except Exception as error:  # whatever a damaged value makes the decoder raise
                log.warning("shared cache: %s is unreadable (%s); reading it again", key, error)
        return found

    def _mget(self, keys: Sequence[str]) -> Iterator[bytes | str | None]:
        for start in range(0, len(keys), _KEYS_PER_ROUND_TRIP):
            yield from self._client.mget(keys[start:start + _KEYS_PER_ROUND_TRIP])

    def _store(self, values: Mapping[str, bytes]) -> None:
        def send() -> None:
            with self._client.pipeline(transaction=False) as pipe:
                for key, value in values.items():
                    pipe.set(key, value, ex=self._ttl)
                pipe.execute()

        if values:
            self._guarded(send, None)

    def _guarded(self, call: Callable[[], T], fallback: T) -> T:
        """`call()`, or `fallback` while Redis is failing (then tried again after a while)."""
        if time.monotonic() < self._down_until:
            return fallback
        try:
            result = call()
        except self._errors as error:
            self._down_until = time.monotonic() + self._retry_after
            if not self._warned:  # once per outage, not once per call
                self._warned = True
                log.warning("shared cache at %s unavailable (%s); reading from the store "
                            "directly, trying Redis again every %g s",
                            self.url, error, self._retry_after)
            return fallback
        if self._warned:
            self._warned = False
            log.info("shared cache at %s answers again", self.url)
        return result
