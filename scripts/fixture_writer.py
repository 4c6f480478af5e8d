"""Child mode of scripts/make_store_fixtures.py: runs inside one release's venv (as
`python -m scripts.fixture_writer` from a copy outside the repository) and uses only that
release's public API to log `scripts.fixture_content` into a store, then writes what the release
reads back as the store's `.expected.json`."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from scripts.fixture_content import (
    BASE_TS,
    ODD_RUN_NAME,
    Point,
    RunSpec,
    fixture_runs,
    long_value,
)


def json_safe(value: Any) -> Any:
    """Replace NaN/inf floats (bare NaN is not JSON) with "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def dump_expected(data: dict[str, Any]) -> str:
    """Sorted keys; one experiment and one history point a line, runs pretty-printed."""

    def dumps(value: Any, **kwargs: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, **kwargs)

    lines = []
    for key in sorted(data):
        value = json_safe(data[key])
        if isinstance(value, list) and value:
            if key == "runs":
                items = [dumps(v, indent=1).replace("\n", "\n  ") for v in value]
            else:
                items = [dumps(v) for v in value]
            text = "[\n  " + ",\n  ".join(items) + "\n ]"
        else:
            text = dumps(value)
        lines.append(f" {dumps(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def prune_file_store(root: Path) -> None:
    """Drop ``artifacts`` folders and then empty folders: what a git checkout of the store has."""
    for artifacts in sorted(root.rglob("artifacts"), reverse=True):
        if artifacts.is_dir():
            shutil.rmtree(artifacts)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def write_content(uri: str, artifact_root: Path) -> list[str]:
    """Log the fixture content into ``uri`` with the installed MLflow; return notes on oddities.

    Leaves the fluent run ``still-running`` active (the caller must exit with ``os._exit``).
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.exceptions import MlflowException

    notes: list[str] = []
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    specs = fixture_runs()

    def experiment(name: str, tags: dict[str, str] | None = None) -> str:
        location = (artifact_root / name).as_uri()
        return str(client.create_experiment(name, artifact_location=location, tags=tags))

    def log_points(run_id: str, points: list[Point]) -> None:
        batch: list[Any] = []
        for p in [*points, None]:
            if p is not None and not math.isinf(p.value):
                batch.append(Metric(p.key, p.value, p.timestamp, p.step))
                continue
            if batch:
                client.log_batch(run_id, metrics=batch)
                batch = []
            if p is not None:  # inf alone, so that a release that rejects it can be told apart
                try:
                    client.log_metric(run_id, p.key, p.value, timestamp=p.timestamp, step=p.step)
                except MlflowException as exc:
                    notes.append(f"inf rejected ({exc}); logged 1e308")
                    client.log_metric(run_id, p.key, 1e308, timestamp=p.timestamp, step=p.step)

    def log_spec(run_id: str, spec: RunSpec, points: list[Point] | None = None) -> None:
        client.log_batch(
            run_id,
            params=[Param(k, v) for k, v in spec.params.items()],
            tags=[RunTag(k, v) for k, v in spec.tags.items()],
        )
        log_points(run_id, spec.points if points is None else points)

    def simple(experiment_id: str, name: str, status: str = "FINISHED") -> str:
        with mlflow.start_run(run_name=name, experiment_id=experiment_id) as active:
            run_id: str = active.info.run_id
            log_spec(run_id, specs[name])
            if status != "FINISHED":
                mlflow.end_run(status=status)
        return run_id

    sweep = experiment("fixture-sweep", tags={"project": "lossboard-fixtures", "owner": "qa"})
    for name in ("keras-style", "lossboard-style", "lossboard-style-seed1", "percent-accuracy"):
        simple(sweep, name)
    simple(sweep, "nan-and-inf", status="FAILED")

    with mlflow.start_run(run_name="duplicate-steps", experiment_id=sweep) as active:
        spec = specs["duplicate-steps"]
        run_id = active.info.run_id
        client.log_batch(run_id, params=[Param(k, v) for k, v in spec.params.items()])
        for p in spec.points:  # one call a point, as a resumed training loop logs them
            client.log_metric(run_id, p.key, p.value, timestamp=p.timestamp, step=p.step)

    simple(sweep, "hf-trainer-style")
    simple(sweep, "xgboost-style")

    with mlflow.start_run(run_name="sweep-parent", experiment_id=sweep) as parent:
        finals = []
        for trial in range(3):
            name = f"trial-{trial}"
            with mlflow.start_run(run_name=name, experiment_id=sweep, nested=True) as child:
                log_spec(child.info.run_id, specs[name])
            last = {p.key: p.value for p in specs[name].points}
            finals.append((last["val_loss"], last["val_accuracy"], specs[name].params["lr"]))
        best_loss, best_acc, best_lr = min(finals)
        ts = BASE_TS + 8 * 3_600_000 + 1_800_000
        client.log_batch(
            parent.info.run_id,
            metrics=[Metric("val_loss", best_loss, ts, 0), Metric("val_accuracy", best_acc, ts, 0)],
            params=[Param("best_lr", best_lr)],
        )

    with mlflow.start_run(run_name=ODD_RUN_NAME, experiment_id=sweep) as active:
        run_id = active.info.run_id
        client.log_batch(
            run_id,
            params=[Param("learning rate", "0.003"), Param("model.depth", "6"),
                    Param("ключ", "значение")],
            tags=[RunTag("team/owner", "ml-platform"), RunTag("data.version", "v2.1"),
                  RunTag("release.channel/name", "nightly/2023-11-14")],
        )
        for length in (6000, 500, 250):
            try:
                client.log_param(run_id, "long_value", long_value(length))
            except MlflowException:
                continue
            if length != 6000:
                notes.append(f"param values limited: logged a {length}-character value")
            break
        log_points(run_id, specs["odd-names"].points)

    simple(sweep, "no-metrics")
    deleted = simple(sweep, "deleted-run")
    client.delete_run(deleted)

    second = experiment("second-experiment")
    simple(second, "a")
    simple(second, "b")

    gone = experiment("deleted-experiment")
    simple(gone, "orphan")
    client.delete_experiment(gone)

    # left RUNNING: started last, never ended (the caller exits without MLflow's exit hook)
    active = mlflow.start_run(run_name="still-running", experiment_id=sweep)
    log_spec(active.info.run_id, specs["still-running"])
    return notes


def read_back(uri: str, kind: str) -> dict[str, Any]:
    """What the installed MLflow reports for the store at ``uri``."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(tracking_uri=uri)
    experiments: list[Any] = []
    token = None
    while True:  # deleted experiments too, every page
        exp_page = client.search_experiments(view_type=ViewType.ALL, page_token=token)
        experiments += list(exp_page)
        token = exp_page.token
        if not token:
            break
    runs: list[Any] = []
    ids = [e.experiment_id for e in experiments]
    token = None
    while True:  # deleted runs too, every page
        run_page = client.search_runs(
            ids, run_view_type=ViewType.ALL, max_results=1000, page_token=token
        )
        runs += list(run_page)
        token = run_page.token
        if not token:
            break

    def natural(text: str) -> tuple[int, str]:
        return (len(text), text)

    out_runs = []
    history = []
    for r in runs:
        info = r.info
        latest = [
            {"key": m.key, "value": m.value, "step": m.step, "timestamp": m.timestamp}
            for m in r.data.to_proto().metrics
        ]
        out_runs.append(
            {
                "run_id": info.run_id,
                "experiment_id": info.experiment_id,
                "run_name": info.run_name,
                "status": info.status,
                "start_time": info.start_time,
                "end_time": info.end_time,
                "lifecycle_stage": info.lifecycle_stage,
                "params": dict(r.data.params),
                "tags": dict(r.data.tags),
                "latest_metrics": sorted(latest, key=lambda m: m["key"]),
            }
        )
        for key in sorted(r.data.metrics):
            for m in client.get_metric_history(info.run_id, key):
                history.append(
                    {"run_id": info.run_id, "key": m.key, "step": m.step, "value": m.value,
                     "timestamp": m.timestamp}
                )

    def point_order(h: dict[str, Any]) -> tuple[Any, ...]:
        value = h["value"]
        nan = isinstance(value, float) and math.isnan(value)
        return (h["run_id"], h["key"], h["step"], h["timestamp"], nan, 0.0 if nan else value)

    def run_order(r: dict[str, Any]) -> tuple[Any, ...]:
        return (natural(r["experiment_id"]), r["start_time"], r["run_name"], r["run_id"])

    revision = None
    if kind != "file":  # the schema's alembic revision (sqlalchemy comes with MLflow)
        import sqlalchemy

        engine = sqlalchemy.create_engine(uri)
        with engine.connect() as conn:
            query = sqlalchemy.text("SELECT version_num FROM alembic_version")
            revision = conn.execute(query).scalar()
        engine.dispose()
    return {
        "mlflow_version": mlflow.__version__,
        "schema_revision": revision,
        "experiments": sorted(
            (
                {"experiment_id": e.experiment_id, "name": e.name,
                 "lifecycle_stage": e.lifecycle_stage}
                for e in experiments
            ),
            key=lambda e: natural(e["experiment_id"]),
        ),
        "runs": sorted(out_runs, key=run_order),
        "history": sorted(history, key=point_order),
    }


def write_store(args: argparse.Namespace) -> None:
    """Log the content into `args.write_store`, read it back, write the expected file."""
    uri: str = args.write_store
    notes = write_content(uri, args.artifact_root)
    if args.kind == "file":
        prune_file_store(Path(urllib.parse.urlsplit(uri).path))
    expected = read_back(uri, args.kind)
    Path(args.expected).write_text(dump_expected(expected), encoding="utf-8")
    import mlflow

    for note in notes:
        print(f"[fixtures] {mlflow.__version__} {args.kind}: {note}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip MLflow's exit hook, which would end the still-running run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-store", metavar="URI", required=True)
    parser.add_argument("--kind", choices=("sqlite", "file", "postgresql", "mariadb"),
                        required=True)
    parser.add_argument("--expected", type=Path, required=True)
    parser.add_argument("--artifact-root", type=Path, required=True)
    write_store(parser.parse_args(argv))


if __name__ == "__main__":
    main()
