import json
import math

import pandas as pd

from analysis import frames as f
from analysis.report import RUN_FIELDS, RunEvidence, compare, to_json
from analysis.series import assign_epochs


def history(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[f.RUN_ID, f.KEY, f.STEP, f.VALUE])
    frame[f.TIMESTAMP] = frame[f.STEP]
    frame[f.EPOCH] = frame[f.STEP].astype(float)
    frame[f.SPLIT] = None
    frame[f.METRIC] = None
    return frame[f.HISTORY_COLUMNS]


RUNS = pd.DataFrame({f.RUN_ID: ["a", "b", "c"], f.RUN_NAME: ["sharp", "soft", "empty"],
                     f.STATUS: ["FINISHED", "FINISHED", "FAILED"],
                     "tags.majority_baseline_accuracy": ["0.6", "not a number", None]})


def test_json_has_every_field_and_null_for_unknown_or_infinite() -> None:
    points = history([("a", "val_loss", 1, 0.5), ("a", "val_loss", 2, math.inf),
                      ("a", "val_accuracy", 1, 0.8), ("a", "val_accuracy", 2, 0.9),
                      ("b", "val_loss", 1, 0.3), ("b", "validation-error", 1, 0.25)])
    report = to_json(compare(RUNS, points, evidence={"a": RunEvidence(0.1, 0.2)}), "e", "loss")
    json.dumps(report, allow_nan=False)  # strict JSON: no NaN or Infinity anywhere
    runs = {r["run_id"]: r for r in report["runs"]}
    assert all(list(r) == RUN_FIELDS for r in runs.values())
    assert runs["a"]["final_loss"] is None and runs["a"]["best_loss"] == 0.5  # inf -> null
    assert runs["a"]["baseline_accuracy"] == 0.6 and runs["b"]["baseline_accuracy"] is None
    assert (runs["a"]["ece"], runs["a"]["calibrated_loss"]) == (0.1, 0.2)
    assert runs["b"]["accuracy_derived_from"] == "validation-error"
    assert runs["b"]["final_accuracy"] == 0.75
    assert runs["c"]["loss_key"] is None and runs["c"]["epochs"] is None
    assert report["recommended"] == {"loss": "b", "accuracy": "a"}


def runs_frame(names: dict[str, str], parents: dict[str, str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({f.RUN_ID: list(names), f.RUN_NAME: list(names.values()),
                          f.STATUS: "FINISHED"})
    if parents is not None:
        frame[f.PARENT_RUN_TAG] = frame[f.RUN_ID].map(parents)
    return frame


def curve(run: str, losses: list[float], accuracies: list[float],
          accuracy_key: str = "val_accuracy") -> list[tuple[str, str, int, float]]:
    return ([(run, "val_loss", step, v) for step, v in enumerate(losses, start=1)]
            + [(run, accuracy_key, step, v) for step, v in enumerate(accuracies, start=1)])


def test_accuracy_logged_in_percent_is_read_as_a_fraction_and_flagged() -> None:
    points = history(curve("p", [0.7, 0.3], [61.2, 97.8], "val_acc")
                     + curve("q", [0.6, 0.2], [0.5, 0.9]))
    report = to_json(compare(runs_frame({"p": "percent", "q": "fraction"}), points), "e", "loss")
    runs = {r["run_id"]: r for r in report["runs"]}
    assert runs["p"]["accuracy_scale"] == 100 and runs["p"]["final_accuracy"] == 0.978
    assert runs["q"]["accuracy_scale"] == 1 and runs["q"]["final_accuracy"] == 0.9
    assert report["recommended"]["accuracy"] == "p"  # 0.978 > 0.9, not 97.8 against 0.9


def test_values_above_100_or_below_0_are_not_percent() -> None:
    points = history(curve("p", [0.7, 0.3], [0.5, 140.0]) + curve("q", [0.7, 0.3], [-3.0, 50.0]))
    runs = {r["run_id"]: r for r in to_json(compare(runs_frame({"p": "p", "q": "q"}), points),
                                            "e", "loss")["runs"]}
    assert runs["p"]["accuracy_scale"] == runs["q"]["accuracy_scale"] == 1


def test_an_error_rate_in_percent_becomes_accuracy() -> None:
    points = history([("e", "val_loss", 1, 0.4), ("e", "valid_error", 1, 3.5)])
    [run] = to_json(compare(runs_frame({"e": "e"}), points), "e", "loss")["runs"]
    assert run["accuracy_scale"] == 100 and math.isclose(run["final_accuracy"], 0.965)


def test_a_sweeps_parent_is_listed_but_never_a_candidate() -> None:
    """MLflow's hyperparameter-tuning example: the parent re-logs its best child's values once."""
    children = {"c1": (0.50, 0.80), "c2": (0.30, 0.90), "c3": (0.20, 0.85), "c4": (0.40, 0.95)}
    points = [row for run, (lo, acc) in children.items()
              for row in curve(run, [lo + 0.2, lo], [acc - 0.1, acc])]
    points += curve("parent", [0.20], [0.95])  # the best values, once
    names = {"parent": "sweep", **{c: c for c in children}}
    comparison = compare(runs_frame(names, {c: "parent" for c in children}), history(points))
    table = comparison.table
    assert table.loc["parent", "child_runs"] == 4 and table.loc["c1", "parent_run_id"] == "parent"
    assert pd.isna(table.loc["parent", "quadrant"]) and not table.loc["parent", "pareto"]
    assert {p.run_id for p in comparison.recommended.values() if p} == {"c3", "c4"}
    assert all("parent" not in pair for pair in comparison.disagreements)
    alone = compare(runs_frame({c: c for c in children}), history(points[:-2]))
    assert table["quadrant"].drop("parent").equals(alone.table["quadrant"])  # same medians
    assert table["pareto"].drop("parent").equals(alone.table["pareto"])


def test_epochs_come_from_the_epoch_metric_and_evaluations_are_counted() -> None:
    hf = [("hf", "eval_loss", step, 0.5) for step in (50, 100, 150, 200)]
    hf += [("hf", "eval_accuracy", step, 0.8) for step in (50, 100, 150, 200)]
    hf += [("hf", "epoch", step, step / 40) for step in range(10, 201, 10)]  # 0.25 ... 5.0
    lightning = [("pl", "val_loss", step, 0.5) for step in (9, 19, 29)]
    lightning += [("pl", "val_acc", step, 0.8) for step in (9, 19, 29)]
    lightning += [("pl", "epoch", step, step // 10) for step in range(0, 30)]  # 0, 0, ... 2
    keras = curve("k", [0.5, 0.4, 0.3], [0.7, 0.8, 0.9])
    frame = history(hf + lightning + keras)
    frame = frame.assign(**{f.EPOCH: assign_epochs(frame)[f.EPOCH]})
    runs = {r["run_id"]: r for r in to_json(compare(runs_frame({"hf": "hf", "pl": "pl",
                                                                "k": "k"}), frame),
                                            "e", "loss")["runs"]}
    assert (runs["hf"]["epochs"], runs["hf"]["evaluations"]) == (5, 4)
    assert (runs["pl"]["epochs"], runs["pl"]["evaluations"]) == (3, 3)
    assert (runs["k"]["epochs"], runs["k"]["evaluations"]) == (3, 3)


def test_without_predictions_the_interval_comes_from_the_n_val_tag() -> None:
    from analysis.evidence import wilson_interval

    runs = RUNS.assign(**{f.N_VAL_TAG: ["10", "ten", None]})
    points = history([("a", "val_loss", 1, 0.5), ("a", "val_accuracy", 1, 0.9),
                      ("b", "val_loss", 1, 0.3), ("b", "val_accuracy", 1, 0.8)])
    report = to_json(compare(runs, points, evidence={"b": RunEvidence(
        0.1, 0.2, n_val=20, correct=16, loss_se=0.05, confident_mistakes=2,
        confident_mistake_loss_share=0.4)}), "e", "loss")
    json.dumps(report, allow_nan=False)
    a, b, c = report["runs"]
    assert (a["n_val"], a["accuracy_ci"]) == (10, list(wilson_interval(9, 10)))
    assert a["loss_se"] is None and a["confident_mistakes"] is None
    assert (b["n_val"], b["accuracy_ci"]) == (20, list(wilson_interval(16, 20)))
    assert (b["loss_se"], b["confident_mistakes"], b["confident_mistake_loss_share"]) == \
        (0.05, 2, 0.4)
    assert (c["n_val"], c["accuracy_ci"]) == (None, None)
