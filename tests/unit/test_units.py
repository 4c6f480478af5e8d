"""The page by seed group: one mean line with its band, one point with error bars, one row that
opens to its runs; the runs in no group as themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import frames as f
from analysis.report import Comparison, compare
from dashboard import figures
from dashboard import tradeoff_figure as tradeoff
from dashboard.figures import translucent
from dashboard.table import table_rows
from dashboard.units import NO_GROUPS, by_group, by_run, group_rows, unit_colours
from tests.helpers.figures import validated
from tests.unit.test_report import history
from tests.unit.test_seed_groups import FINAL, RUNS

PARAMS = ["params.width"]
curves_figure = validated(figures.curves_figure)
tradeoff_figure = validated(tradeoff.tradeoff_figure)


def seeded(runs: pd.DataFrame = RUNS) -> Comparison:
    """Two configurations x three seeds and one run alone, three epochs each."""
    points = [(run, key, epoch, value * (1 + 0.1 * (3 - epoch)))
              for run, (loss, acc) in FINAL.items() for epoch in (1, 2, 3)
              for key, value in (("val_loss", loss), ("val_accuracy", acc))]
    return compare(runs, history(points))


def test_a_group_is_one_candidate_with_its_seeds_mean_and_spread() -> None:
    comparison = seeded()
    units = by_group(comparison, RUNS, PARAMS)
    wide = comparison.table.at["wide-0", f.GROUP]
    assert list(units.table.index) == list(comparison.groups[f.GROUP])  # type: ignore[index]
    row = units.table.loc[wide]
    assert row[f.FINAL_LOSS] == pytest.approx(0.32)
    assert row[f.FINAL_LOSS + "_std"] == pytest.approx(np.std([0.30, 0.34, 0.32], ddof=1))
    assert row[f.RUN_NAME].endswith("(3 seeds)")
    assert units.colours["wide-0"] == units.colours["wide-2"] == units.colours[wide]
    assert units.colours["alone"] != units.colours[wide]
    assert set(units.picks) <= set(units.table.index)  # the groups' picks, not a run's
    assert "1 run(s) are in no seed group" in units.note
    assert units.details[wide] == "width=64" and units.grouped


def test_a_seed_group_and_its_runs_share_one_colour_in_both_views() -> None:
    comparison = seeded()
    by_runs, by_groups = (view(comparison, RUNS, PARAMS).colours for view in (by_run, by_group))
    assert by_runs == by_groups == unit_colours(comparison, RUNS)
    families = {by_runs[run] for run in ("wide-0", "thin-0", "alone")}
    assert len(families) == 3  # one colour per configuration, none shared
    assert {by_runs[f"wide-{seed}"] for seed in range(3)} == {by_runs["wide-0"]}


def test_comparing_another_experiment_keeps_the_first_ones_colours() -> None:
    alone = unit_colours(seeded(), RUNS)
    other = RUNS.assign(**{f.RUN_ID: "other-" + RUNS[f.RUN_ID], f.RUN_NAME: "a-" + RUNS[f.RUN_NAME],
                           f.EXPERIMENT: "later"})
    both = pd.concat([RUNS.assign(**{f.EXPERIMENT: "first"}), other], ignore_index=True)
    points = [(run, key, 3, value) for run, (loss, acc) in FINAL.items()
              for key, value in (("val_loss", loss), ("val_accuracy", acc))]
    more = [(f"other-{run}", key, epoch, value) for run, key, epoch, value in points]
    together = unit_colours(compare(both, history(points + more)), both)
    assert {run: together[run] for run in RUNS[f.RUN_ID]} == {
        run: alone[run] for run in RUNS[f.RUN_ID]}  # "a-..." sorts first, but comes later


def test_by_group_the_curves_are_the_means_and_the_runs_alone() -> None:
    comparison = seeded()
    wide = comparison.table.at["wide-0", f.GROUP]
    units = by_group(comparison, RUNS, PARAMS)
    assert set(units.curves[f.RUN_ID]) == {*units.table.index, "alone"}
    last = units.curves[(units.curves[f.RUN_ID] == wide) & (units.curves[f.EPOCH] == 3)
                        & (units.curves[f.METRIC] == "loss")]
    assert last[f.VALUE].item() == pytest.approx(0.32) and last["n"].item() == 3
    ticked = by_group(comparison, RUNS, PARAMS, selected=["wide-1"])  # a seed ticked: drawn
    assert "wide-1" in set(ticked.curves[f.RUN_ID])


def test_by_group_the_scatter_says_seed_groups_are_below_the_view() -> None:
    groups = by_group(seeded(), RUNS, PARAMS).table  # two, with a spread: make six
    far = pd.concat([groups] * 3).assign(**{f.RUN_ID: [f"g{i}" for i in range(6)],
                                            f.FINAL_ACCURACY: [0.95, 0.2, 0.951, 0.949, 0.952,
                                                               0.948]})  # one far below
    title = tradeoff_figure(far).layout.xaxis.title.text
    assert "below the view: 1 seed group with accuracy under" in title, title


def test_without_groups_the_group_view_is_the_run_view() -> None:
    plain = RUNS.drop(columns="params.seed")
    comparison = seeded(plain)
    assert comparison.groups is None
    assert list(by_group(comparison, plain, PARAMS).table.index) == list(
        by_run(comparison, plain, PARAMS).table.index)
    assert by_group(comparison, plain, PARAMS).note == NO_GROUPS  # said on the page


def test_a_group_mean_line_sits_in_a_band_of_one_standard_deviation() -> None:
    units = by_group(seeded(), RUNS, PARAMS)
    figure = curves_figure(units.curves, units.names, "loss", colours=units.colours)
    bands = [t for t in figure.data if t.fill == "toself"]
    assert len(bands) == len(units.table)  # one per group, none for the run alone
    wide = units.table.index[units.table[f.FINAL_LOSS] == units.table[f.FINAL_LOSS].max()][0]
    band = next(t for t in bands if t.fillcolor == translucent(units.colours[wide], 0.18))
    top_at_last_epoch = band.y[len(band.y) // 2 - 1]
    assert band.x[len(band.x) // 2 - 1] == 3
    assert top_at_last_epoch == pytest.approx(0.32 + units.table.at[wide, f.FINAL_LOSS + "_std"])
    means = [t for t in figure.data if t.name and t.name.endswith("seeds) (val)")]
    assert all("± %{customdata:.4f}" in t.hovertemplate for t in means)


def test_translucent_reads_both_palettes_colour_forms() -> None:
    assert translucent("#1f77b4", 0.2) == "rgba(31, 119, 180, 0.2)"
    assert translucent("rgb(102, 194, 165)", 0.5) == "rgba(102, 194, 165, 0.5)"


def test_group_points_carry_error_bars_of_their_seeds_spread() -> None:
    units = by_group(seeded(), RUNS, PARAMS)
    figure = tradeoff_figure(units.table, colours=units.colours, picks=units.picks)
    points = [t for t in figure.data if t.customdata is not None and len(t.customdata)]
    assert points and all(t.error_x.visible and t.error_y.visible for t in points)
    spread = {g: s for t in points for g, s in zip(t.customdata, t.error_x.array, strict=True)}
    assert spread == pytest.approx(units.table[f.FINAL_LOSS + "_std"].to_dict())
    assert all("sd over seeds" in text for t in points for text in t.hovertext)
    runs = tradeoff_figure(by_run(seeded(), RUNS, PARAMS).table)  # runs: no error bars
    assert all(t.error_x.array is None for t in runs.data)


def test_the_table_by_group_puts_each_groups_runs_under_it() -> None:
    comparison = seeded()
    units = by_group(comparison, RUNS, PARAMS)
    runs = table_rows(comparison.table, RUNS, ["params.width"], units.colours)
    rows = group_rows(comparison.groups, runs, units.colours,  # type: ignore[arg-type]
                      ["params.width"])
    assert len(rows) == len(runs) + 2 and rows[-1][f.RUN_ID] == "alone"
    first = rows[0]
    assert first["members"] == 3 and first[f.RUN_NAME].endswith("(3 seeds)")
    assert [r["member_of"] for r in rows[1:4]] == [first[f.RUN_ID]] * 3
    assert first["final_loss_std"] is not None and first["params.width"] in ("64", "8")
    assert {r["colour"] for r in rows[:4]} == {units.colours[first[f.RUN_ID]]}


def test_too_few_groups_to_split_are_called_groups() -> None:
    units = by_group(seeded(), RUNS, PARAMS)
    figure = tradeoff_figure(units.table.head(2))
    assert any(a.text.startswith("2 seed groups: too few to split")
               for a in figure.layout.annotations)
