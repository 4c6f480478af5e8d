"""The demo sweeps: configurations chosen so loss and accuracy disagree for real.

Judged by final validation loss and accuracy against the sweep's medians, the `regimes` sweep
lands models in all four quadrants on breast_cancer:
  * dominant (high accuracy, low loss): moderately regularised MLPs;
  * overconfident (high accuracy, high loss): wide/deep MLPs trained long with no weight decay,
    whose few mistakes are made with near-certainty;
  * hedging (low accuracy, low loss): strong weight decay keeps probabilities soft, so it is
    wrong a little more often but never confidently;
  * dominated (low accuracy, high loss): tiny or barely trained networks.
The `imbalanced` sweep ("is this digit an 8?", ~10% positives) has small models whose accuracy
barely beats always answering "no".

Each configuration is trained once per seed (three by default), so the dashboard and `compare`
see seed groups: a configuration's spread over seeds says whether a lead between two of them is
bigger than what a different seed would have changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RunConfig:
    name: str
    dataset: str
    hidden_layers: tuple[int, ...]
    weight_decay: float
    learning_rate: float
    epochs: int
    intent: str
    batch_size: int = 32
    model_family: str = "mlp"

    def params(self) -> dict[str, object]:
        return {
            "hidden_layers": "x".join(map(str, self.hidden_layers)),
            "weight_decay": self.weight_decay,
            "learning_rate": self.learning_rate,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "optimizer": "adam",
        }


def _mlp(name: str, hidden: tuple[int, ...], decay: float, lr: float, epochs: int, intent: str,
         dataset: str = "breast_cancer") -> RunConfig:
    return RunConfig(name, dataset, hidden, decay, lr, epochs, intent)


REGIMES = [
    _mlp("mlp-32-decay-1", (32,), 1.0, 1e-3, 60, "dominant"),
    _mlp("mlp-64-decay-0.3", (64,), 0.3, 1e-3, 60, "dominant"),
    _mlp("mlp-256-no-decay-long", (256,), 0.0, 1e-2, 150, "overconfident"),
    _mlp("mlp-128x128-no-decay-long", (128, 128), 0.0, 1e-2, 150, "overconfident"),
    _mlp("mlp-16-decay-4", (16,), 4.0, 1e-3, 60, "hedging"),
    _mlp("mlp-64-decay-5", (64,), 5.0, 1e-3, 60, "hedging"),
    _mlp("mlp-2-short", (2,), 1e-4, 1e-3, 10, "dominated"),
    _mlp("mlp-8-slow", (8,), 1e-4, 3e-4, 8, "dominated"),
]

IMBALANCED = [
    _mlp("mlp-8-short", (8,), 0.1, 3e-4, 15, "near-baseline", dataset="digits_is_8"),
    _mlp("mlp-16-decay-3-short", (16,), 3.0, 3e-4, 10, "near-baseline", dataset="digits_is_8"),
]

SWEEPS: dict[str, tuple[str, list[RunConfig]]] = {
    # sweep name: (suffix added to the experiment name, configurations)
    "regimes": ("", REGIMES),
    "imbalanced": ("-imbalanced", IMBALANCED),
}


DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)


@dataclass(frozen=True)
class PlannedRun:
    experiment: str
    config: RunConfig
    seed: int

    @property
    def run_name(self) -> str:
        return f"{self.config.name}-seed{self.seed}"


def plan(
    experiment: str,
    sweeps: list[str],
    only: list[str] | None = None,
    epochs: int | None = None,
    seeds: tuple[int, ...] = DEFAULT_SEEDS,
) -> list[PlannedRun]:
    """Runs to train, in order: the chosen sweeps (optionally only named configs, with other
    epochs), each configuration once per seed."""
    unknown = set(only or []) - {c.name for _, configs in SWEEPS.values() for c in configs}
    if unknown:
        raise ValueError(f"unknown configuration(s): {', '.join(sorted(unknown))}")
    planned: list[PlannedRun] = []
    for sweep in sweeps:
        suffix, configs = SWEEPS[sweep]
        for config in configs:
            if only and config.name not in only:
                continue
            if epochs is not None:
                config = replace(config, epochs=epochs)
            planned.extend(PlannedRun(experiment + suffix, config, seed) for seed in seeds)
    return planned
