"""Background delivery of one run's data, so training never waits on the tracking store."""

from __future__ import annotations

import copy
import logging
import queue
import threading
import time
from collections.abc import Callable

from mlflow import MlflowClient

from tracking.extras import missing_extra
from tracking.outbox import PendingRun, send
from tracking.retry import Backoff, is_transient, single_attempt
from tracking.settings import TrackingSettings
from tracking.store_setup import open_client

log = logging.getLogger("lossboard.tracking")

Change = Callable[[PendingRun], None]

# A request already under way when the flush deadline passes may still take this long:
# MLflow's SQLite busy timeout is 20 s; HTTP requests are capped by request_timeout.
_IN_FLIGHT_GRACE = 25.0


class Sender:
    """Owns a `PendingRun` on a daemon thread: applies changes, sends them with back-off."""

    def __init__(
        self, pending: PendingRun, settings: TrackingSettings, backoff: Backoff | None = None
    ) -> None:
        self.pending = pending
        self.rejected: str | None = None
        self.interrupted: SystemExit | None = None
        self._settings = settings
        self._client: MlflowClient | None = None  # built on first attempt: it may fail too
        self._backoff = backoff or Backoff()
        self._inbox: queue.SimpleQueue[Change] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._deadline: float | None = None
        self._unsent_since: float | None = None
        self._thread = threading.Thread(target=self._loop, name="lossboard-sender", daemon=True)
        self._thread.start()

    def submit(self, change: Change) -> None:
        """Queue a change to the pending run; the sender applies it and sends soon."""
        self._inbox.put(change)
        self._wake.set()

    def sent_everything(self) -> bool:
        return self._inbox.empty() and self.pending.is_empty()

    def close(self, final_status: str, flush_timeout: float) -> PendingRun:
        """Send everything and end the run, retrying up to `flush_timeout` seconds; return what
        is left. Interrupted (Ctrl-C, SIGTERM), it saves what is left at once instead; a
        SystemExit is kept in `interrupted` for the caller to raise once that is done."""

        def closing(run: PendingRun) -> None:
            run.final_status = final_status
            self._deadline = time.monotonic() + flush_timeout

        self.submit(closing)
        try:
            self._thread.join(flush_timeout + _IN_FLIGHT_GRACE)
        except (KeyboardInterrupt, SystemExit) as stop:
            log.warning("interrupted while sending: saving what is left instead")
            self.interrupted = stop if isinstance(stop, SystemExit) else None
            self.submit(self._give_up)
            self._thread.join(_IN_FLIGHT_GRACE)
        if self._thread.is_alive():  # stuck in a request: report a snapshot, marked uncertain
            snapshot = copy.deepcopy(self.pending)
            snapshot.uncertain = True
            return snapshot
        return self.pending

    def _give_up(self, run: PendingRun) -> None:
        self._deadline = 0.0

    def _loop(self) -> None:
        while True:
            self._wake.clear()
            while not self._inbox.empty():
                self._inbox.get()(self.pending)
                self._unsent_since = self._unsent_since or time.monotonic()
            if self._can_send() and self._backoff.due() and self._gathered() <= 0:
                self._attempt()
            if self._deadline is not None and self._done():
                return
            self._wake.wait(self._seconds_to_wait())

    def _can_send(self) -> bool:
        return self.rejected is None and not self.pending.is_empty()

    def _gathered(self) -> float:
        """Seconds left to gather changes into one write (0 or less: write now)."""
        if self._deadline is not None or self._unsent_since is None:
            return 0.0
        return self._unsent_since + self._settings.send_interval - time.monotonic()

    def _done(self) -> bool:
        past_deadline = self._deadline is not None and time.monotonic() >= self._deadline
        return not self._can_send() or past_deadline

    def _seconds_to_wait(self) -> float | None:
        waits = []
        if self._can_send():
            waits.append(max(self._backoff.seconds_until_due(), self._gathered()))
        if self._deadline is not None:
            waits.append(max(0.0, self._deadline - time.monotonic()))
        return min(waits) if waits else None

    def _attempt(self) -> None:
        try:
            with single_attempt(self._settings.request_timeout):
                if self._client is None:
                    self._client = open_client(self._settings.tracking_uri)
                send(self._client, self.pending)
        except Exception as error:  # every failure is reported; none may kill the thread
            self._on_failure(error)
            return
        self._unsent_since = None
        if self._backoff.failures:
            log.warning("%s reachable again: buffered data sent", self._settings.tracking_uri)
        self._backoff.succeeded()

    def _on_failure(self, error: Exception) -> None:
        if not is_transient(error):
            needed = missing_extra(error, f"writing to {self._settings.tracking_uri}")
            self.rejected = needed or f"{type(error).__name__}: {error}"
            log.error("tracking store refused run %r: %s", self.pending.run_name,
                      needed or error)
            return
        if self._backoff.failures == 0:
            log.warning(
                "cannot write to %s (%s); buffering and retrying with back-off",
                self._settings.tracking_uri,
                str(error).splitlines()[0][:200],
            )
        self._backoff.failed()
