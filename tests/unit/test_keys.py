import pytest

from tracking import keys


@pytest.mark.parametrize(
    ("split", "metric", "key"),
    [("train", "loss", "train_loss"), ("train", "accuracy", "train_accuracy"),
     ("val", "loss", "val_loss"), ("val", "accuracy", "val_accuracy")],
)
def test_metric_key_names_the_split_and_metric(split: str, metric: str, key: str) -> None:
    assert keys.metric_key(split, metric) == key


def test_named_constants_follow_the_convention() -> None:
    assert [keys.TRAIN_LOSS, keys.TRAIN_ACCURACY, keys.VAL_LOSS, keys.VAL_ACCURACY] == [
        keys.metric_key(s, m) for s in keys.SPLITS for m in keys.METRICS
    ]


def test_metric_key_rejects_unknown_split() -> None:
    with pytest.raises(ValueError, match="unknown split"):
        keys.metric_key("test", "loss")


def test_predictions_artifact_path() -> None:
    assert keys.PREDICTIONS_ARTIFACT == "lossboard/val_predictions.npz"
