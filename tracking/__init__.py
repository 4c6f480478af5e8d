"""MLflow I/O for Lossboard: the one package that imports mlflow."""

from tracking import keys
from tracking.logger import EpochLogger
from tracking.replay import replay_spool
from tracking.settings import TrackingSettings

__all__ = ["EpochLogger", "TrackingSettings", "keys", "replay_spool"]
