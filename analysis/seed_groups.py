"""Seed groups: runs that differ only in their random seed are one configuration, measured
n times. Their mean and spread say what a configuration does; one run says what one seed did.

A run's seed params are named `seed`, `random_state`, `random_seed` or `*_seed` (any case, `-`
or `_`). Runs that share every other param form a group; a user may group by one param or tag
instead (`group_by="lr"` or `"tag.team"`). A group's id is a short hash of what its runs share,
so the same configuration keeps its id from one read to the next.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Final

import numpy as np
import pandas as pd

from analysis import frames as f

GROUP: Final = f.GROUP
SEPARATORS: Final = "-_. /:="
SEED_NAME: Final = re.compile(r"(?:random[-_]?)?seed|random[-_]state|.+[-_]seed", re.IGNORECASE)
GROUP_ID: Final = re.compile(r"g-[0-9a-f]{8}")
MEASURES: Final = [f.FINAL_LOSS, f.FINAL_ACCURACY, f.BEST_LOSS, f.BEST_ACCURACY]


def is_seed(param: str) -> bool:
    return SEED_NAME.fullmatch(param) is not None


def _group_id(text: str) -> str:
    """A short, stable id for a group's shared params (as canonical JSON)."""
    return "g-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def _column(group_by: str) -> str:
    """The runs frame's column for a --group-by name: `tag.NAME` or a param name."""
    if group_by.startswith("tag."):
        return f.TAG_PREFIX + group_by.removeprefix("tag.")
    return f.PARAM_PREFIX + group_by


def _keys(indexed: pd.DataFrame, group_by: str | None) -> pd.Series | None:
    """What defines each run's group, as canonical JSON (None: in no group); None when
    nothing can group (no seed param, and no `group_by`)."""
    params = [c for c in indexed.columns if c.startswith(f.PARAM_PREFIX)]
    if group_by is not None:
        column = _column(group_by)
        if column not in indexed:
            raise KeyError(f"no run logged {group_by!r} to group by")
        return indexed[column].map(
            lambda v: None if pd.isna(v) else json.dumps({group_by: str(v)})).astype("object")
    seeds = [c for c in params if is_seed(c.removeprefix(f.PARAM_PREFIX))]
    if not seeds:
        return None
    # runs of two experiments compared together are two configurations (other data, often)
    others = [c for c in params if c not in seeds] + [c for c in [f.EXPERIMENT] if c in indexed]
    values = indexed[others].astype("object").where(indexed[others].notna(), None)
    names = [c.removeprefix(f.PARAM_PREFIX) for c in others]
    seeded = indexed[seeds].notna().any(axis=1).to_numpy()
    rows = values.itertuples(index=False, name=None)
    return pd.Series([json.dumps({n: str(v) for n, v in zip(names, row, strict=True)
                                  if v is not None}, sort_keys=True) if has_seed else None
                      for row, has_seed in zip(rows, seeded, strict=True)],
                     index=indexed.index, dtype="object")


def group_ids(runs: pd.DataFrame, group_by: str | None = None) -> pd.Series:
    """Group id per run (indexed by run_id), None where a run is alone or has no seed param.

    Without `group_by`: only when the experiment has a seed param; a run lacking it, or whose
    other params no other run shares, is in no group.
    """
    indexed = runs.set_index(f.RUN_ID)
    keys = _keys(indexed, group_by)
    if keys is None:
        return pd.Series(None, index=indexed.index, dtype="object", name=GROUP)
    codes, uniques = pd.factorize(keys)  # a run in no group gets -1
    hashed = np.array([_group_id(text) for text in uniques] + [None], dtype=object)
    sizes = np.bincount(codes[codes >= 0], minlength=len(uniques))
    alone = (codes < 0) | (sizes[np.maximum(codes, 0)] < 2)
    ids = [None if lone else hashed[code] for code, lone in zip(codes, alone, strict=True)]
    return pd.Series(ids, index=indexed.index, dtype="object", name=GROUP)


def _last_word(text: str) -> tuple[str, str]:
    """`text` split before its last word: ("mlp-8-", "seed")."""
    cut = max(text.rfind(c) for c in SEPARATORS)
    return text[:cut + 1], text[cut + 1:]


def group_name(run_names: list[str]) -> str:
    """What a group's run names share: the whole name when they are equal, else their common
    beginning up to the last whole word that is not a seed's name ("mlp-8-seed0",
    "mlp-8-seed1" -> "mlp-8"); "" when they share less than a word."""
    if len(set(run_names)) == 1:
        return run_names[0]
    prefix = os.path.commonprefix(run_names)
    if prefix[-1:].isalnum() and any(len(name) > len(prefix) and name[len(prefix)].isalnum()
                                     for name in run_names):
        prefix = _last_word(prefix)[0]  # no half words ("run-1" of "run-10", "run-11")
    head, last = _last_word(prefix.rstrip(SEPARATORS))
    if head and is_seed(last):  # "lr=0.1 seed=1", "lr=0.1 seed=2"
        prefix = head
    return prefix.rstrip(SEPARATORS)


def group_summary(table: pd.DataFrame, groups: pd.Series, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per group (indexed by group id): its name, runs, the params they share, n, and
    the mean and standard deviation (ddof 1; NaN for one value) of final and best loss and
    accuracy over its runs."""
    members = groups.dropna()
    if members.empty:
        return pd.DataFrame(columns=["name", "runs", "params", "n"]).rename_axis(GROUP)
    values = table.loc[members.index, MEASURES].astype("float64")
    grouped = values.groupby(members)
    summary = pd.concat([grouped.mean().add_suffix("_mean"), grouped.std().add_suffix("_std")],
                        axis=1)
    summary.insert(0, "n", grouped.size())
    summary.insert(0, "params", _shared_params(runs, members))
    ids = [list(map(str, ids)) for ids in members.groupby(members).groups.values()]
    summary.insert(0, "runs", ids)
    run_names = table[f.RUN_NAME].astype("object").where(table[f.RUN_NAME].notna(), None)
    names = [group_name([str(run_names[r] or r) for r in run_ids]) for run_ids in ids]
    summary.insert(0, "name", _unique(names, list(summary.index)))
    return summary.rename_axis(GROUP)


def _unique(names: list[str], ids: list[str]) -> list[str]:
    """Names made unique by the group id where two groups (or no shared name) would read the
    same."""
    counts = pd.Series(names).value_counts()
    return [name if name and counts[name] == 1 else f"{name} {gid}".strip()
            for name, gid in zip(names, ids, strict=True)]


def _shared_params(runs: pd.DataFrame, members: pd.Series) -> list[dict[str, str]]:
    """Per group (in group id order), the params all its runs logged with one value: seeds,
    which differ, are left out."""
    indexed = runs.set_index(f.RUN_ID)
    params = [c for c in indexed.columns if c.startswith(f.PARAM_PREFIX)]
    grouped = indexed.loc[members.index, params].groupby(members)
    same = (grouped.nunique() == 1) & grouped.count().eq(grouped.size(), axis=0)
    first = grouped.first()
    return [{c.removeprefix(f.PARAM_PREFIX): str(first.at[g, c]) for c in params
             if same.at[g, c]} for g in first.index]


def group_curves(curves: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group, split, metric and epoch: mean, standard deviation and n of the runs' values
    (the page's bands)."""
    member = curves[f.RUN_ID].astype(str).map(groups.dropna())
    present = member.notna().to_numpy()
    if not present.any():
        return pd.DataFrame(columns=[GROUP, f.SPLIT, f.METRIC, f.EPOCH, "mean", "std", "n"])
    frame = curves[present].assign(**{GROUP: member[present].to_numpy()})
    keys = [GROUP, f.SPLIT, f.METRIC, f.EPOCH]
    stats = frame.groupby(keys, observed=True)[f.VALUE].agg(["mean", "std", "count"])
    return stats.rename(columns={"count": "n"}).reset_index().astype({"n": np.int64})


def mean_curves(curves: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """The groups' curves shaped like runs' (`run_id` = the group id, `value` = the mean over
    its seeds), with `std` and `n` per epoch: the lines and bands the page draws per group."""
    stats = group_curves(curves, groups)
    return stats.rename(columns={GROUP: f.RUN_ID, "mean": f.VALUE})[
        [f.RUN_ID, f.SPLIT, f.METRIC, f.EPOCH, f.VALUE, "std", "n"]]


def is_group_id(text: str) -> bool:
    """Whether `text` has the shape of a group id ("g-" and 8 hex digits), not a run id's."""
    return GROUP_ID.fullmatch(text) is not None
