"""Seed groups: which runs are one configuration, and what the group's numbers are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import frames as f
from analysis.report import compare, to_json
from analysis.seed_groups import group_curves, group_ids, group_name, is_seed
from tests.unit.test_report import history


def runs_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.insert(1, f.RUN_NAME, frame[f.RUN_ID])
    frame.insert(2, f.STATUS, "FINISHED")
    return frame


# two configurations x three seeds, and one configuration run once
RUNS = runs_frame(
    [{f.RUN_ID: f"wide-{s}", "params.width": "64", "params.seed": str(s)} for s in range(3)]
    + [{f.RUN_ID: f"thin-{s}", "params.width": "8", "params.seed": str(s)} for s in range(3)]
    + [{f.RUN_ID: "alone", "params.width": "32", "params.seed": "0"}])
FINAL = {"wide-0": (0.30, 0.95), "wide-1": (0.34, 0.96), "wide-2": (0.32, 0.94),
         "thin-0": (0.20, 0.90), "thin-1": (0.22, 0.91), "thin-2": (0.21, 0.89),
         "alone": (0.50, 0.80)}
POINTS = history([(run, key, 1, value) for run, (loss, acc) in FINAL.items()
                  for key, value in (("val_loss", loss), ("val_accuracy", acc))])


@pytest.mark.parametrize(("name", "seed"), [
    ("seed", True), ("Seed", True), ("random_state", True), ("random-seed", True),
    ("data_seed", True), ("seeds", False), ("seed_everything", False), ("lr", False)])
def test_seed_params_are_recognised_by_name(name: str, seed: bool) -> None:
    assert is_seed(name) is seed


def test_runs_sharing_every_param_but_the_seed_form_a_group() -> None:
    ids = group_ids(RUNS)
    assert ids["wide-0"] == ids["wide-1"] == ids["wide-2"] != ids["thin-0"]
    assert ids["thin-0"] == ids["thin-2"] and ids["alone"] is None
    assert ids["wide-0"] == group_ids(RUNS.iloc[::-1])["wide-0"]  # stable ids


def test_without_a_seed_param_nothing_is_grouped_unless_asked() -> None:
    plain = RUNS.drop(columns="params.seed")
    assert group_ids(plain).isna().all()
    by_width = group_ids(plain, group_by="width")
    assert by_width["wide-0"] == by_width["wide-2"] and by_width["alone"] is None
    with pytest.raises(KeyError, match="no run logged 'depth'"):
        group_ids(plain, group_by="depth")


def test_group_means_spreads_quadrants_and_picks() -> None:
    report = to_json(compare(RUNS, POINTS), "e", "loss")
    groups = {tuple(g["runs"]): g for g in report["groups"]}
    wide = groups[("wide-0", "wide-1", "wide-2")]
    assert wide["n"] == 3 and wide["params"] == {"width": "64"}
    assert wide["final_loss_mean"] == pytest.approx(0.32)
    assert wide["final_loss_std"] == pytest.approx(np.std([0.30, 0.34, 0.32], ddof=1))
    assert wide["final_accuracy_mean"] == pytest.approx(0.95)
    thin = groups[("thin-0", "thin-1", "thin-2")]
    assert wide["pareto"] and thin["pareto"]  # one more accurate, the other lower loss
    assert report["recommended_groups"] == {"loss": thin["group"], "accuracy": wide["group"]}
    by_run = {r["run_id"]: r["group"] for r in report["runs"]}
    assert by_run["wide-1"] == wide["group"] and by_run["alone"] is None
    assert len(report["groups"]) == 2


def test_no_groups_when_turned_off() -> None:
    report = to_json(compare(RUNS, POINTS, grouped=False), "e", "loss")
    assert report["groups"] == [] and report["recommended_groups"] == {}
    assert all(r["group"] is None for r in report["runs"])


def test_group_curves_carry_the_mean_and_spread_per_epoch() -> None:
    comparison = compare(RUNS, POINTS)
    bands = group_curves(comparison.curves, comparison.table[f.GROUP])
    wide = comparison.table.loc["wide-0", f.GROUP]
    row = bands[(bands[f.GROUP] == wide) & (bands[f.METRIC] == "loss")].iloc[0]
    assert (row["n"], row["mean"]) == (3, pytest.approx(0.32))
    assert row["std"] == pytest.approx(np.std([0.30, 0.34, 0.32], ddof=1))


@pytest.mark.parametrize(("names", "shared"), [
    (["mlp-8-seed0", "mlp-8-seed1"], "mlp-8"),
    (["mlp-64-decay-0.3-seed0", "mlp-64-decay-0.3-seed1"], "mlp-64-decay-0.3"),
    (["x-s0", "x-s1", "x-s2"], "x"),
    (["run-10", "run-11"], "run"),  # never half a word ("run-1")
    (["same", "same"], "same"),
    (["lr=0.1 seed=1", "lr=0.1 seed=2"], "lr=0.1"),
    (["bouncy-cat-1", "happy-dog-2"], ""),  # MLflow's random names share nothing
    (["abc", "abd"], "")])
def test_a_group_is_named_by_what_its_run_names_share(names: list[str], shared: str) -> None:
    assert group_name(names) == shared


def test_groups_whose_names_would_read_the_same_carry_their_id() -> None:
    report = to_json(compare(RUNS, POINTS), "e", "loss")
    names = sorted(g["name"] for g in report["groups"])
    wide, thin = (g["group"] for g in sorted(report["groups"], key=lambda g: g["runs"][0]))
    # run ids wide-N and thin-N share "wide" and "thin"; the same names twice get the id
    assert names == ["thin", "wide"]
    renamed = RUNS.assign(**{f.RUN_NAME: ["trial"] * len(RUNS)})
    twice = to_json(compare(renamed, POINTS), "e", "loss")["groups"]
    assert sorted(g["name"] for g in twice) == sorted([f"trial {thin}", f"trial {wide}"])


def test_runs_of_two_experiments_compared_together_are_never_one_group() -> None:
    both = pd.concat([RUNS.assign(experiment="a"), RUNS.assign(experiment="b").assign(
        run_id=lambda r: "b-" + r[f.RUN_ID])], ignore_index=True)
    ids = group_ids(both)
    assert ids["wide-0"] == ids["wide-2"] != ids["b-wide-0"]
    assert ids["b-wide-0"] == ids["b-wide-1"]
