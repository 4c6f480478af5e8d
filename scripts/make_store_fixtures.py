"""Make small real MLflow stores written by other MLflow releases, kept as reader test fixtures.

Lossboard runs on MLflow 3.17.2, but the stores it is pointed at were often written by another
release. This script installs other releases in throwaway venvs and has each of them log the same
deterministic experiment content, through that release's own public API only (``mlflow``,
``mlflow.MlflowClient``, ``mlflow.entities``; no Lossboard code), into:

- a SQLite store ``mlflow-<version>.db`` for every version (artifacts go to /tmp and are not kept;
  the file is VACUUMed with 1 KiB pages so it stays small: 3.x's 71 tables take ~1.1 MB at 4 KiB);
- a legacy file store ``mlruns-<version>/`` for 2.22.1 and the oldest 2.x version asked for
  (``artifacts`` folders and empty folders are removed, as a git checkout of it would have it);
- a PostgreSQL store for 2.22.1 and 3.18.0, written into a fresh database, dumped with
  ``pg_dump --no-owner --no-acl`` (plain SQL) to ``mlflow-<version>.postgresql.sql``, then dropped;
- a MariaDB (MySQL protocol) store for 2.22.1 and 3.18.0, written through
  ``mysql+pymysql://`` into a fresh utf8mb4 database (made with the ``mariadb`` client), dumped
  with ``mariadb-dump`` (``MARIADB_DUMP_OPTIONS``: plain SQL, one row a line in primary-key order,
  no comments, date, CREATE DATABASE or USE) to ``mlflow-<version>.mariadb.sql``, then dropped.

Next to each store it writes ``<store file name>.expected.json``: what that same release reports
when it reads the store back through its own client (experiments from ``search_experiments`` and
runs from ``search_runs``, both with ``ViewType.ALL``, paged; full history from
``get_metric_history``), the ground truth a reader must reproduce. NaN and +/-inf are written as
the strings "NaN", "Infinity" and "-Infinity". The run left RUNNING is read back while its process
is still alive, and the process then ends with ``os._exit`` so that MLflow's exit hook does not
finish it: that is how a killed training job leaves a store.

Run it (any Python 3.11; only the standard library in this process):

    python3 scripts/make_store_fixtures.py [--versions 2.0.1 2.9.2 2.22.1 3.18.0]
        [--out tests/fixtures/stores] [--postgres postgresql://postgres@127.0.0.1:5432]
        [--no-postgres] [--mariadb mysql+pymysql://root@127.0.0.1:3306] [--no-mariadb]
        [--only sqlite file postgresql mariadb] [--work /tmp/lossboard-fixtures]

Venvs (``<work>/venv-<version>``) are kept and reused while their install recipe is unchanged; the
outputs asked for are overwritten on every run (new run ids and times): ``--only KIND...`` writes
just those kinds, e.g. ``--versions 2.22.1 3.18.0 --only mariadb`` adds the MariaDB dumps and
leaves every other fixture as it is. PostgreSQL needs ``psql`` and ``pg_dump`` on PATH and a server
that lets the URL's user create databases (``test`` must exist: CREATE DATABASE is issued there).
MariaDB needs ``mariadb`` and ``mariadb-dump`` on PATH (Debian's mariadb-client) and a server where
the URL's user may create databases.

Versions, and why these: 2.0.1 is the first 2.x release (its file store and SQLite schema are the
oldest a 2.x user can have; it installs on Python 3.11, so no substitute was needed); 2.9.2 is a
mid-2.x release (before the 2.10-2.22 schema changes); 2.22.1 is the last 2.x schema head
(``0584bdc529eb``); 3.18.0 is one release newer than the project's 3.17.2 (head ``f4a9b2c7d1e6``).

Pins (``INSTALLS`` below) are the versions checked to work together on Python 3.11 on 2026-12-01.
``mlflow-skinny==3.18.0`` and ``mlflow-tracing==3.18.0`` are not on the package registry, so 3.18.0
is installed over MLflow 3.17.2's dependencies: 3.17.2 is installed with its dependencies, its three
distributions are uninstalled, and the full ``mlflow==3.18.0`` wheel (which carries the whole
``mlflow`` package) is installed with ``--no-deps``. torch and tensorflow are never installed.
2.22.1 and 3.18.0 also get ``pymysql==1.2.4`` (the project's constraints.txt pin) for MariaDB.

Schema heads written: 2.0.1 ``97727af70f4d`` (12 tables), 2.9.2 ``acf3f17fdcc7`` (16), 2.22.1
``0584bdc529eb`` (19), 3.18.0 ``f4a9b2c7d1e6`` (71). Opening one of these stores with another
release's ``MlflowClient`` can migrate it in place: tests must open a copy.

What the releases did differently (seen when these fixtures were made):
- the param value limit is 500 characters in 2.0.1 and 6,000 from 2.9 on (the SQL column grew from
  500 to 8,000): the ``odd-names`` run logs the longest of 6000/500/250 characters accepted;
- +inf is accepted everywhere; the database stores clamp it to 1.7976931348623157e308 while the
  file stores keep ``inf`` (and read it back as inf); NaN is stored as 0.0 with ``is_nan=1`` in the
  databases, ``nan`` in file stores, and reads back as NaN everywhere;
- deleting an experiment marks its runs deleted in the database stores and in 2.22.1's file store,
  but 2.0.1's file store leaves them (and even the experiment's own meta.yaml, moved to ``.trash/``)
  ``lifecycle_stage: active``: 2.0.1 reports the experiment deleted (it is in .trash) and the run
  active;
- file stores use random 18-digit experiment ids (databases count 0, 1, 2...), keep tag keys with a
  slash (``team/owner``) as nested folders under ``tags/``, and lay out 2.0.1 and 2.22.1 alike; a
  run with no params or no metrics has no such folder once empty folders are dropped, and both
  releases read that fine. The Default experiment's artifact_location is the absolute path the store
  was written at;
- every release names runs from ``run_name`` (column/meta.yaml ``run_name`` and tag
  ``mlflow.runName`` agree, the odd name included) and adds the tags ``mlflow.user`` (fixed here to
  ``fixture-user``), ``mlflow.source.name`` (the copy of this script the child runs) and
  ``mlflow.source.type``, and ``mlflow.parentRunId`` on nested runs; 3.18.0 adds no others;
- pg_dump 15.20 writes ``\\restrict``/``\\unrestrict`` psql meta-commands with a random key and
  COPY blocks: restore the dumps with ``psql -f``, not by executing the text through a driver;
- on MariaDB 10.11.19 both releases read back exactly what they did from SQLite and PostgreSQL
  (same values, the 6,000-character param in ``varchar(8000)``, the odd run name and Cyrillic
  param in utf8mb4_general_ci tables; +inf clamped in the ``double`` column, NaN as 0 with
  ``is_nan``). mariadb-dump 10.11.19 starts with a ``/*M!999999\\- enable the sandbox mode */``
  line that MySQL's own client cannot parse, and 3.18.0's one trigger
  (``prevent_secrets_aad_mutation``, on ``secrets``) is dumped with the ``DEFINER`` of the account
  that made it: both are left out of the file, so the trigger belongs to whoever restores it. Its
  sql_mode includes ``NO_AUTO_CREATE_USER``, which MySQL 8 rejects: restore with MariaDB's client
  into MariaDB. Restore with ``mariadb <db> < dump`` (it has ``DELIMITER`` lines for the trigger).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VERSIONS = ("2.0.1", "2.9.2", "2.22.1", "3.18.0")
DEFAULT_OUT = REPO / "tests" / "fixtures" / "stores"
DEFAULT_WORK = Path("/tmp/lossboard-fixtures")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_ADMIN_DB = "test"
POSTGRES_VERSIONS = ("2.22.1", "3.18.0")
DEFAULT_MARIADB = "mysql+pymysql://root@127.0.0.1:3306"
MARIADB_VERSIONS = ("2.22.1", "3.18.0")
MARIADB_CHARSET = "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"  # MariaDB 10.11's default
# plain SQL, one row a line in primary-key order, no CREATE DATABASE/USE, no comments or date
MARIADB_DUMP_OPTIONS = (
    "--default-character-set=utf8mb4", "--skip-comments", "--skip-dump-date",
    "--single-transaction", "--skip-routines", "--order-by-primary",
    "--hex-blob", "--skip-extended-insert", "--no-autocommit",
)
KINDS = ("sqlite", "file", "postgresql", "mariadb")
FILE_STORE_VERSIONS = ("2.22.1",)  # and the oldest 2.x version asked for
FIXTURE_USER = "fixture-user"  # mlflow.user comes from $USER/$LOGNAME: fixed, so files diff well
BASE_TS = 1_700_000_000_000  # metric timestamps (ms): fixed, so histories are reproducible


@dataclass(frozen=True)
class Install:
    """How to install one MLflow release in a venv.

    ``requirements`` are installed together (pip resolves their dependencies), then the
    distributions in ``remove`` are uninstalled, then ``no_deps`` is installed with --no-deps.
    """

    requirements: tuple[str, ...]
    remove: tuple[str, ...] = ()
    no_deps: tuple[str, ...] = ()


INSTALLS: dict[str, Install] = {
    # 2.0.1 caps sqlalchemy<2, numpy<2 and pandas<2 itself; these are the newest releases under
    # those caps with Python 3.11 wheels (pyarrow 10 is the first with cp311 wheels; protobuf 4.25
    # is the last 4.x). setuptools<70 keeps pkg_resources, which 2.0.1's import hooks use.
    "2.0.1": Install(
        requirements=(
            "mlflow==2.0.1",
            "sqlalchemy==1.4.54",
            "alembic==1.19.2",
            "numpy==1.26.4",
            "pandas==1.5.3",
            "pyarrow==10.0.1",
            "protobuf==4.25.9",
            "packaging==21.3",
            "setuptools<70",
            "psycopg2-binary==2.9.13",
        )
    ),
    # 2.x needs sqlalchemy<2.1; 2.9 caps numpy<2 and protobuf<5 through its pins.
    "2.9.2": Install(
        requirements=(
            "mlflow==2.9.2",
            "sqlalchemy==2.0.58",
            "alembic==1.20.1",
            "numpy==1.26.4",
            "pandas==2.3.3",
            "pyarrow==14.0.2",
            "protobuf==4.25.9",
            "packaging==23.2",
            "setuptools<70",
            "psycopg2-binary==2.9.13",
        )
    ),
    "2.22.1": Install(
        requirements=(
            "mlflow==2.22.1",
            "sqlalchemy==2.0.58",
            "alembic==1.20.1",
            "numpy==2.4.6",
            "pandas==2.3.3",
            "pyarrow==19.0.1",
            "protobuf==6.33.6",
            "packaging==24.2",
            "psycopg2-binary==2.9.13",
            "pymysql==1.2.4",
        )
    ),
    # mlflow-skinny/mlflow-tracing 3.18.0 are not on the registry: install 3.17.2 with the
    # project's dependency versions (constraints.txt), remove it, then the full 3.18.0 wheel alone.
    "3.18.0": Install(
        requirements=(
            "mlflow==3.17.2",
            "sqlalchemy==2.1.9",
            "alembic==1.20.1",
            "numpy==2.4.6",
            "pandas==3.1.1",
            "pyarrow==25.0.1",
            "protobuf==7.36.2",
            "packaging==26.3",
            "psycopg2-binary==2.9.13",
            "pymysql==1.2.4",
        ),
        remove=("mlflow", "mlflow-skinny", "mlflow-tracing"),
        no_deps=("mlflow==3.18.0",),
    ),
}


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def install_for(version: str) -> Install:
    """The recipe for ``version``; a version not listed gets the generic 2.x/3.x recipe."""
    if version in INSTALLS:
        return INSTALLS[version]
    extra = ("sqlalchemy<2.1",) if version_key(version)[0] < 3 else ()
    return Install(requirements=(f"mlflow=={version}", *extra, "psycopg2-binary", "pymysql"))


def log(message: str) -> None:
    print(f"[fixtures] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``, failing loudly with its output if it fails."""
    result = subprocess.run(cmd, text=True, capture_output=True, **kwargs)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-8000:])
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(cmd)}")
    return result


# --------------------------------------------------------------------------------------------
# Parent mode: venvs, stores, dumps
# --------------------------------------------------------------------------------------------


def ensure_venv(version: str, work: Path) -> Path:
    """Create (or reuse) ``<work>/venv-<version>`` with that MLflow release; return its python."""
    venv = work / f"venv-{version}"
    python = venv / "bin" / "python"
    recipe = install_for(version)
    stamp = venv / ".lossboard-fixture-recipe.json"
    wanted = json.dumps({"python": sys.version.split()[0], **asdict(recipe)}, sort_keys=True)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        probe = subprocess.run(
            [str(python), "-c", "import mlflow; print(mlflow.__version__)"],
            text=True,
            capture_output=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            log(f"{version}: reusing {venv}")
            return python
    log(f"{version}: creating {venv}")
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, *recipe.requirements])
    if recipe.remove:
        run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", *recipe.remove])
    if recipe.no_deps:
        run([*pip, "--no-deps", *recipe.no_deps])
    got = run([str(python), "-c", "import mlflow; print(mlflow.__version__)"]).stdout.strip()
    if got != version:
        raise SystemExit(f"{venv} has MLflow {got}, not {version}")
    stamp.write_text(wanted)
    return python


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(
        USER=FIXTURE_USER,
        LOGNAME=FIXTURE_USER,
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        GIT_PYTHON_REFRESH="quiet",
        PYTHONHASHSEED="0",
        PYTHONWARNINGS="ignore",
    )
    return env


def write_with(
    python: Path, script: Path, uri: str, kind: str, expected: Path, scratch: Path
) -> None:
    """Have the venv's MLflow write the fixture content to ``uri`` and its readback to expected."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    cmd = [str(python), str(script), "--write-store", uri, "--kind", kind]
    cmd += ["--expected", str(expected), "--artifact-root", str(scratch / "artifacts")]
    result = run(cmd, cwd=scratch, env=child_env())
    for line in result.stderr.splitlines():  # the child's notes on what its release did
        if line.startswith("[fixtures]"):
            print(line, file=sys.stderr, flush=True)
    shutil.rmtree(scratch, ignore_errors=True)


def remove_path(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def sqlite_summary(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    return f"schema {revision}, {tables} tables, {runs} runs"


def make_sqlite(version: str, python: Path, script: Path, out: Path, work: Path) -> Path:
    db = out / f"mlflow-{version}.db"
    expected = out / f"{db.name}.expected.json"
    for stale in (db, expected, db.with_name(db.name + "-journal")):
        remove_path(stale)
    write_with(python, script, f"sqlite:///{db}", "sqlite", expected, work / f"scratch-{version}")
    conn = sqlite3.connect(db)
    try:  # 1 KiB pages: 3.x's 71 mostly empty tables and their indexes take a page each
        conn.execute("PRAGMA page_size = 1024")
        conn.execute("VACUUM")
    finally:
        conn.close()
    log(f"{db.name}: {sqlite_summary(db)}, {db.stat().st_size // 1024} KiB")
    return db


def make_file_store(version: str, python: Path, script: Path, out: Path, work: Path) -> Path:
    root = out / f"mlruns-{version}"
    expected = out / f"{root.name}.expected.json"
    remove_path(root)
    remove_path(expected)
    write_with(python, script, root.as_uri(), "file", expected, work / f"scratch-{version}")
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    count = sum(1 for p in root.rglob("*") if p.is_file())
    log(f"{root.name}/: {count} files, {size // 1024} KiB")
    return root


def with_database(url: str, database: str, scheme: str | None = None) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(
        (scheme or parts.scheme, parts.netloc, "/" + database, parts.query, "")
    )


def psql(admin_url: str, sql: str) -> None:
    run(["psql", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-d", admin_url, "-c", sql])


def make_postgres(
    version: str, python: Path, script: Path, out: Path, work: Path, server: str
) -> Path:
    dump = out / f"mlflow-{version}.postgresql.sql"
    expected = out / f"{dump.name}.expected.json"
    remove_path(dump)
    remove_path(expected)
    database = "lossboard_fixture_" + version.replace(".", "_")
    admin = with_database(server, POSTGRES_ADMIN_DB)
    psql(admin, f'DROP DATABASE IF EXISTS "{database}"')
    psql(admin, f'CREATE DATABASE "{database}"')
    try:
        uri = with_database(server, database, scheme="postgresql+psycopg2")
        write_with(python, script, uri, "postgresql", expected, work / f"scratch-{version}")
        run(
            ["pg_dump", "--no-owner", "--no-acl", "--format=plain", "--file", str(dump)]
            + ["--dbname", with_database(server, database)]
        )
    finally:
        psql(admin, f'DROP DATABASE IF EXISTS "{database}"')
    log(f"{dump.name}: {dump.stat().st_size // 1024} KiB")
    return dump


def mariadb_client_args(url: str) -> list[str]:
    """Connection options for the mariadb/mariadb-dump clients from a ``mysql+pymysql://`` URL."""
    parts = urllib.parse.urlsplit(url)
    args = ["--protocol=TCP", "-h", parts.hostname or "127.0.0.1", "-P", str(parts.port or 3306)]
    if parts.username:
        args += ["-u", urllib.parse.unquote(parts.username)]
    if parts.password:
        args.append("--password=" + urllib.parse.unquote(parts.password))
    return args


def mariadb(server: str, sql: str) -> None:
    run(["mariadb", *mariadb_client_args(server), "--batch", "-e", sql])


def make_mariadb(
    version: str, python: Path, script: Path, out: Path, work: Path, server: str
) -> Path:
    dump = out / f"mlflow-{version}.mariadb.sql"
    expected = out / f"{dump.name}.expected.json"
    remove_path(dump)
    remove_path(expected)
    database = "lossboard_fixture_" + version.replace(".", "_")
    mariadb(server, f"DROP DATABASE IF EXISTS `{database}`")
    mariadb(server, f"CREATE DATABASE `{database}` {MARIADB_CHARSET}")
    try:
        uri = with_database(server, database)
        write_with(python, script, uri, "mariadb", expected, work / f"scratch-{version}")
        # the database is named as an argument, not with --databases: no CREATE DATABASE/USE
        run(["mariadb-dump", *mariadb_client_args(server), *MARIADB_DUMP_OPTIONS,
             f"--result-file={dump}", database])
        # 10.11.8+ starts with a sandbox-mode line that MySQL's own client cannot parse, and
        # 3.x's trigger names the account that made it: left out, it is made by the restorer's
        lines = dump.read_bytes().splitlines(keepends=True)
        text = b"".join(line for line in lines if not line.startswith(b"/*M!999999"))
        dump.write_bytes(re.sub(rb"/\*!50017 DEFINER=\S+\*/ ", b"", text))
    finally:
        mariadb(server, f"DROP DATABASE IF EXISTS `{database}`")
    log(f"{dump.name}: {dump.stat().st_size // 1024} KiB")
    return dump


def stores_for(
    version: str, versions: list[str], postgres: bool, mariadb: bool, only: list[str]
) -> list[str]:
    oldest_2x = min((v for v in versions if v.startswith("2.")), key=version_key, default=None)
    kinds = ["sqlite"]
    if version in FILE_STORE_VERSIONS or version == oldest_2x:
        kinds.append("file")
    if postgres and version in POSTGRES_VERSIONS:
        kinds.append("postgresql")
    if mariadb and version in MARIADB_VERSIONS:
        kinds.append("mariadb")
    return [kind for kind in kinds if not only or kind in only]


def parent_main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    out: Path = args.out.resolve()
    work: Path = args.work.resolve()
    if REPO in work.parents or work == REPO:
        raise SystemExit(f"--work must be outside the repository: {work}")
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    # The children run a copy outside any git repository, so MLflow's source tags
    # (mlflow.source.name, no mlflow.source.git.commit) are the same on every machine and run.
    script = work / Path(__file__).name
    shutil.copyfile(__file__, script)
    only: list[str] = args.only or []
    postgres = not args.no_postgres and (not only or "postgresql" in only)
    if postgres and not (shutil.which("psql") and shutil.which("pg_dump")):
        raise SystemExit("psql/pg_dump not found: install postgresql-client or pass --no-postgres")
    maria = not args.no_mariadb and (not only or "mariadb" in only)
    if maria and not (shutil.which("mariadb") and shutil.which("mariadb-dump")):
        raise SystemExit("mariadb/mariadb-dump not found: install mariadb-client or pass "
                         "--no-mariadb")
    made: list[Path] = []
    for version in args.versions:
        t0 = time.monotonic()
        kinds = stores_for(version, args.versions, postgres, maria, only)
        if not kinds:
            continue
        python = ensure_venv(version, work)
        for kind in kinds:
            if kind == "sqlite":
                made.append(make_sqlite(version, python, script, out, work))
            elif kind == "file":
                made.append(make_file_store(version, python, script, out, work))
            elif kind == "postgresql":
                made.append(make_postgres(version, python, script, out, work, args.postgres))
            else:
                made.append(make_mariadb(version, python, script, out, work, args.mariadb))
        log(f"{version}: done in {time.monotonic() - t0:.0f} s")
    total = 0
    for path in made:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        files.append(path.with_name(path.name + ".expected.json"))
        total += sum(p.stat().st_size for p in files)
    log(f"{len(made)} stores, {total / 1e6:.1f} MB with their expected files, in {out}")
    log(f"total {time.monotonic() - started:.0f} s")


# --------------------------------------------------------------------------------------------
# Child mode: runs inside a venv, uses only that MLflow release's public API
# --------------------------------------------------------------------------------------------


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


def child_main(args: argparse.Namespace) -> None:
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
    parser.add_argument("--versions", nargs="+", default=list(DEFAULT_VERSIONS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, no database")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL dumps")
    parser.add_argument("--mariadb", default=DEFAULT_MARIADB, help="server URL, no database")
    parser.add_argument("--no-mariadb", action="store_true", help="skip the MariaDB dumps")
    parser.add_argument("--only", nargs="+", choices=KINDS, help="write only these kinds of store")
    child = parser.add_argument_group("child mode (run inside a version's venv)")
    child.add_argument("--write-store", metavar="URI", help=argparse.SUPPRESS)
    child.add_argument("--kind", choices=KINDS, help=argparse.SUPPRESS)
    child.add_argument("--expected", type=Path, help=argparse.SUPPRESS)
    child.add_argument("--artifact-root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write_store:
        child_main(args)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
