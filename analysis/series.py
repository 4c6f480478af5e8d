"""From raw history to curves: epochs, MLflow's latest-value rule, inf, and 1 - error."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis import frames as f
from analysis.groups import codes, group_ends, group_starts, position_in_group
from analysis.metric_keys import (
    ACCURACY,
    EPOCH_KEY,
    LOSS,
    TRAIN,
    VAL,
    choose_keys,
    classify,
)

# MLflow stores +/-inf clamped to the largest float; anything this large was an infinity.
_CLAMPED = 1.7976931348623157e308

CHOICE_COLUMNS = [f.LOSS_KEY, f.ACCURACY_KEY, f.ACCURACY_DERIVED_FROM, f.ACCURACY_SCALE,
                  f.TRAIN_LOSS_KEY, f.TRAIN_ACCURACY_KEY, f.TRAIN_ACCURACY_DERIVED_FROM,
                  f.TRAIN_ACCURACY_SCALE]
PERCENT = 100


def restore_infinities(values: pd.Series) -> pd.Series:
    """MLflow writes +/-inf as +/-1.797e308 (the float maximum); read them back as inf."""
    return values.where(values.abs() < _CLAMPED, np.sign(values) * np.inf)


def assign_epochs(history: pd.DataFrame) -> pd.DataFrame:
    """Fill `epoch`: from the run's `epoch` metric at the same or nearest earlier step when it
    has one (HF Trainer, Lightning log global steps), else the step itself."""
    out = history.copy(deep=False)  # copy-on-write: the caller's frame is left as it was
    out[f.EPOCH] = out[f.STEP].astype("float64")
    marks = out[out[f.KEY] == EPOCH_KEY]
    if marks.empty:
        return out
    marks = (marks.sort_values([f.STEP, f.TIMESTAMP])
             .drop_duplicates([f.RUN_ID, f.STEP], keep="last")[[f.RUN_ID, f.STEP, f.VALUE]]
             .rename(columns={f.VALUE: "_epoch"}))
    has_marks = out[f.RUN_ID].isin(marks[f.RUN_ID])
    mapped = pd.merge_asof(
        out[has_marks].reset_index().sort_values(f.STEP), marks.sort_values(f.STEP),
        on=f.STEP, by=f.RUN_ID, direction="backward",
    ).set_index("index")
    # points logged before the first epoch mark belong to the first epoch logged
    first = marks.groupby(f.RUN_ID)["_epoch"].min()
    mapped["_epoch"] = mapped["_epoch"].fillna(mapped[f.RUN_ID].map(first))
    out.loc[mapped.index, f.EPOCH] = mapped["_epoch"].astype("float64")
    return out


def _latest(group: np.ndarray, epoch: np.ndarray, step: np.ndarray, timestamp: np.ndarray,
            value: np.ndarray) -> np.ndarray:
    """Positions of the latest point of each (group, epoch), ordered by them. MLflow's rule:
    the highest (step, timestamp, value); without repeats, every point is its own latest."""
    order: np.ndarray = np.lexsort((epoch, group))
    if group_starts(group[order], epoch[order]).all():
        return order
    order = np.lexsort((value, timestamp, step, epoch, group))
    latest: np.ndarray = order[group_ends(group_starts(group[order], epoch[order]))]
    return latest


def choose_keys_per_run(history: pd.DataFrame, loss_key: str | None = None,
                        accuracy_key: str | None = None) -> pd.DataFrame:
    """Per run: which keys are read as validation/train loss and accuracy (CHOICE_COLUMNS),
    and the scale each accuracy key is logged in (1, or 100 for percent)."""
    runs, run_ids = codes(history[f.RUN_ID])
    keys, names = codes(history[f.KEY])
    counts = np.bincount(runs * len(names) + keys, minlength=len(run_ids) * len(names))
    # runs logged alike (the same keys, as many points each) get the same choice: one call each
    signatures, which = np.unique(counts.reshape(len(run_ids), len(names)), axis=0,
                                  return_inverse=True)
    chosen = [_choices_for({str(names[k]): int(n) for k, n in enumerate(row) if n},
                           loss_key, accuracy_key) for row in signatures]
    choices = pd.DataFrame([chosen[i] for i in which.reshape(-1)], columns=CHOICE_COLUMNS,
                           index=pd.Index(run_ids.to_numpy(), name=f.RUN_ID))
    chosen = pd.concat([choices[f.ACCURACY_KEY], choices[f.TRAIN_ACCURACY_KEY]])
    percent = percent_keys(history, chosen)
    for scale, key in ((f.ACCURACY_SCALE, f.ACCURACY_KEY),
                       (f.TRAIN_ACCURACY_SCALE, f.TRAIN_ACCURACY_KEY)):
        choices[scale] = np.where(choices[key].isin(list(percent)), PERCENT, 1)
    return choices


def percent_keys(history: pd.DataFrame, keys: pd.Series) -> set[str]:
    """Those of `keys` (accuracy or error keys) logged in percent: every finite value of the
    key, over all runs, within [0, 100], and some above 1 (97.8 is a percent; 0.978 is not)."""
    values = history[f.VALUE].to_numpy(dtype="float64")
    rows = history[history[f.KEY].isin(keys.dropna().unique()).to_numpy() & np.isfinite(values)]
    if rows.empty:
        return set()
    bounds = rows.groupby(f.KEY, observed=True)[f.VALUE].agg(["min", "max"])
    found = bounds[(bounds["min"] >= 0) & (bounds["max"] <= PERCENT) & (bounds["max"] > 1)]
    return {str(key) for key in found.index}


def _choices_for(keys: dict[str, int], loss_key: str | None,
                 accuracy_key: str | None) -> dict[str, object]:
    val = choose_keys(keys, VAL, loss_key, accuracy_key)
    train = choose_keys(keys, TRAIN)
    return {
        f.LOSS_KEY: val.loss, f.ACCURACY_KEY: val.accuracy,
        f.ACCURACY_DERIVED_FROM: val.accuracy if val.accuracy_from_error else None,
        f.ACCURACY_SCALE: 1,
        f.TRAIN_LOSS_KEY: train.loss, f.TRAIN_ACCURACY_KEY: train.accuracy,
        f.TRAIN_ACCURACY_DERIVED_FROM: train.accuracy if train.accuracy_from_error else None,
        f.TRAIN_ACCURACY_SCALE: 1,
    }


ROLES = [(f.LOSS_KEY, VAL, LOSS, None, None),
         (f.ACCURACY_KEY, VAL, ACCURACY, f.ACCURACY_DERIVED_FROM, f.ACCURACY_SCALE),
         (f.TRAIN_LOSS_KEY, TRAIN, LOSS, None, None),
         (f.TRAIN_ACCURACY_KEY, TRAIN, ACCURACY, f.TRAIN_ACCURACY_DERIVED_FROM,
          f.TRAIN_ACCURACY_SCALE)]


def _plan(choices: pd.DataFrame) -> pd.DataFrame:
    """(run_id, key) -> the role its points play: split, metric, the scale it is logged in,
    and whether accuracy is 1 - value."""
    parts = [pd.DataFrame({f.RUN_ID: choices.index.to_numpy(), f.KEY: choices[column].to_numpy(),
                           "_split": split, "_metric": metric,
                           "_flip": choices[derived].notna().to_numpy() if derived else False,
                           "_scale": choices[scale].to_numpy(dtype="float64") if scale else 1.0})
             for column, split, metric, derived, scale in ROLES]
    return pd.concat(parts, ignore_index=True).dropna(subset=[f.KEY])


def _planned_rows(runs: np.ndarray, keys: np.ndarray, run_ids: pd.Index, names: pd.Index,
                  plan: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(history row, plan row) for every point a plan entry reads; a key may play two roles."""
    run = run_ids.get_indexer(pd.Index(plan[f.RUN_ID]))
    key = names.get_indexer(pd.Index(plan[f.KEY]))
    wanted = np.where((run >= 0) & (key >= 0), run * len(names) + key, -1)
    pairs = np.where((runs >= 0) & (keys >= 0), runs * len(names) + keys, -2)
    by_pair = np.argsort(pairs, kind="stable")
    low = np.searchsorted(pairs[by_pair], wanted, "left")
    counts = np.where(wanted >= 0, np.searchsorted(pairs[by_pair], wanted, "right") - low, 0)
    shift = np.repeat(low - (np.cumsum(counts) - counts), counts)  # each run of rows in place
    return by_pair[shift + np.arange(counts.sum())], np.repeat(np.arange(len(plan)), counts)


def _categorical(values: pd.Series, at: np.ndarray) -> pd.Categorical[Any]:
    """`values` taken at `at` without touching a string per row."""
    found = pd.Categorical(values)
    return pd.Categorical.from_codes(found.codes[at], dtype=found.dtype)


def build_curves(history: pd.DataFrame, choices: pd.DataFrame) -> pd.DataFrame:
    """The `curves` frame: the chosen keys' points, one per epoch, accuracy from error flipped."""
    plan = _plan(choices)
    if plan.empty or history.empty:
        return f.empty_curves()
    (runs, run_ids), (keys, names) = codes(history[f.RUN_ID]), codes(history[f.KEY])
    rows, roles = _planned_rows(runs, keys, run_ids, names, plan)
    run = runs[rows]
    epochs = history[f.EPOCH].to_numpy(dtype="float64")[rows]
    values = history[f.VALUE].to_numpy(dtype="float64")[rows]
    kept = _latest(run * len(plan) + roles, epochs, history[f.STEP].to_numpy()[rows],
                   history[f.TIMESTAMP].to_numpy()[rows], values)  # by run, role, epoch
    values = restore_infinities(pd.Series(values[kept])).to_numpy()
    values = values / plan["_scale"].to_numpy(dtype="float64")[roles[kept]]
    flip = plan["_flip"].to_numpy(dtype=bool)[roles[kept]]
    return pd.DataFrame({
        f.RUN_ID: pd.Categorical.from_codes(run[kept], categories=run_ids),
        f.SPLIT: _categorical(plan["_split"], roles[kept]),
        f.METRIC: _categorical(plan["_metric"], roles[kept]),
        f.EPOCH: epochs[kept], f.VALUE: np.where(flip, 1.0 - values, values),
    }).astype(f.CURVE_DTYPES)


def tidy_history(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw points (run_id, key, step, value, timestamp) -> the `history` frame: infinities
    restored, split and metric read from each key, epochs assigned."""
    if raw.empty:
        return f.empty_history()
    out = raw[[f.RUN_ID, f.KEY, f.STEP, f.VALUE, f.TIMESTAMP]].astype(
        {k: f.HISTORY_DTYPES[k] for k in (f.RUN_ID, f.KEY, f.STEP, f.VALUE, f.TIMESTAMP)})
    out[f.VALUE] = restore_infinities(out[f.VALUE])
    # read each distinct key once, then spread by category codes: no per-row Python work
    keys = out[f.KEY].astype("category")
    roles = [classify(str(k)) for k in keys.cat.categories]
    for column, part in ((f.SPLIT, "split"), (f.METRIC, "metric")):
        names = pd.array([getattr(r, part) if r else None for r in roles], dtype="string")
        out[column] = names.take(keys.cat.codes.to_numpy())
    out = assign_epochs(out)
    return out[f.HISTORY_COLUMNS].reset_index(drop=True)


def smooth(curves: pd.DataFrame, weight: float) -> pd.DataFrame:
    """Exponential moving average along epochs per run, split and metric, TensorBoard-style
    (0: as logged; 0.9: heavy). NaN points stay NaN and do not reset the average."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    if weight == 0.0 or curves.empty:
        return curves
    line = [f.RUN_ID, f.SPLIT, f.METRIC]
    ordered = curves.sort_values([*line, f.EPOCH])
    averaged = (ordered.groupby(line, sort=False, observed=True)[f.VALUE]  # Cython: no per-line
                .ewm(alpha=1.0 - weight, adjust=True, ignore_na=True).mean()  # Python call
                .reset_index(level=line, drop=True).reindex(ordered.index))
    return ordered.assign(**{f.VALUE: averaged.where(ordered[f.VALUE].notna())})


def _lines(curves: pd.DataFrame) -> np.ndarray:
    """One integer per line (run, split, metric), in their sorted order."""
    line = np.zeros(len(curves), dtype="int64")
    for column in (f.RUN_ID, f.SPLIT, f.METRIC):
        found, distinct = codes(curves[column])
        line = line * (len(distinct) + 1) + found + 1  # + 1: NA's -1 sorts first
    return line


def _first_or_last(positions: np.ndarray, groups: np.ndarray, last: bool) -> np.ndarray:
    """The first (or last) of `positions` in each run of equal `groups`."""
    starts = group_starts(groups)
    chosen: np.ndarray = positions[group_ends(starts) if last else starts]
    return chosen


def _bucket_extremes(values: np.ndarray, buckets: np.ndarray) -> np.ndarray:
    """Mask of each bucket's (a run of equal `buckets`) first lowest and last highest point,
    and its first NaN, so a gap stays a gap."""
    starts = group_starts(buckets)
    bucket = np.cumsum(starts) - 1
    kept = np.zeros(len(values), dtype=bool)
    for extreme, last in ((np.fmin, False), (np.fmax, True)):  # fmin and fmax skip NaN
        hits = np.flatnonzero(values == extreme.reduceat(values, np.flatnonzero(starts))[bucket])
        kept[_first_or_last(hits, bucket[hits], last)] = True
    gaps = np.flatnonzero(np.isnan(values))
    kept[_first_or_last(gaps, bucket[gaps], last=False)] = True
    return kept


def thin(curves: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most about `max_points` points per line (run, split, metric), keeping each bucket's
    lowest and highest value so spikes survive: what a browser can draw fast. The answer is
    ordered by line, then epoch."""
    if max_points < 2:
        raise ValueError(f"max_points must be >= 2, got {max_points}")
    lines = _lines(curves)
    order = np.lexsort((curves[f.EPOCH].to_numpy(dtype="float64"), lines))
    ordered, starts = curves.iloc[order], group_starts(lines[order])
    sizes = np.diff(np.append(np.flatnonzero(starts), len(ordered)))
    if ordered.empty or sizes.max() <= max_points:
        return ordered
    line = np.cumsum(starts) - 1
    position, size = position_in_group(starts), sizes[line]
    buckets = np.where(size > max_points, line * max_points + position * (max_points // 2) // size,
                       -1 - np.arange(len(ordered)))  # short lines: each point its own bucket
    return ordered[_bucket_extremes(ordered[f.VALUE].to_numpy(dtype="float64"), buckets)]
