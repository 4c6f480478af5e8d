"""The runs table: one row per run from the comparison, plus the params that tell runs apart.

Cells are plain text or numbers: ag-grid renders them as text (no HTML renderer is configured),
so a run named `<img src=x onerror=...>` shows as those characters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from analysis import frames as f
from analysis.report import json_value
from tracking import keys

MAX_PARAM_COLUMNS = 8
# the grid's functions are in assets/groups.js: four decimals (a group's "mean ± sd"), a group's
# name with its open/closed mark, a group's runs hidden until it is opened and kept under it
# widths that fit their values: the deciding columns (lift included) fit at 1280 px, where the
# grid's default of 200 px a column left lift 900 px off-screen; a short heading on screen
# where the whole one would not fit (the whole one in the CSV and on hover)
NUMBER = {"type": "numericColumn", "filter": "agNumberColumnFilter", "width": 150,
          "valueFormatter": {"function": "lossboardNumber(params)"}}
WHOLE = {"type": "numericColumn", "filter": "agNumberColumnFilter", "width": 165}
GROUPED_NUMBER_WIDTH = 180  # a seed group's "0.5079 ± 0.1079"
TEXT = {"filter": "agTextColumnFilter"}
DEFAULT_COLUMN = {"sortable": True, "resizable": True, "filter": True}


def short(heading: str, whole: str) -> dict[str, str]:
    """A column's heading on screen, and its whole meaning on hover."""
    return {"headerName": heading, "headerTooltip": whole}


GRID_OPTIONS = {"rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": True,
                                 "enableClickSelection": False, "selectAll": "filtered"},
                "isExternalFilterPresent": {"function": "lossboardFiltering()"},
                "doesExternalFilterPass": {"function": "lossboardShown(params)"},
                "postSortRows": {"function": "lossboardKeepGroups(params)"},
                "animateRows": False, "enableCellTextSelection": True, "tooltipShowDelay": 300,
                "headerHeight": 36, "groupHeaderHeight": 26,  # two rows: the params heading
                # one Tab stop, arrows within (the ARIA grid pattern): Tab walked every cell
                # of every row, 500-odd presses, before the review panel under the table
                "tabToNextCell": {"function": "false"},
                "tabToNextHeader": {"function": "false"},
                # `params.lr` is a column name, not a path into a nested `params` object
                "suppressFieldDotNotation": True}
MIN_RUN_WIDTH, MAX_RUN_WIDTH, CHAR_PX = 280, 520, 8  # CHAR_PX: an average character, 13 px font
# the run's line colour as a swatch: the table is the charts' legend
RUN_SWATCH = {"function": "({borderLeft: '8px solid ' + params.data.colour})"}

RUN_COLUMNS: list[tuple[str, str, dict[str, Any]]] = [
    (f.RUN_NAME, "run", {**TEXT, "pinned": "left", "minWidth": 200, "cellStyle": RUN_SWATCH,
                         "tooltipField": f.RUN_NAME,
                         "valueFormatter": {"function": "lossboardRunName(params)"}}),
    (f.EXPERIMENT, "experiment", TEXT),  # shown only when several experiments are compared
    (f.STATUS, "status", {**TEXT, "width": 130}),
    ("parent", "parent run", TEXT),  # shown only when some run is a sweep's child
    ("review", "review", {**TEXT, "width": 220, "tooltipField": "review"}),  # whole on hover
    (f.FINAL_LOSS, "final val loss", {**NUMBER, **short("val loss", "final validation loss")}),
    (f.FINAL_ACCURACY, "final val accuracy",
     {**NUMBER, **short("val accuracy", "final validation accuracy")}),
    ("lift", "lift over majority", {**NUMBER, "width": 160, **short(  # only with a baseline
        "over majority", "final validation accuracy minus the majority-class baseline's "
                         "(always answering the most common class)")}),
    (f.QUADRANT, "quadrant", {**TEXT, "width": 210}),
    (f.BEST_LOSS, "best val loss", NUMBER),
    (f.BEST_LOSS_EPOCH, "best-loss epoch", WHOLE),
    (f.BEST_ACCURACY, "best val accuracy",
     {**NUMBER, **short("best accuracy", "best validation accuracy over the epochs")}),
    (f.BEST_ACCURACY_EPOCH, "best-accuracy epoch", {**WHOLE, "width": 175}),
    (f.PARETO, "Pareto", {**TEXT, "width": 110}),
    (f.DIVERGENCE_EPOCH, "divergence epoch", WHOLE),
    (f.EPOCHS, "epochs trained", WHOLE),
]
WHOLE_FIELDS = [field for field, _, extra in RUN_COLUMNS  # numbers shown without decimals
                if extra.get("type") == "numericColumn" and "valueFormatter" not in extra]
GROUP_SPREAD = {f.FINAL_LOSS, f.FINAL_ACCURACY, f.BEST_LOSS, f.BEST_ACCURACY}  # mean ± sd


def distinguishing_params(runs: pd.DataFrame) -> list[str]:
    """`params.*` columns whose values differ between runs (the sweep's knobs), at most 8."""
    params = [c for c in runs.columns if c.startswith(f.PARAM_PREFIX)]
    varied = [c for c in params if runs[c].astype("string").nunique(dropna=False) > 1]
    return varied[:MAX_PARAM_COLUMNS]


def column_defs(param_columns: list[str], children: bool = False,
                experiments: bool = False, names: Iterable[str] = (),
                baselines: bool = True, grouped: bool = False) -> list[dict[str, Any]]:
    """The grid's columns, the params under one "params" heading; the parent-run column only
    when some run (`children`) has one, the experiment column only with several
    (`experiments`), the lift only when some run knows its majority-class baseline
    (`baselines`); the run column wide enough for the longest of `names`, the measures wide
    enough for a seed group's mean ± sd when `grouped`."""
    # `hide` always given: AG Grid keeps a column's hidden state when new column defs omit it
    hidden = {"parent": not children, f.EXPERIMENT: not experiments, "lift": not baselines}
    columns = [{"field": field, "headerName": title, "headerTooltip": title, **extra,
                "hide": hidden.get(field, False)}
               for field, title, extra in RUN_COLUMNS]
    columns[0] |= {"width": run_column_width(names)}
    if grouped:
        columns = [c | {"width": GROUPED_NUMBER_WIDTH} if c["field"] in GROUP_SPREAD else c
                   for c in columns]
    params = [{"field": c, "headerName": c.removeprefix(f.PARAM_PREFIX), **TEXT}
              for c in param_columns]
    return columns + ([{"headerName": "params", "children": params}] if params else [])


def run_column_width(names: Iterable[str]) -> int:
    """Pixels for the run column: its longest name whole (a group's "▸ ", "(3 seeds)" and the
    colour swatch included), between 280 and 520; a longer name shows whole on hover."""
    longest = max((len(str(name)) for name in names), default=0)
    return min(MAX_RUN_WIDTH, max(MIN_RUN_WIDTH, CHAR_PX * longest + 64))


def review_statuses(runs: pd.DataFrame) -> pd.Series:
    """Per run id its review status (chosen, shortlisted or rejected; an older Lossboard's
    'selected' reads as chosen), NA if not reviewed."""
    column = f.TAG_PREFIX + keys.TAG_REVIEW_STATUS
    status = runs.set_index(f.RUN_ID).reindex(columns=[column])[column].astype("string")
    return status.replace(keys.LEGACY_REVIEW_STATUSES)


def review_text(runs: pd.DataFrame) -> pd.Series:
    """Per run id: '<status>: <reason> (<reviewer>, <time>)', or None if not reviewed."""
    columns = [f.TAG_PREFIX + name for name in (keys.TAG_REVIEW_REASON,
                                                keys.TAG_REVIEW_REVIEWER, keys.TAG_REVIEW_TIME)]
    tags = runs.set_index(f.RUN_ID).reindex(columns=columns).astype("string")
    status = review_statuses(runs)
    reason, reviewer, time = (tags[c] for c in columns)
    text = (status + ": " + reason.fillna("") + " (" + reviewer.fillna("?") + ", "
            + time.fillna("?") + ")")
    return text.where(status.notna(), None)


def table_rows(table: pd.DataFrame, runs: pd.DataFrame, param_columns: list[str],
               colours: Mapping[str, str]) -> list[dict[str, Any]]:
    """JSON-ready rows keyed by run_id (the grid's row id), each with its run's line colour;
    missing numbers are None."""
    names = table.set_index(f.RUN_ID)[f.RUN_NAME]
    rows = table.assign(colour=table[f.RUN_ID].map(colours),
                        lift=table[f.FINAL_ACCURACY] - table[f.BASELINE_ACCURACY],
                        pareto=table[f.PARETO].map({True: "yes", False: ""}),
                        review=review_text(runs),
                        parent=table[f.PARENT_RUN_ID].map(names).fillna(table[f.PARENT_RUN_ID]))
    extra = [*param_columns, *([f.EXPERIMENT] if f.EXPERIMENT in runs else [])]
    params = runs.set_index(f.RUN_ID).reindex(columns=extra).astype("string")
    rows = rows.reset_index(drop=True).join(params, on=f.RUN_ID)
    fields = [c for c in [f.RUN_ID, "colour", *(field for field, _, _ in RUN_COLUMNS),
                          *param_columns] if c in rows]  # the experiment: only with several
    return [{str(k): _cell(v) for k, v in record.items()}
            for record in rows[fields].to_dict(orient="records")]


def _cell(value: Any) -> Any:
    """Numbers as numbers (None if missing or not finite), anything else as text."""
    value = json_value(value)
    return value if value is None or isinstance(value, int | float | bool) else str(value)
