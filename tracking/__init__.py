"""MLflow I/O for Lossboard: the one package that imports mlflow.

The exports load on first use, so the SQL fast path (`tracking.sql_reader`) starts without
importing MLflow (~1.8 s and ~90 MB).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracking import keys
    from tracking.logger import EpochLogger
    from tracking.replay import replay_spool
    from tracking.settings import TrackingSettings

_EXPORTS = {"EpochLogger": "tracking.logger", "TrackingSettings": "tracking.settings",
            "keys": "tracking.keys", "replay_spool": "tracking.replay"}
__all__ = ["EpochLogger", "TrackingSettings", "keys", "replay_spool"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tracking' has no attribute {name!r}")
    module = import_module(_EXPORTS[name])
    return module if name == "keys" else getattr(module, name)
