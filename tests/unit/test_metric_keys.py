import pytest

from analysis.metric_keys import (
    ChosenKeys,
    choose_keys,
    classify,
    relevant_keys,
)
from tracking import keys as written


@pytest.mark.parametrize(
    ("key", "split", "metric"),
    [
        # Lossboard's own logger
        (written.TRAIN_LOSS, "train", "loss"), (written.TRAIN_ACCURACY, "train", "accuracy"),
        (written.VAL_LOSS, "val", "loss"), (written.VAL_ACCURACY, "val", "accuracy"),
        # Keras 3 / tf.keras autolog
        ("loss", "train", "loss"), ("accuracy", "train", "accuracy"), ("acc", "train", "accuracy"),
        ("val_acc", "val", "accuracy"), ("val_sparse_categorical_accuracy", "val", "accuracy"),
        ("binary_accuracy", "train", "accuracy"),
        # XGBoost
        ("validation_0-logloss", "val", "loss"), ("validation_1-mlogloss", "val", "loss"),
        ("validation_0-error", "val", "error"), ("train-merror", "train", "error"),
        ("eval-logloss", "val", "loss"),
        # LightGBM
        ("valid_0-binary_logloss", "val", "loss"), ("valid_1-multi_logloss", "val", "loss"),
        ("valid_0-binary_error", "val", "error"), ("training-multi_error", "train", "error"),
        # Hugging Face Trainer
        ("eval_loss", "val", "loss"), ("eval_accuracy", "val", "accuracy"),
        # Lightning
        ("train_loss_step", "train", "loss"), ("train_loss_epoch", "train", "loss"),
        ("val_acc_epoch", "val", "accuracy"), ("train/acc", "train", "accuracy"),
        # hand-written
        ("val/loss", "val", "loss"), ("valid_acc", "val", "accuracy"),
        ("Validation Accuracy", "val", "accuracy"), ("test_accuracy", "val", "accuracy"),
        ("dev.loss", "val", "loss"), ("val:cross_entropy", "val", "loss"),
    ],
)
def test_known_keys_are_read(key: str, split: str, metric: str) -> None:
    role = classify(key)
    assert role is not None and (role.split, role.metric) == (split, metric)


@pytest.mark.parametrize("key", [
    "epoch", "lr", "learning_rate", "kl_loss", "val_loss_ema", "val_top5_acc", "eval_runtime",
    "train_samples_per_second", "grad_norm", "total_flos", "validation_0-auc", "f1", "",
])
def test_other_keys_are_left_alone(key: str) -> None:
    assert classify(key) is None


def test_our_logger_keys() -> None:
    counts = {"train_loss": 5, "train_accuracy": 5, "val_loss": 5, "val_accuracy": 5, "lr": 5}
    assert choose_keys(counts) == ChosenKeys("val_loss", "val_accuracy", False)
    assert choose_keys(counts, "train") == ChosenKeys("train_loss", "train_accuracy", False)


def test_hf_trainer_prefers_the_per_step_curve_over_the_final_summary() -> None:
    counts = {"loss": 40, "train_loss": 1, "eval_loss": 4, "eval_accuracy": 4, "epoch": 44}
    assert choose_keys(counts, "train").loss == "loss"
    assert choose_keys(counts) == ChosenKeys("eval_loss", "eval_accuracy", False)


def test_lightning_prefers_epoch_aggregates() -> None:
    counts = {"train_loss_step": 300, "train_loss_epoch": 10, "val_loss": 10, "val_acc": 10}
    assert choose_keys(counts, "train").loss == "train_loss_epoch"


def test_xgboost_error_becomes_accuracy_and_the_later_eval_set_is_validation() -> None:
    counts = {"validation_0-logloss": 50, "validation_1-logloss": 50,
              "validation_0-error": 50, "validation_1-error": 50}
    assert choose_keys(counts) == ChosenKeys("validation_1-logloss", "validation_1-error", True)


def test_val_is_preferred_to_eval_and_test() -> None:
    counts = {"test_accuracy": 3, "eval_accuracy": 3, "val_accuracy": 3}
    assert choose_keys(counts).accuracy == "val_accuracy"
    assert choose_keys({"test_accuracy": 3, "eval_accuracy": 3}).accuracy == "eval_accuracy"


def test_user_keys_win_when_the_run_has_them() -> None:
    counts = {"val_loss": 3, "val_accuracy": 3, "my_nll": 3, "valid_0-binary_error": 3}
    assert choose_keys(counts, loss_key="my_nll").loss == "my_nll"
    assert choose_keys(counts, accuracy_key="valid_0-binary_error") == ChosenKeys(
        "val_loss", "valid_0-binary_error", True)
    assert choose_keys(counts, loss_key="absent").loss == "val_loss"


def test_a_run_without_the_metrics_gets_none() -> None:
    assert choose_keys({"lr": 3}) == ChosenKeys(None, None, False)


def test_relevant_keys() -> None:
    assert relevant_keys(["lr", "epoch", "val_loss", "eval_accuracy"], ["my_nll", None]) == [
        "epoch", "eval_accuracy", "my_nll", "val_loss"]
