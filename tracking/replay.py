"""`lossboard replay`: send runs a logger saved when it could not reach its store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tracking.logger import EpochLogger, FlushReport
from tracking.settings import TrackingSettings
from tracking.spool import read_spool, remove_sent


def replay_spool(folder: Path, settings: TrackingSettings | None = None) -> FlushReport:
    """Send a run that a logger saved when it could not reach its store; remove it once sent
    (what the store refused stays in the folder's refused.json).

    The run goes to the store it was meant for unless `settings` names another.
    """
    pending = read_spool(folder)
    if settings is None:
        settings = replace(TrackingSettings.from_env(), tracking_uri=pending.tracking_uri)
    pending.tracking_uri = settings.tracking_uri
    settings = replace(settings, spool_dir=folder.parent)  # still unsent: saved where it was
    report = EpochLogger.resume(pending, settings).finish(pending.final_status or "FINISHED")
    if report.spool is None and not report.lost:
        remove_sent(folder)
    return report
