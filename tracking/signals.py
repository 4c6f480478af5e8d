"""SIGTERM in any training script (docker stop, Kubernetes, Slurm, systemd send it): the runs of
the loggers alive end KILLED with everything logged sent or spooled, never left RUNNING.

While at least one `EpochLogger` is open, a handler sits on SIGTERM in the main thread. It
chains the handler that was there: a Python handler of the script's own is called (it decides
what happens next, e.g. a graceful stop flag), SIG_IGN stays ignored, and the default (end the
process) becomes `SystemExit(143)`, so `with` blocks, `finally` clauses and atexit hooks run and
the process still exits with status 143, as one stopped by SIGTERM reports. The previous handler
is put back when the last logger finishes, unless the script installed another meanwhile.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

EXIT_CODE = 128 + signal.SIGTERM
_lock = threading.Lock()
_holders = 0
_previous: Any = None
_received = threading.Event()


def hold() -> bool:
    """Install the handler (once for all loggers); False outside the main thread, where Python
    cannot set signal handlers (the run then ends KILLED only at interpreter exit)."""
    global _holders, _previous
    if threading.current_thread() is not threading.main_thread():
        return False
    with _lock:
        if _holders == 0:
            _previous = signal.signal(signal.SIGTERM, _on_sigterm)
        _holders += 1
    return True


def release() -> None:
    """One logger done; the last one puts the previous handler back."""
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0 and signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, _previous if _previous is not None else signal.SIG_DFL)


def received() -> bool:
    """Whether SIGTERM arrived while a logger held the handler (finishing is then kept short)."""
    return _received.is_set()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _received.set()
    if callable(_previous):
        _previous(signum, frame)
    elif _previous != signal.SIG_IGN:
        raise SystemExit(EXIT_CODE)
