"""The experiment every release logs for the store fixtures: fixed run names, params, tags and
curves from a seeded `random.Random`, timestamps from a fixed base (see
scripts/make_store_fixtures.py). Plain Python: it runs inside each release's venv."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

BASE_TS = 1_700_000_000_000  # metric timestamps (ms): fixed, so histories are reproducible


@dataclass
class Point:
    key: str
    step: int
    value: float
    timestamp: int


@dataclass
class RunSpec:
    name: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)


def curve(rng: random.Random, n: int, start: float, end: float, noise: float) -> list[float]:
    """``n`` values going from about ``start`` to about ``end``, with seeded noise, 4 digits."""
    values = []
    for i in range(n):
        frac = i / (n - 1) if n > 1 else 1.0
        smooth = end + (start - end) * math.exp(-4.0 * frac)
        values.append(round(smooth + rng.uniform(-noise, noise), 4))
    return values


def epoch_points(
    base: int, steps: list[int], series: dict[str, list[float]], spacing: int = 60_000
) -> list[Point]:
    """One point per key per step, all keys of a step at one timestamp (as epoch loggers do)."""
    points = []
    for i, step in enumerate(steps):
        for key, values in series.items():
            points.append(Point(key, step, values[i], base + i * spacing))
    return points


def keras_run(name: str, seed: int, base: int, epochs: int) -> RunSpec:
    rng = random.Random(seed)
    steps = list(range(epochs))
    series = {
        "loss": curve(rng, epochs, 0.69, 0.08, 0.01),
        "accuracy": curve(rng, epochs, 0.62, 0.98, 0.005),
        "val_loss": curve(rng, epochs, 0.66, 0.12, 0.015),
        "val_accuracy": curve(rng, epochs, 0.63, 0.95, 0.01),
    }
    params = {"lr": "0.01", "batch_size": "32", "optimizer": "adam"}
    return RunSpec(name, params=params, points=epoch_points(base, steps, series))


def lossboard_run(name: str, seed: int, base: int) -> RunSpec:
    rng = random.Random(100 + seed)
    steps = list(range(1, 13))
    series = {
        "train_loss": curve(rng, 12, 0.62, 0.05, 0.01),
        "train_accuracy": curve(rng, 12, 0.70, 0.99, 0.005),
        "val_loss": curve(rng, 12, 0.60, 0.09, 0.02),
        "val_accuracy": curve(rng, 12, 0.68, 0.97, 0.01),
    }
    params = {"hidden_layers": "64", "alpha": "0.0001", "seed": str(seed)}
    tags = {
        "dataset": "breast_cancer",
        "model_family": "mlp",
        "majority_baseline_accuracy": "0.6257",
        "n_classes": "2",
    }
    return RunSpec(name, params=params, tags=tags, points=epoch_points(base, steps, series))


def fixture_runs() -> dict[str, RunSpec]:
    """The deterministic content of the simple runs (specials are built in ``write_content``)."""
    specs: dict[str, RunSpec] = {}
    hour = 3_600_000

    def add(spec: RunSpec) -> None:
        specs[spec.name] = spec

    add(keras_run("keras-style", 1, BASE_TS, 10))
    add(lossboard_run("lossboard-style", 0, BASE_TS + hour))
    add(lossboard_run("lossboard-style-seed1", 1, BASE_TS + 2 * hour))

    rng = random.Random(3)
    base = BASE_TS + 3 * hour
    val_acc = curve(rng, 8, 61.2, 97.8, 0.0)
    val_acc[0], val_acc[-1] = 61.2, 97.8
    series = {
        "val_loss": curve(rng, 8, 0.71, 0.11, 0.01),
        "val_acc": [round(v, 1) for v in val_acc],
        "train_acc": [round(v, 1) for v in curve(rng, 8, 63.0, 99.1, 0.4)],
    }
    add(RunSpec("percent-accuracy", params={"lr": "0.001"},
                points=epoch_points(base, list(range(1, 9)), series)))

    rng = random.Random(4)
    base = BASE_TS + 4 * hour
    val_loss = curve(rng, 8, 0.7, 0.3, 0.02)
    val_loss[3] = math.nan  # step 4
    val_loss[5] = math.inf  # step 6
    series = {"val_loss": val_loss, "val_accuracy": curve(rng, 8, 0.6, 0.8, 0.02)}
    add(RunSpec("nan-and-inf", params={"lr": "10.0"},
                points=epoch_points(base, list(range(1, 9)), series)))

    rng = random.Random(5)
    base = BASE_TS + 5 * hour
    series = {
        "val_loss": curve(rng, 5, 0.65, 0.2, 0.01),
        "val_accuracy": curve(rng, 5, 0.64, 0.9, 0.01),
    }
    points = epoch_points(base, list(range(1, 6)), series)
    # resumed from the step-1 checkpoint: steps 2 and 3 logged again, later and different
    resumed = curve(rng, 2, 0.5, 0.4, 0.01)
    points += [
        Point("val_loss", 2, resumed[0], base + 10 * 60_000),
        Point("val_loss", 3, resumed[1], base + 11 * 60_000),
    ]
    add(RunSpec("duplicate-steps", params={"lr": "0.01"}, points=points))

    rng = random.Random(6)
    base = BASE_TS + 6 * hour
    loss_steps = list(range(10, 201, 10))
    eval_steps = [50, 100, 150, 200]
    losses = curve(rng, len(loss_steps), 0.69, 0.15, 0.02)
    eval_losses = curve(rng, len(eval_steps), 0.55, 0.22, 0.01)
    eval_accs = curve(rng, len(eval_steps), 0.78, 0.93, 0.005)
    points = []
    for i, step in enumerate(loss_steps):  # Trainer.log: loss, with the fractional epoch
        points += [
            Point("loss", step, losses[i], base + step * 1000),
            Point("epoch", step, step / 40, base + step * 1000),
        ]
    for i, step in enumerate(eval_steps):  # evaluate(): eval_*, and epoch again at that step
        ts = base + step * 1000 + 500
        points += [
            Point("eval_loss", step, eval_losses[i], ts),
            Point("eval_accuracy", step, eval_accs[i], ts),
            Point("epoch", step, step / 40, ts),
        ]
    params = {"learning_rate": "5e-05", "per_device_train_batch_size": "8", "num_train_epochs": "5"}
    add(RunSpec("hf-trainer-style", params=params, points=points))

    rng = random.Random(7)
    base = BASE_TS + 7 * hour
    series = {
        "validation_0-logloss": curve(rng, 20, 0.62, 0.05, 0.002),
        "validation_0-error": curve(rng, 20, 0.08, 0.0, 0.002),
        "validation_1-logloss": curve(rng, 20, 0.63, 0.11, 0.004),
        "validation_1-error": curve(rng, 20, 0.1, 0.03, 0.004),
    }
    series = {k: [max(v, 0.0) for v in vs] for k, vs in series.items()}
    params = {"max_depth": "4", "eta": "0.3", "objective": "binary:logistic"}
    add(RunSpec("xgboost-style", params=params,
                points=epoch_points(base, list(range(20)), series, spacing=200)))

    for trial, lr in enumerate(("0.1", "0.01", "0.001")):
        rng = random.Random(80 + trial)
        base = BASE_TS + 8 * hour + trial * 600_000
        series = {
            "val_loss": curve(rng, 6, 0.7, 0.15 + 0.05 * trial, 0.01),
            "val_accuracy": curve(rng, 6, 0.6, 0.93 - 0.02 * trial, 0.005),
        }
        add(RunSpec(f"trial-{trial}", params={"lr": lr},
                    points=epoch_points(base, list(range(1, 7)), series, spacing=10_000)))

    rng = random.Random(9)
    base = BASE_TS + 9 * hour
    series = {"val_loss": curve(rng, 3, 0.6, 0.4, 0.01),
              "val_accuracy": curve(rng, 3, 0.6, 0.7, 0.01)}
    add(RunSpec("odd-names", points=epoch_points(base, [1, 2, 3], series)))

    for name, seed, offset in (("still-running", 10, 10), ("deleted-run", 12, 12)):
        rng = random.Random(seed)
        series = {"val_loss": curve(rng, 3, 0.6, 0.5, 0.01),
                  "val_accuracy": curve(rng, 3, 0.6, 0.65, 0.01)}
        add(RunSpec(name, points=epoch_points(BASE_TS + offset * hour, [1, 2, 3], series)))

    add(RunSpec("no-metrics", params={"lr": "0.01", "note": "params only"}))
    add(keras_run("a", 20, BASE_TS + 20 * hour, 5))
    add(keras_run("b", 21, BASE_TS + 21 * hour, 5))

    rng = random.Random(22)
    series = {"val_loss": curve(rng, 3, 0.6, 0.4, 0.01)}
    add(RunSpec("orphan", points=epoch_points(BASE_TS + 22 * hour, [1, 2, 3], series)))
    return specs


ODD_RUN_NAME = '<b>bold</b> & "quotes" — ünïcode'


def long_value(length: int) -> str:
    unit = "".join(f"layer{i:02d}:dense(64,relu);" for i in range(40))
    return (unit * (length // len(unit) + 1))[:length]
