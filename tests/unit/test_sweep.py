import numpy as np
import pytest

from training.datasets import DATASETS, load_split
from training.sweep import DEFAULT_SEEDS, IMBALANCED, REGIMES, SWEEPS, plan


def test_plan_runs_every_sweep_into_its_experiment_once_per_default_seed() -> None:
    planned = plan("demo", list(SWEEPS))
    assert DEFAULT_SEEDS == (0, 1, 2)
    assert [(p.experiment, p.config, p.seed) for p in planned] == (
        [("demo", c, s) for c in REGIMES for s in DEFAULT_SEEDS]
        + [("demo-imbalanced", c, s) for c in IMBALANCED for s in DEFAULT_SEEDS])
    assert len({p.run_name for p in planned}) == len(planned)  # every run named apart


def test_plan_can_pick_configs_seeds_and_epochs() -> None:
    planned = plan("demo", list(SWEEPS), only=["mlp-2-short", "mlp-8-short"], epochs=3,
                   seeds=(7,))
    assert [(p.experiment, p.run_name, p.config.epochs) for p in planned] == [
        ("demo", "mlp-2-short-seed7", 3), ("demo-imbalanced", "mlp-8-short-seed7", 3)]


def test_plan_names_unknown_configs() -> None:
    with pytest.raises(ValueError, match="unknown configuration.*nope"):
        plan("demo", ["regimes"], only=["nope"])


def test_sweep_covers_every_intended_regime() -> None:
    assert {c.intent for c in REGIMES} == {"dominant", "overconfident", "hedging", "dominated"}
    assert len({c.name for _, configs in SWEEPS.values() for c in configs}) == len(
        REGIMES) + len(IMBALANCED)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_splits_are_stratified_standardised_and_fixed(name: str) -> None:
    split = load_split(name)
    again = load_split(name)
    np.testing.assert_array_equal(split.x_val, again.x_val)
    assert len(split.x_train) == len(split.y_train) and len(split.x_val) == len(split.y_val)
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0, atol=1e-9)
    train_share = np.bincount(split.y_train) / len(split.y_train)
    val_share = np.bincount(split.y_val) / len(split.y_val)
    np.testing.assert_allclose(train_share, val_share, atol=0.02)


def test_digits_is_8_is_imbalanced() -> None:
    split = load_split("digits_is_8")
    assert split.classes.tolist() == [0, 1]
    assert 0.85 < np.mean(split.y_val == 0) < 0.95


def test_unknown_dataset_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="breast_cancer"):
        load_split("mnist")
