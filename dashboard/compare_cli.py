"""`lossboard compare`: where loss and accuracy disagree in an experiment, on the terminal."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys

import pandas as pd
from tqdm import tqdm

from analysis import frames as f
from analysis.calibration import Predictions
from analysis.report import Comparison, compare, to_json
from dashboard.verdict_text import group_frame, group_lines, interval, run_lines
from tracking import TrackingSettings
from tracking.open import open_reader
from tracking.predictions import load_predictions, with_predictions
from tracking.reader import ExperimentData, ReaderError
from tracking.retry import single_attempt
from tracking.settings import SettingsError

DESCRIPTION = ("Compare the runs of an experiment where validation loss and accuracy disagree: "
               "final and best values, quadrant, Pareto front, divergence epoch, baseline, "
               "calibration, and a recommended run per objective.")
TABLE_COLUMNS = [f.RUN_NAME, f.STATUS, f.EPOCHS, f.FINAL_LOSS, f.FINAL_ACCURACY, f.ACCURACY_CI,
                 f.QUADRANT, f.PARETO, f.DIVERGENCE_EPOCH, f.BASELINE_ACCURACY, f.ECE,
                 f.CALIBRATED_LOSS, f.CONFIDENT_MISTAKES]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", required=True, help="experiment name (or id)")
    parser.add_argument("--tracking-uri", metavar="URI",
                        help="default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db")
    parser.add_argument("--objective", choices=["loss", "accuracy"], default="loss",
                        help="what you care about; orders the table (default: %(default)s)")
    parser.add_argument("--loss-key", metavar="K", help="validation loss key (default: detected)")
    parser.add_argument("--accuracy-key", metavar="K",
                        help="validation accuracy key, or an error-rate key (default: detected)")
    parser.add_argument("--filter", metavar="EXPR",
                        help="MLflow filter string, e.g. \"params.lr = '0.1'\"")
    parser.add_argument("--versus", nargs=2, action="append", metavar=("A", "B"), default=[],
                        help="also compare runs A and B (names or ids) on their shared "
                             "validation samples; may be repeated")
    groups = parser.add_mutually_exclusive_group()
    groups.add_argument("--group-by", metavar="PARAM|tag.NAME",
                        help="seed groups by this param or tag (default: runs that share every "
                             "param but a seed param: seed, random_state, *_seed)")
    groups.add_argument("--no-groups", action="store_true", help="compare single runs only")
    parser.add_argument("--format", choices=["table", "json", "csv"], default="table")
    parser.add_argument("--no-cache", action="store_true",
                        help="over http(s): read every finished run from the server, and keep "
                             "nothing (default: kept in $LOSSBOARD_CACHE_DIR, else "
                             "~/.cache/lossboard)")


def _predictions(uri: str, data: ExperimentData) -> dict[str, Predictions]:
    """The validation predictions of the runs that logged them (only they are fetched)."""
    logged = with_predictions(data.runs)
    if len(logged) < len(data.runs):
        print(f"{len(data.runs) - len(logged)} of {len(data.runs)} runs logged no validation "
              "predictions: no calibration for them", file=sys.stderr)
    if logged.empty:
        return {}
    with tqdm(total=len(logged), desc="predictions", unit="run", file=sys.stderr,
              disable=None, leave=False) as bar:
        def advance(done: int) -> None:
            bar.update(done - bar.n)

        loaded = load_predictions(logged, uri, progress=advance)
    return dict(loaded)


def _table(comparison: Comparison, objective: str, asked: list[tuple[str, str]]) -> str:
    frame = comparison.table[TABLE_COLUMNS].sort_values(
        f"final_{objective}", ascending=objective == "loss", na_position="last")
    frame = frame.assign(**{f.ACCURACY_CI: frame[f.ACCURACY_CI].map(interval)})
    lines = [frame.to_string(index=False, float_format=lambda v: f"{v:.4f}")]
    if comparison.groups is not None:  # with seed groups, the configurations' answer first
        lines += ["", "Seed groups (mean ± standard deviation over seeds):",
                  group_frame(comparison).to_string(index=False), *group_lines(comparison), ""]
    return "\n".join(lines + run_lines(comparison, asked))


def render(comparison: Comparison, experiment: str, objective: str, form: str,
           asked: list[tuple[str, str]] | None = None) -> str:
    if form == "json":
        return json.dumps(to_json(comparison, experiment, objective), indent=2)
    if form == "csv":
        runs = pd.DataFrame(to_json(comparison, experiment, objective)["runs"])
        low, high = zip(*(ci or (None, None) for ci in runs.pop(f.ACCURACY_CI)), strict=True)
        at = list(runs.columns).index(f.FINAL_ACCURACY) + 1
        runs.insert(at, "accuracy_ci_low", low)
        runs.insert(at + 1, "accuracy_ci_high", high)
        return str(runs.to_csv(index=False))
    return _table(comparison, objective, asked or [])


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _unknown_keys(data: ExperimentData, asked: tuple[str, ...]) -> str:
    """What to say when no run logged a key the user named (a typo, most likely); else ''."""
    logged = set(data.history[f.KEY].unique())
    missing = [repr(k) for k in asked if k not in logged]
    if not missing or data.runs.empty:
        return ""
    return (f"no run in {data.name!r} logged {' or '.join(missing)}; its loss and accuracy "
            f"keys: {', '.join(sorted(map(str, logged))) or 'none'}")


def run_id(data: ExperimentData, name: str) -> str:
    """The id of the run named `name` (or with that id) in `data`; LookupError if none or
    several."""
    runs = data.runs
    if name in set(runs[f.RUN_ID]):
        return name
    found = runs.loc[runs[f.RUN_NAME] == name, f.RUN_ID]
    if found.empty:
        raise LookupError(f"--versus: no run named {name!r} in {data.name!r}")
    if len(found) > 1:
        raise LookupError(f"--versus: {len(found)} runs are named {name!r} in {data.name!r}; "
                          "give a run id")
    return str(found.iloc[0])


def _say_untested(asked: list[tuple[str, str]], comparison: Comparison,
                  data: ExperimentData) -> None:
    tested = {frozenset((v.a, v.b)) for v in comparison.versus}
    for a, b in asked:
        if frozenset((a, b)) not in tested and a != b:
            print(f"--versus {a} {b}: not compared: both runs must have logged validation "
                  "predictions of the same samples in the same order", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # its retries are not news; failures are
    try:
        settings = TrackingSettings.from_env()
    except SettingsError as error:
        return _fail(str(error))
    uri = args.tracking_uri or settings.tracking_uri
    extra = tuple(k for k in (args.loss_key, args.accuracy_key) if k)
    try:
        with single_attempt(settings.request_timeout, retries=2), tqdm(
                desc="histories", file=sys.stderr, disable=None, leave=False) as bar:
            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            cache = None if args.no_cache else settings.cache_dir
            reader = open_reader(uri, advance, cache_dir=cache)
            # what the imports made lives to the end: kept out of the collector's passes over
            # the read's many small objects (1000 runs over REST: 0.85 s less, SQL 0.15 s)
            gc.freeze()
            data = reader.read(args.experiment, filter_string=args.filter, extra_keys=extra)
            predictions = _predictions(uri, data)
    except ReaderError as error:
        return _fail(str(error))
    if unknown := _unknown_keys(data, extra):
        return _fail(unknown)
    try:
        asked = [(run_id(data, a), run_id(data, b)) for a, b in args.versus]
    except LookupError as error:
        return _fail(str(error.args[0]))
    try:
        comparison = compare(data.runs, data.history, loss_key=args.loss_key,
                             accuracy_key=args.accuracy_key, predictions=predictions,
                             versus=asked, group_by=args.group_by, grouped=not args.no_groups)
    except KeyError as error:
        return _fail(f"--group-by: {error.args[0]}")
    _say_untested(asked, comparison, data)
    if not comparison.has_metrics:
        return _fail(f"no run in {data.name!r} has both a validation loss and an accuracy "
                     "series; name them with --loss-key / --accuracy-key")
    print(render(comparison, data.name, args.objective, args.format, asked))
    return 0

