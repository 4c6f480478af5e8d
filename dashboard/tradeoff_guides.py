"""The trade-off scatter's layout in the reviewer's words: each quadrant named in its corner
(or why there are no quadrants), the medians and the majority-class baseline as lines, and
axes that open on the contenders, saying what they leave below."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from analysis import frames as f
from analysis.tradeoff import (
    HIGH_ACC_HIGH_LOSS,
    HIGH_ACC_LOW_LOSS,
    LOW_ACC_HIGH_LOSS,
    LOW_ACC_LOW_LOSS,
)
from dashboard.figures import GUIDE
from dashboard.plot_json import hline, note, vline
from dashboard.units import SPREAD

QUADRANT_LABELS = {HIGH_ACC_HIGH_LOSS: "overconfident: high accuracy, high loss",
                   LOW_ACC_LOW_LOSS: "hedging: low accuracy, low loss",
                   HIGH_ACC_LOW_LOSS: "better on both: high accuracy, low loss",
                   LOW_ACC_HIGH_LOSS: "worse on both: low accuracy, high loss"}
# each label by its corner (high loss is right, high accuracy is up): the top two just above
# the plot, where no point can sit under them (accurate runs crowd the top edge)
CORNERS = {HIGH_ACC_HIGH_LOSS: (1, 1, "right", "bottom"),
           LOW_ACC_LOW_LOSS: (0, 0, "left", "bottom"),
           HIGH_ACC_LOW_LOSS: (0, 1, "left", "bottom"),
           LOW_ACC_HIGH_LOSS: (1, 0, "right", "bottom")}
MIN_RUNS_FOR_QUADRANTS = 4  # fewer runs than this have no median worth splitting at
# the default view is the contenders': a point this many interquartile ranges (at least
# MIN_SPREAD) under the lower quartile of accuracy is left below it, and the axis title says so
OUTLYING_IQRS, MIN_SPREAD = 3.0, 0.01
PAD = 0.08  # of an axis's span, either side: room for a star and the baseline's name


def contenders_view(known: pd.DataFrame, baseline: float | None,
                    selected: Collection[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The axes, opened on the contenders: far less accurate points (but selected ones) left
    below the view, named in the loss axis's title (a double-click shows every point); the
    majority-class baseline inside the view when it is near, with room above it for its name."""
    if known.empty:
        return {"title": {"text": "validation loss (lower is better)"}}, {
            "title": {"text": "validation accuracy"}}
    accuracy = known[f.FINAL_ACCURACY].astype(float)
    low_q, high_q = accuracy.quantile([0.25, 0.75])
    floor = low_q - OUTLYING_IQRS * max(high_q - low_q, MIN_SPREAD)
    shown = known[(accuracy >= floor) | known[f.RUN_ID].isin(list(selected))]
    spread = shown.get(f.FINAL_ACCURACY + SPREAD, pd.Series(0.0, index=shown.index)).fillna(0)
    low = float((shown[f.FINAL_ACCURACY] - spread).min())
    high = float((shown[f.FINAL_ACCURACY] + spread).max())
    if baseline is not None and baseline >= floor:
        low = min(low, baseline)
    pad = max(high - low, MIN_SPREAD) * PAD
    left_out = len(known) - len(shown)
    unit = "seed group" if f.FINAL_ACCURACY + SPREAD in known else "run"
    xaxis: dict[str, Any] = {"title": {"text": "validation loss (lower is better)" + _below(
        left_out, unit, floor, baseline if baseline is not None and baseline < floor else None)}}
    losses = shown[f.FINAL_LOSS].astype(float)
    losses = losses[np.isfinite(losses)]
    if left_out and len(losses):
        margin = max(float(losses.max() - losses.min()), MIN_SPREAD) * PAD
        xaxis["range"] = [float(losses.min()) - margin, float(losses.max()) + margin]
    yaxis = {"title": {"text": "validation accuracy"}, "range": [low - pad, high + pad]}
    return xaxis, yaxis


def _below(count: int, unit: str, floor: float, baseline: float | None) -> str:
    """What the view leaves below it (`count` runs or seed groups, the `unit`), for the loss
    axis's title ("" if nothing)."""
    below = [f"{count} {unit}{'s' if count > 1 else ''} with accuracy under {floor:.3f}"
             ] if count else []
    if baseline is not None:
        below.append(f"the majority-class baseline ({baseline:.3f})")
    return f"   ·   below the view: {' and '.join(below)}; double-click to see all" if below else ""


def guides(known: pd.DataFrame, split: bool, baseline: float | None) -> dict[str, Any]:
    """The layout's shapes and annotations: the medians and the quadrants' names when there
    are enough runs to split (else say so), and the majority-class baseline."""
    shapes, notes = [], []
    if split:
        shapes += [vline(float(known[f.FINAL_LOSS].median()), {"color": "#bbbbbb"}),
                   hline(float(known[f.FINAL_ACCURACY].median()), {"color": "#bbbbbb"})]
        notes += [note(QUADRANT_LABELS[quadrant], x=x, y=y, xref="x domain", yref="y domain",
                       xanchor=xanchor, yanchor=yanchor, font={"size": 12, "color": "#555555"})
                  for quadrant, (x, y, xanchor, yanchor) in CORNERS.items()]
    elif len(known):
        notes.append(note(
            f"{len(known)} {'seed group' if f.FINAL_LOSS + SPREAD in known else 'run'}"
            f"{'s' if len(known) != 1 else ''}: too few to split into quadrants at the medians",
            x=0.5, y=1, xref="x domain", yref="y domain", yanchor="top"))
    if baseline is not None:  # named above its middle: the corners hold the quadrants' names
        shapes.append(hline(baseline, {"dash": "dot", "color": GUIDE}))
        notes.append(note("majority-class baseline", x=0.5, y=baseline, xref="x domain",
                          yref="y", xanchor="center", yanchor="bottom"))
    return {"shapes": shapes, "annotations": notes}
