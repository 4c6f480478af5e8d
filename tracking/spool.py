"""A run that could not be sent, saved to disk: its folder layout and JSON record."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

from tracking.outbox import PendingRun, Point, Refused

SPOOL_FILE = "run.json"
REFUSED_FILE = "refused.json"


def write_spool(run: PendingRun, spool_root: Path) -> Path:
    """Save what could not be sent (artifacts copied alongside) so `replay_spool` can send it."""
    folder = spool_root / run.token
    copied = []
    for index, (local_file, artifact_dir) in enumerate(run.artifacts):
        target = folder / "files" / str(index) / Path(local_file).name  # keep the file's name
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(local_file).resolve() != target.resolve():
            shutil.copy2(local_file, target)
        copied.append((str(target), artifact_dir))
    folder.mkdir(parents=True, exist_ok=True)
    record = asdict(run) | {"artifacts": copied, "points": [list(p) for p in run.points]}
    (folder / SPOOL_FILE).write_text(json.dumps(record, indent=1))
    return folder


def read_spool(folder: Path) -> PendingRun:
    record = json.loads((folder / SPOOL_FILE).read_text())
    record["points"] = [Point(*p) for p in record["points"]]
    record["artifacts"] = [tuple(a) for a in record["artifacts"]]
    record["refused"] = [Refused(*r) for r in record.get("refused", [])]
    # Whatever was sent before the spool was written may have landed: check before re-sending.
    record["uncertain"] = True
    return PendingRun(**record)


def write_refused(run: PendingRun, spool_root: Path) -> Path:
    """Keep what the store refused (never sent again) where a person can look at it."""
    folder = spool_root / run.token
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REFUSED_FILE
    record = {"run_id": run.run_id, "run_name": run.run_name, "tracking_uri": run.tracking_uri,
              "refused": [r._asdict() for r in run.refused]}
    path.write_text(json.dumps(record, indent=1))
    return path


def remove_sent(folder: Path) -> None:
    """A replayed run is all sent: drop what replay would send again, keep refused items."""
    if not (folder / REFUSED_FILE).exists():
        shutil.rmtree(folder, ignore_errors=True)
        return
    (folder / SPOOL_FILE).unlink(missing_ok=True)
    shutil.rmtree(folder / "files", ignore_errors=True)
