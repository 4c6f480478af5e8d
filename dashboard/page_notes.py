"""What the page says beside its charts, in words: the keys it read, why no baseline line is
drawn, what a very large experiment costs, which RUNNING runs have stalled."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from analysis import frames as f

FOUND = "found automatically"  # a key picker left to find its key, before anything is read
BASELINES_APART = 0.01  # runs whose majority-class baselines differ more share no one line
LARGE_EXPERIMENT_RUNS = 2000  # measured: 1000 runs draw in 1-2 s, 10,000 in about 5 s


def joined(*notes: str) -> str:
    return " ".join(note for note in notes if note)


def found_keys(chosen: pd.Series) -> str:
    """What a key picker says it read when left to find the key: the key (the two most used
    and how many more, when runs logged theirs under different names)."""
    counts = chosen.dropna().astype(str).value_counts()
    if counts.empty:
        return FOUND
    named = ", ".join(counts.index[:2]) + (f" +{len(counts) - 2}" if len(counts) > 2 else "")
    return f"{named} (found{' per run' if len(counts) > 1 else ''})"


def shared_baseline(baselines: pd.Series) -> tuple[float | None, str]:
    """The one majority-class baseline the runs share (their median), or None and why not:
    experiments compared together may hold different class balances (0.626 and 0.904), and
    one line between them would misjudge both."""
    if baselines.empty:
        return None, ""
    low, high = float(baselines.min()), float(baselines.max())
    if high - low <= BASELINES_APART:
        return float(baselines.median()), ""
    return None, (f"These runs' majority-class baselines differ ({low:.3f} to {high:.3f}), so "
                  "no one baseline is drawn: the table's lift column weighs each run against "
                  "its own.")


def size_note(runs: int) -> str:
    """What a very large experiment costs, said on the page rather than left to be guessed."""
    if runs < LARGE_EXPERIMENT_RUNS:
        return ""
    return (f"{runs:,} runs: every one is drawn (the unselected ones thinned to a faint "
            "background), so each change takes a few seconds.")


def stalled_runs(rows: list[dict[str, Any]], runs: pd.DataFrame, after: float
                 ) -> tuple[list[dict[str, Any]], bool, str]:
    """The table's rows with quiet RUNNING runs marked stalled, whether the page stays live
    (a RUNNING run still logs), and what to say of the stalled ones; judged now (a cached
    read does not age)."""
    quiet = f.stalled(runs, time.time() * 1000, after)
    stalled_ids = set(runs.loc[quiet, f.RUN_ID])
    live = bool(((runs[f.STATUS] == "RUNNING") & ~quiet).any())
    if not stalled_ids:
        return rows, live, ""
    marked = [row | {f.STATUS: "RUNNING (stalled)"} if row[f.RUN_ID] in stalled_ids else row
              for row in rows]
    return marked, live, (
        f"{len(stalled_ids)} RUNNING run(s) logged nothing for over {_duration(after)}: shown "
        "as stalled (the training process probably died), and the page no longer refreshes "
        "for them. LOSSBOARD_STALLED_SECONDS sets when.")


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
