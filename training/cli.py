"""`python scripts/train.py` / `lossboard train`: run the demo sweeps into MLflow."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from types import FrameType
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from tracking import TrackingSettings
from tracking.settings import SettingsError
from training.sweep import DEFAULT_SEEDS, SWEEPS, PlannedRun, plan

if TYPE_CHECKING:  # the loop imports scikit-learn (~1 s): only `lossboard train` needs it
    from training.loop import EpochCallback, RunResult, Scores

DEFAULT_EXPERIMENT = "lossboard-demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", default=DEFAULT_EXPERIMENT,
                        help="MLflow experiment name; the imbalanced sweep logs to "
                             "NAME-imbalanced (default: %(default)s)")
    parser.add_argument("--sweep", choices=["all", *SWEEPS], default="all",
                        help="which sweep to run (default: %(default)s)")
    parser.add_argument("--config", action="append", metavar="NAME",
                        help="train only this configuration (repeatable; see --list)")
    parser.add_argument("--epochs", type=int, metavar="N",
                        help="train every configuration for N epochs instead of its own count")
    parser.add_argument("--seed", type=int, action="append", metavar="S",
                        help="seed for weight initialisation and shuffling, one run per seed "
                             "(repeatable); the same seed gives the same curves (default: "
                             f"{' '.join(map(str, DEFAULT_SEEDS))})")
    parser.add_argument("--tracking-uri", metavar="URI",
                        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, "
                             "else sqlite:///mlflow.db)")
    parser.add_argument("--list", action="store_true", help="list the configurations and exit")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train small real models (scikit-learn MLPs on datasets shipped with "
                    "scikit-learn) epoch by epoch and log per-epoch train/validation loss and "
                    "accuracy, class balance and validation predictions to MLflow.",
    )
    add_arguments(parser)
    return parser


def list_configs() -> str:
    lines = []
    for sweep, (suffix, configs) in SWEEPS.items():
        lines.append(f"{sweep} (experiment NAME{suffix}):")
        for c in configs:
            lines.append(f"  {c.name:28} {c.dataset:14} {c.epochs:4d} epochs  {c.intent}")
    seeds = " ".join(map(str, DEFAULT_SEEDS))
    lines.append(f"each trained once per seed, named CONFIG-seedS (seeds {seeds}; see --seed)")
    return "\n".join(lines)


def _progress_callback(bar: tqdm[Any]) -> EpochCallback:
    def on_epoch(epoch: int, val: Scores) -> None:
        bar.set_postfix(val_loss=f"{val.loss:.4f}", val_acc=f"{val.accuracy:.4f}", refresh=False)
        bar.update(1)

    return on_epoch


def _train_with_progress(planned: list[PlannedRun], settings: TrackingSettings,
                         show: bool) -> list[RunResult]:
    from training.loop import train_planned

    results = []
    for index, run in enumerate(planned, start=1):
        desc = f"run {index}/{len(planned)} {run.run_name}"
        bar: tqdm[Any] = tqdm(total=run.config.epochs, desc=desc, unit="epoch",
                               disable=not show, file=sys.stderr)
        with bar:
            results.append(train_planned(run, settings, _progress_callback(bar)))
    return results


def summary(results: list[RunResult], seconds: float) -> str:
    lines = [f"{'experiment':26} {'run':32} {'status':9} {'val_loss':>9} {'val_acc':>8} "
             f"{'baseline':>8}  note"]
    for r in results:
        loss = f"{r.final_val.loss:9.4f}" if r.final_val else f"{'-':>9}"
        acc = f"{r.final_val.accuracy:8.4f}" if r.final_val else f"{'-':>8}"
        note = f"unsent, saved in {r.report.spool}" if r.report.spool else \
            "unsent and lost: no folder could be written" if r.report.lost else \
            f"{r.report.refused} item(s) refused, see {r.report.refused_file}" \
            if r.report.refused else ""
        lines.append(f"{r.experiment:26} {r.name:32} {r.report.status:9} {loss} {acc} "
                     f"{r.baseline_accuracy:8.4f}  {note}")
    lines.append(f"{len(results)} run(s) in {seconds:.1f} s")
    return "\n".join(lines)


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)  # ends the active run KILLED, like Ctrl-C


def run(args: argparse.Namespace) -> int:
    """Train what `args` asks for; exit code 0 when every run was written completely."""
    if args.list:
        print(list_configs())
        return 0
    try:
        settings = TrackingSettings.from_env()
        sweeps = list(SWEEPS) if args.sweep == "all" else [args.sweep]
        seeds = tuple(dict.fromkeys(args.seed or DEFAULT_SEEDS))  # in order, each once
        planned = plan(args.experiment, sweeps, args.config, args.epochs, seeds)
    except (SettingsError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.epochs is not None and args.epochs < 1:
        print("error: --epochs must be at least 1", file=sys.stderr)
        return 2
    if args.tracking_uri:
        settings = replace(settings, tracking_uri=args.tracking_uri)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    started = time.perf_counter()
    print(f"Logging {len(planned)} run(s) to {settings.tracking_uri}", file=sys.stderr)
    try:
        results = _train_with_progress(planned, settings, show=not args.no_progress)
    except KeyboardInterrupt:
        print("interrupted: the run in progress was ended KILLED", file=sys.stderr)
        return 130
    print(summary(results, time.perf_counter() - started))
    return 0 if all(r.report.complete for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
