"""What the charts draw one line and one point for: each run, or each seed group.

By group, a configuration trained with several seeds is one mean line with a band of one
standard deviation, one point with error bars, one table row that opens to its runs; a run in
no group stays itself on the curves and in the table, but the scatter, its quadrants, front and
picks are the groups' (`analysis.report` compares the groups' means among themselves)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from analysis import frames as f
from analysis.report import Comparison
from analysis.seed_groups import mean_curves
from analysis.tradeoff import Recommendation
from dashboard.figures import PALETTE
from dashboard.table import review_statuses

SPREAD = "_std"  # suffix of a group's standard deviation beside its mean (final_loss_std)
NO_GROUPS = ("No seed groups here: no two runs share every param but a seed param (seed, "
             "random_state, *_seed), so each run is shown as itself.")
GROUP_MEASURES = [f.FINAL_LOSS, f.FINAL_ACCURACY, f.BEST_LOSS, f.BEST_ACCURACY]


@dataclass(frozen=True)
class Units:
    table: pd.DataFrame  # the scatter's candidates, indexed by id (a group's: means, SPREAD)
    curves: pd.DataFrame  # one line per id and split (a group's: the mean, with `std`)
    names: pd.Series  # id -> name, runs' and groups'
    colours: dict[str, str]  # id -> colour; a group's runs share their group's
    picks: dict[str, str]  # id -> what it wins: "lowest loss", "highest accuracy"
    disagreements: list[tuple[str, str]]
    details: dict[str, str]  # id -> the params that tell it apart, as `name=value, ...`
    reviews: dict[str, str] = field(default_factory=dict)  # run id -> its review status
    divergence: pd.Series | None = None  # run id -> where its loss rose while accuracy held
    note: str = ""  # what the view leaves out, said on the page
    grouped: bool = False


def wins(picks: Mapping[str, Recommendation | None]) -> dict[str, str]:
    """Id -> what it wins: "lowest loss", "highest accuracy" or both."""
    won = {"loss": "lowest loss", "accuracy": "highest accuracy"}
    found: dict[str, list[str]] = {}
    for objective, pick in picks.items():
        if pick is not None:
            found.setdefault(pick.run_id, []).append(won[objective])
    return {run: ", ".join(what) for run, what in found.items()}


def run_names(table: pd.DataFrame) -> pd.Series:
    return table[f.RUN_NAME].fillna(table[f.RUN_ID])  # the table is indexed by run id


def by_run(comparison: Comparison, runs: pd.DataFrame, params: list[str]) -> Units:
    table = comparison.table
    return Units(table, comparison.curves, run_names(table), unit_colours(comparison, runs),
                 wins(comparison.recommended), comparison.disagreements,
                 run_details(runs, params), reviewed(runs), table[f.DIVERGENCE_EPOCH])


def by_group(comparison: Comparison, runs: pd.DataFrame, params: list[str],
             selected: Collection[str] = ()) -> Units:
    """The groups' means; the runs in no group and the selected runs of a group as
    themselves (a seed ticked in the table is drawn among the means)."""
    groups = comparison.groups
    if groups is None:
        return replace(by_run(comparison, runs, params), note=NO_GROUPS)
    members = comparison.table[f.GROUP].dropna()
    alone = comparison.table.index[comparison.table[f.GROUP].isna()]
    as_runs = comparison.curves[comparison.curves[f.RUN_ID].isin(
        [*alone, *(r for r in selected if r in members.index)])]
    curves = pd.concat([mean_curves(comparison.curves, members), as_runs], ignore_index=True)
    table = group_table(groups)
    colours = unit_colours(comparison, runs)
    names = pd.concat([table[f.RUN_NAME], run_names(comparison.table)])
    loners = int((comparison.table.loc[alone, f.CHILD_RUNS] == 0).sum())
    note = (f"{loners} run(s) are in no seed group: their own lines are drawn, but the "
            "scatter, its quadrants and front are the groups' means." if loners else "")
    return Units(table, curves, names, colours, wins(comparison.group_picks),
                 [(result.a, result.b) for result in comparison.group_versus],
                 shared_details(groups, params), note=note, grouped=True)


def unit_colours(comparison: Comparison, runs: pd.DataFrame) -> dict[str, str]:
    """Id -> colour, the same whether the page shows runs or seed groups: a group and its runs
    share one, a run in no group has its own. Given out by experiment (in the order shown),
    then by name, so comparing another experiment keeps the first one's colours."""
    table = comparison.table
    ids = pd.Series(table.index.astype(str), index=table.index)
    family = ids.where(table[f.GROUP].isna(), table[f.GROUP].astype(object).astype(str))
    groups = comparison.groups
    group_names = {} if groups is None else dict(
        zip(groups[f.GROUP].astype(str), groups["name"].astype(str), strict=True))
    name = [group_names.get(k, str(n)) for k, n in zip(family, run_names(table), strict=True)]
    experiments = (runs.set_index(f.RUN_ID)[f.EXPERIMENT] if f.EXPERIMENT in runs
                   else pd.Series(dtype="string"))
    rank = {e: i for i, e in enumerate(pd.unique(experiments))}
    order = pd.DataFrame({"family": family, "name": name,
                          "rank": experiments.reindex(table.index).map(rank).fillna(0)})
    ordered = order.sort_values(["rank", "name", "family"]).drop_duplicates("family")["family"]
    colour = {str(k): PALETTE[i % len(PALETTE)] for i, k in enumerate(ordered)}
    return colour | {str(run): colour[str(k)] for run, k in family.items()}


def run_details(runs: pd.DataFrame, params: list[str]) -> dict[str, str]:
    """Run id -> its experiment (when several are compared) and the params that tell it apart,
    as `name=value, ...` (plain text)."""
    params = [*([f.EXPERIMENT] if f.EXPERIMENT in runs else []), *params]
    values = runs.set_index(f.RUN_ID)[params].astype("string")
    named = [(f"{str(c).removeprefix(f.PARAM_PREFIX)}=" + values[c]).fillna("").tolist()
             for c in params]  # column by column: 3x faster than row by row at 1000 runs
    if not named:
        return {str(run): "" for run in values.index}
    return {str(run): ", ".join(filter(None, each))
            for run, each in zip(values.index, zip(*named, strict=True), strict=True)}


def shared_details(groups: pd.DataFrame, params: list[str]) -> dict[str, str]:
    """Group id -> the distinguishing params its runs share, as `name=value, ...`."""
    names = [p.removeprefix(f.PARAM_PREFIX) for p in params]
    return {str(group): ", ".join(f"{n}={shared[n]}" for n in names if n in shared)
            for group, shared in zip(groups[f.GROUP], groups["params"], strict=True)}


def reviewed(runs: pd.DataFrame) -> dict[str, str]:
    """Run id -> its review status, for the reviewed runs."""
    return {str(r): str(s) for r, s in review_statuses(runs).dropna().items()}


def group_table(groups: pd.DataFrame) -> pd.DataFrame:
    """One candidate per group, shaped like the runs table: means as the measures, each
    measure's standard deviation beside it (SPREAD), the name saying how many seeds."""
    table = pd.DataFrame({
        f.RUN_ID: groups[f.GROUP].astype(str),
        f.RUN_NAME: groups["name"] + " (" + groups["n"].astype(str) + " seeds)",
        f.CHILD_RUNS: 0, f.QUADRANT: groups[f.QUADRANT],
        f.PARETO: groups[f.PARETO].astype(bool), "n": groups["n"],
        **{m: groups[f"{m}_mean"].astype("float64") for m in GROUP_MEASURES},
        **{m + SPREAD: groups[f"{m}_std"].astype("float64") for m in GROUP_MEASURES}})
    return table.set_index(table[f.RUN_ID].rename(None))


def group_rows(groups: pd.DataFrame | None, runs: list[dict[str, Any]], colours: Mapping[str, str],
               params: list[str]) -> list[dict[str, Any]]:
    """The table by group: each group's row (means, spreads, the params its runs share) and
    under it its runs, marked `member_of` (the grid shows them when the group is opened);
    then the runs in no group."""
    if groups is None:
        return runs
    by_id = {row[f.RUN_ID]: row for row in runs}
    rows: list[dict[str, Any]] = []
    for record in groups.to_dict(orient="records"):
        group = str(record[f.GROUP])
        shared = record["params"]
        rows.append({f.RUN_ID: group, "colour": colours.get(group), "members": int(record["n"]),
                     f.RUN_NAME: f"{record['name']} ({record['n']} seeds)",
                     f.QUADRANT: record[f.QUADRANT], "pareto": "yes" if record[f.PARETO] else "",
                     **{m: _number(record[f"{m}_mean"]) for m in GROUP_MEASURES},
                     **{m + SPREAD: _number(record[f"{m}_std"]) for m in GROUP_MEASURES},
                     **{p: shared.get(p.removeprefix(f.PARAM_PREFIX)) for p in params}})
        rows += [by_id.pop(run) | {"member_of": group, "colour": colours.get(group)}
                 for run in record["runs"] if run in by_id]
    return rows + list(by_id.values())


def _number(value: Any) -> float | None:
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None
