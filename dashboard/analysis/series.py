"""From raw history to curves: epochs, MLflow's latest-value rule, inf, and 1 - error."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis import frames as f
from dashboard.analysis.metric_keys import (
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

CHOICE_COLUMNS = ["loss_key", "accuracy_key", "accuracy_derived_from", "train_loss_key",
                  "train_accuracy_key", "train_accuracy_derived_from"]


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


def latest_per_epoch(points: pd.DataFrame) -> pd.DataFrame:
    """One point per (run, key, epoch): MLflow's rule, the highest (step, timestamp, value)."""
    ordered = points.sort_values([f.RUN_ID, f.KEY, f.EPOCH, f.STEP, f.TIMESTAMP, f.VALUE])
    return ordered.drop_duplicates([f.RUN_ID, f.KEY, f.EPOCH], keep="last")


def choose_keys_per_run(history: pd.DataFrame, loss_key: str | None = None,
                        accuracy_key: str | None = None) -> pd.DataFrame:
    """Per run: which keys are read as validation/train loss and accuracy (CHOICE_COLUMNS)."""
    counts = history.groupby([f.RUN_ID, f.KEY]).size()
    rows: dict[object, dict[str, object]] = {}
    by_signature: dict[tuple[tuple[str, int], ...], dict[str, object]] = {}
    for run_id, per_key in counts.groupby(level=0):
        keys = dict(zip(map(str, per_key.index.get_level_values(1)), per_key.to_numpy().tolist(),
                        strict=True))
        signature = tuple(sorted(keys.items()))  # runs logged alike get the same choice
        if signature not in by_signature:
            by_signature[signature] = _choices_for(keys, loss_key, accuracy_key)
        rows[run_id] = by_signature[signature]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=CHOICE_COLUMNS)
    table.index.name = f.RUN_ID
    return table


def _choices_for(keys: dict[str, int], loss_key: str | None,
                 accuracy_key: str | None) -> dict[str, object]:
    val = choose_keys(keys, VAL, loss_key, accuracy_key)
    train = choose_keys(keys, TRAIN)
    return {
        "loss_key": val.loss, "accuracy_key": val.accuracy,
        "accuracy_derived_from": val.accuracy if val.accuracy_from_error else None,
        "train_loss_key": train.loss, "train_accuracy_key": train.accuracy,
        "train_accuracy_derived_from": train.accuracy if train.accuracy_from_error else None,
    }


ROLES = [("loss_key", VAL, LOSS, None), ("accuracy_key", VAL, ACCURACY, "accuracy_derived_from"),
         ("train_loss_key", TRAIN, LOSS, None),
         ("train_accuracy_key", TRAIN, ACCURACY, "train_accuracy_derived_from")]


def _plan(choices: pd.DataFrame) -> pd.DataFrame:
    """(run_id, key) -> the role its points play: split, metric, and whether 1 - value."""
    parts = [pd.DataFrame({f.RUN_ID: choices.index.to_numpy(), f.KEY: choices[column].to_numpy(),
                           "_split": split, "_metric": metric,
                           "_flip": choices[derived].notna().to_numpy() if derived else False})
             for column, split, metric, derived in ROLES]
    return pd.concat(parts, ignore_index=True).dropna(subset=[f.KEY])


def _points_in_plan(history: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """History rows of the planned (run, key) pairs, with their role columns attached."""
    pairs = pd.MultiIndex.from_frame(plan[[f.RUN_ID, f.KEY]].astype("string"))
    if not pairs.is_unique:  # one key in two roles (a user override): a plain merge
        return history.merge(plan, on=[f.RUN_ID, f.KEY])
    at = pairs.get_indexer(pd.MultiIndex.from_frame(history[[f.RUN_ID, f.KEY]]))
    kept = history[at >= 0]
    roles = plan.iloc[at[at >= 0]]
    return kept.assign(**{c: roles[c].to_numpy() for c in ("_split", "_metric", "_flip")})


def build_curves(history: pd.DataFrame, choices: pd.DataFrame) -> pd.DataFrame:
    """The `curves` frame: the chosen keys' points, one per epoch, accuracy from error flipped."""
    plan = _plan(choices)
    if plan.empty or history.empty:
        return f.empty_curves()
    points = latest_per_epoch(_points_in_plan(history, plan))
    values = restore_infinities(points[f.VALUE].astype("float64"))
    curves = pd.DataFrame({
        f.RUN_ID: points[f.RUN_ID], f.SPLIT: points["_split"], f.METRIC: points["_metric"],
        f.EPOCH: points[f.EPOCH], f.VALUE: values.where(~points["_flip"].astype(bool),
                                                        1.0 - values),
    })
    return curves.astype(f.CURVE_DTYPES).reset_index(drop=True)


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
    ordered = curves.sort_values([f.RUN_ID, f.SPLIT, f.METRIC, f.EPOCH])
    averaged = ordered.groupby([f.RUN_ID, f.SPLIT, f.METRIC], sort=False)[f.VALUE].transform(
        lambda values: values.ewm(alpha=1.0 - weight, adjust=True, ignore_na=True).mean())
    return ordered.assign(**{f.VALUE: averaged.where(ordered[f.VALUE].notna())})


def thin(curves: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most about `max_points` points per line (run, split, metric), keeping each bucket's
    lowest and highest value so spikes survive: what a browser can draw fast. The answer is
    ordered by line, then epoch."""
    if max_points < 2:
        raise ValueError(f"max_points must be >= 2, got {max_points}")
    line = [f.RUN_ID, f.SPLIT, f.METRIC]
    ordered = curves.sort_values([*line, f.EPOCH])
    sizes = ordered.groupby(line, sort=False)[f.EPOCH].transform("size")
    if ordered.empty or int(sizes.max()) <= max_points:
        return ordered
    position = ordered.groupby(line, sort=False).cumcount()
    buckets = (position * (max_points // 2) // sizes).where(sizes > max_points, position)
    by_value = ordered.assign(_bucket=buckets).sort_values([*line, "_bucket", f.VALUE])
    lowest = by_value.drop_duplicates([*line, "_bucket"], keep="first").index
    highest = by_value.drop_duplicates([*line, "_bucket"], keep="last").index
    return ordered.loc[ordered.index.isin(lowest.union(highest))]
