"""The runs table's rows: JSON-ready, params that vary, names kept as plain text."""

from __future__ import annotations

import math

import pandas as pd

from dashboard.page_notes import found_keys, shared_baseline
from dashboard.table import (
    GRID_OPTIONS,
    column_defs,
    distinguishing_params,
    review_text,
    table_rows,
)

RUNS = pd.DataFrame({"run_id": ["a", "b"], "params.lr": ["0.1", "0.01"],
                     "params.seed": ["0", "0"], "params.note": ["<b>x</b>", None]})
TABLE = pd.DataFrame({
    "run_id": ["a", "b"], "run_name": ["<img src=x>", None], "status": ["FINISHED", "FAILED"],
    "final_loss": [0.2, math.inf], "final_accuracy": [0.9, math.nan], "best_loss": [0.1, 0.3],
    "best_loss_epoch": pd.array([3, None], dtype="Int64"), "best_accuracy": [0.91, 0.5],
    "best_accuracy_epoch": pd.array([4, 1], dtype="Int64"), "quadrant": ["x", None],
    "pareto": [True, False], "divergence_epoch": [5.0, math.nan],
    "baseline_accuracy": [0.6, 0.6], "epochs": pd.array([10, 2], dtype="Int64"),
    "parent_run_id": [None, "a"], "child_runs": [1, 0],
}).set_index("run_id", drop=False)


def test_only_params_that_vary_get_a_column_under_one_heading() -> None:
    assert distinguishing_params(RUNS) == ["params.lr", "params.note"]
    columns = column_defs(["params.lr", "params.epochs"])
    assert columns[0]["field"] == "run_name"
    params = columns[-1]
    assert params["headerName"] == "params"
    assert [(c["field"], c["headerName"]) for c in params["children"]] == [
        ("params.lr", "lr"), ("params.epochs", "epochs")]
    titles = [c["headerName"] for c in columns[:-1]] + [c["headerName"] for c in
                                                       params["children"]]
    assert len(titles) == len(set(titles))  # "epochs trained" and the param "epochs"
    assert not any("cellRenderer" in c for c in columns)  # text only
    assert GRID_OPTIONS["suppressFieldDotNotation"] is True  # `params.lr` is not a path


def test_rows_are_json_ready_with_lift_over_the_majority_baseline() -> None:
    a, b = table_rows(TABLE, RUNS, ["params.lr", "params.note"], {"a": "#123456"})
    assert a["colour"] == "#123456" and b["colour"] is None
    assert a["run_id"] == "a" and a["run_name"] == "<img src=x>"  # as text, unchanged
    assert math.isclose(a["lift"], 0.3) and a["pareto"] == "yes" and a["best_loss_epoch"] == 3
    assert b["final_loss"] is None and b["lift"] is None and b["best_loss_epoch"] is None
    assert b["run_name"] is None and b["params.note"] is None and b["params.lr"] == "0.01"


def test_a_sweeps_children_show_their_parent_by_name() -> None:
    a, b = table_rows(TABLE, RUNS, [], {})
    assert b["parent"] == "<img src=x>" and a["parent"] is None
    hidden = {c["field"]: c["hide"] for c in column_defs([], children=False)}
    shown = {c["field"]: c["hide"] for c in column_defs([], children=True, experiments=True)}
    assert hidden["parent"] and shown["parent"] is False  # said: the grid keeps an omitted one
    assert hidden["experiment"] and shown["experiment"] is False
    assert hidden["lift"] is False and column_defs([], baselines=False)[7]["hide"] is True


def test_the_deciding_columns_come_first_and_fit_a_1280_px_screen() -> None:
    """At 200 px a column (the grid's default), lift over the majority sat 900 px off-screen
    at 1280 px: the imbalanced experiment's one telling number."""
    shown = [c for c in column_defs([], names=["mlp-16-decay-3-short-seed0"]) if not c["hide"]]
    fields = [c["field"] for c in shown]
    assert fields[:7] == ["run_name", "status", "review", "final_loss", "final_accuracy",
                          "lift", "quadrant"]
    checkbox = 50
    assert sum(c["width"] for c in shown[:6]) + checkbox <= 1280 - 2 * 24 - 60


def test_each_review_status_reads_with_its_reason_who_and_when() -> None:
    tag = "tags.lossboard.review."
    runs = pd.DataFrame({"run_id": ["a", "b", "c", "d"],
                         tag + "status": ["shortlisted", "rejected", "selected", None],
                         tag + "reason": ["close second", "overconfident", "best loss", None],
                         tag + "reviewer": ["ana", None, "bo", None],
                         tag + "time": ["2026-12-02T10:00:00+00:00", None, "t", None]})
    assert review_text(runs).to_dict() == {
        "a": "shortlisted: close second (ana, 2026-12-02T10:00:00+00:00)",
        "b": "rejected: overconfident (?, ?)",
        "c": "chosen: best loss (bo, t)",  # an older Lossboard's "selected"
        "d": None}


def test_the_run_column_fits_its_longest_name_within_bounds() -> None:
    assert column_defs([])[0]["width"] == 280  # no names: the narrowest
    assert column_defs([], names=["x" * 30])[0]["width"] == 304
    assert column_defs([], names=["a", "x" * 200])[0]["width"] == 520  # then whole on hover
    assert column_defs([])[0]["tooltipField"] == "run_name"


def test_the_key_pickers_say_which_keys_were_read() -> None:
    assert found_keys(pd.Series(["val_loss"] * 3)) == "val_loss (found)"
    assert found_keys(pd.Series(["val_loss", "eval_loss", "eval_loss", "valid_0-logloss",
                                 "x", None])) == "eval_loss, val_loss +2 (found per run)"
    assert found_keys(pd.Series([None], dtype=object)) == "found automatically"


def test_runs_share_a_baseline_line_only_when_their_baselines_agree() -> None:
    assert shared_baseline(pd.Series([0.621, 0.625, 0.629])) == (0.625, "")
    line, why = shared_baseline(pd.Series([0.626, 0.904]))
    assert line is None and why.startswith("These runs' majority-class baselines differ "
                                           "(0.626 to 0.904)")
    assert shared_baseline(pd.Series([], dtype=float)) == (None, "")


def test_by_group_the_measures_fit_a_mean_and_its_spread() -> None:
    """"0.5079 ± 0.1…" was cut at the width a single number needs."""
    widths = {c["field"]: c.get("width") for c in column_defs([], grouped=True)}
    assert widths["final_loss"] == widths["best_accuracy"] == 180
    assert {c["field"]: c.get("width") for c in column_defs([])}["final_loss"] == 150
