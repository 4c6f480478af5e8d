"""Runs written by Keras (autolog), PyTorch Lightning's MLFlowLogger and Hugging Face Trainer
(report_to="mlflow"), for real, compared with no configuration. Small models, no downloads."""

from __future__ import annotations

import pytest

from tests.helpers.autolog import compared_runs, write_runs

DATA = """
import mlflow, numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
x, y = load_breast_cancer(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=0,
                                                  stratify=y)
scaler = StandardScaler().fit(x_train)
x_train = scaler.transform(x_train).astype("float32")
x_val = scaler.transform(x_val).astype("float32")
mlflow.set_experiment("autologged")
"""

HF_TRAINER = """
        import tempfile, torch
        from transformers import (BertConfig, BertForSequenceClassification, Trainer,
                                  TrainingArguments)

        def tokens(x):  # each standardised feature becomes one of 10 bucket tokens
            buckets = np.clip(np.floor((x + 2.5) * 2), 0, 9).astype(int)
            return 2 + np.arange(30) * 10 + buckets

        class Rows(torch.utils.data.Dataset):
            def __init__(self, x, y):
                self.ids, self.y = torch.tensor(tokens(x)), torch.tensor(y)
            def __len__(self):
                return len(self.y)
            def __getitem__(self, i):
                return {{"input_ids": self.ids[i], "attention_mask": torch.ones(30, dtype=int),
                        "labels": self.y[i]}}

        config = BertConfig(vocab_size=310, hidden_size=16, num_hidden_layers=1,
                            num_attention_heads=2, intermediate_size=32,
                            max_position_embeddings=32, num_labels=2)
        args = TrainingArguments(output_dir=tempfile.mkdtemp(), num_train_epochs=3,
                                 per_device_train_batch_size=32, learning_rate=5e-3,
                                 {evaluation}, logging_steps=5, save_strategy="no",
                                 report_to=["mlflow"], use_cpu=True, disable_tqdm=True, seed=0)
        with mlflow.start_run(run_name="{name}"):
            Trainer(model=BertForSequenceClassification(config), args=args,
                    train_dataset=Rows(x_train, y_train), eval_dataset=Rows(x_val, y_val),
                    compute_metrics=lambda p: {{
                        "accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean())}},
                    ).train()
    """

SCRIPTS = {
    "keras": """
        import keras
        keras.utils.set_random_seed(0)
        mlflow.keras.autolog(log_models=False)
        model = keras.Sequential([keras.layers.Input((30,)),
                                  keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        with mlflow.start_run(run_name="keras"):
            model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=5,
                      batch_size=32, verbose=0)
    """,
    "lightning": """
        import torch, lightning as L
        from lightning.pytorch.loggers import MLFlowLogger
        from torch.utils.data import DataLoader, TensorDataset
        L.seed_everything(0)

        class Classifier(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.net = torch.nn.Sequential(torch.nn.Linear(30, 16), torch.nn.ReLU(),
                                               torch.nn.Linear(16, 2))
            def scores(self, batch):
                x, y = batch
                logits = self.net(x)
                return (torch.nn.functional.cross_entropy(logits, y),
                        (logits.argmax(1) == y).float().mean())
            def training_step(self, batch, index):
                loss, acc = self.scores(batch)
                self.log("train_loss", loss, on_step=True, on_epoch=True)
                self.log("train_acc", acc, on_step=True, on_epoch=True)
                return loss
            def validation_step(self, batch, index):
                loss, acc = self.scores(batch)
                self.log("val_loss", loss)
                self.log("val_acc", acc)
            def configure_optimizers(self):
                return torch.optim.Adam(self.parameters(), lr=1e-2)

        def loader(x, y, shuffle):
            return DataLoader(TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=32,
                              shuffle=shuffle)
        logger = MLFlowLogger(experiment_name="autologged", run_name="lightning",
                              tracking_uri=mlflow.get_tracking_uri())
        L.Trainer(max_epochs=5, logger=logger, enable_checkpointing=False, log_every_n_steps=2,
                  enable_progress_bar=False, enable_model_summary=False, accelerator="cpu"
                  ).fit(Classifier(), loader(x_train, y_train, True),
                        loader(x_val, y_val, False))
    """,
    "hf-trainer": HF_TRAINER.format(name="hf-trainer", evaluation='eval_strategy="epoch"'),
    # evaluating every 5 global steps: 8 evaluations in 3 epochs
    "hf-trainer-steps": HF_TRAINER.format(name="hf-trainer-steps",
                                          evaluation='eval_strategy="steps", eval_steps=5'),
}

EXPECTED = {  # run -> (validation loss and accuracy keys, epochs, evaluations, epochs logged)
    "keras": ("val_loss", "val_accuracy", 5, 5, {0, 1, 2, 3, 4}),  # step = epoch, from 0
    # global steps, mapped through the `epoch` metric (Lightning counts from 0, HF from 1)
    "lightning": ("val_loss", "val_acc", 5, 5, {0, 1, 2, 3, 4}),
    "hf-trainer": ("eval_loss", "eval_accuracy", 3, 3, {1, 2, 3}),
    "hf-trainer-steps": ("eval_loss", "eval_accuracy", 3, 8, None),  # fractional epochs
}


@pytest.fixture(scope="module")
def autologged(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("torch", reason="install the 'autolog' extra (scripts/test.sh does)")
    return write_runs(tmp_path_factory.mktemp("autolog-torch"), DATA, SCRIPTS, env={
        "KERAS_BACKEND": "torch", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "MLFLOW_EXPERIMENT_NAME": "autologged"})


def test_keras_lightning_and_hf_runs_need_no_configuration(
        autologged: str, capsys: pytest.CaptureFixture[str]) -> None:
    runs = compared_runs(autologged, capsys)
    assert set(runs) == set(SCRIPTS)
    for name, (loss_key, accuracy_key, epochs, evaluations, numbers) in EXPECTED.items():
        run = runs[name]
        assert numbers is None or {run["best_loss_epoch"], run["best_accuracy_epoch"]} <= numbers
        assert (run["loss_key"], run["accuracy_key"], run["epochs"], run["evaluations"]) == (
            loss_key, accuracy_key, epochs, evaluations), name
        assert run["accuracy_derived_from"] is None
        assert 0.5 < run["final_accuracy"] <= 1.0 and 0 < run["final_loss"] < 1.0, run
