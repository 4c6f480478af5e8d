import json
import math

import pandas as pd

from analysis import frames as f
from analysis.report import RUN_FIELDS, Calibration, compare, to_json


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
    report = to_json(compare(RUNS, points, calibration={"a": Calibration(0.1, 0.2)}), "e", "loss")
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
