"""
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

What each release did differently, and how to restore the dumps: tests/fixtures/stores/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.fixture_venvs import install_for, version_key  # noqa: E402

CHILD_FILES = ("__init__.py", "fixture_content.py", "fixture_writer.py")  # copied for the venvs
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
    python: Path, child: Path, uri: str, kind: str, expected: Path, scratch: Path
) -> None:
    """Have the venv's MLflow write the fixture content to ``uri`` and its readback to expected;
    ``child`` is the folder holding the copy of the child's `scripts` package."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    cmd = [str(python), "-m", "scripts.fixture_writer", "--write-store", uri, "--kind", kind]
    cmd += ["--expected", str(expected), "--artifact-root", str(scratch / "artifacts")]
    result = run(cmd, cwd=scratch, env={**child_env(), "PYTHONPATH": str(child)})
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


def make_sqlite(version: str, python: Path, child: Path, out: Path, work: Path) -> Path:
    db = out / f"mlflow-{version}.db"
    expected = out / f"{db.name}.expected.json"
    for stale in (db, expected, db.with_name(db.name + "-journal")):
        remove_path(stale)
    write_with(python, child, f"sqlite:///{db}", "sqlite", expected, work / f"scratch-{version}")
    conn = sqlite3.connect(db)
    try:  # 1 KiB pages: 3.x's 71 mostly empty tables and their indexes take a page each
        conn.execute("PRAGMA page_size = 1024")
        conn.execute("VACUUM")
    finally:
        conn.close()
    log(f"{db.name}: {sqlite_summary(db)}, {db.stat().st_size // 1024} KiB")
    return db


def make_file_store(version: str, python: Path, child: Path, out: Path, work: Path) -> Path:
    root = out / f"mlruns-{version}"
    expected = out / f"{root.name}.expected.json"
    remove_path(root)
    remove_path(expected)
    write_with(python, child, root.as_uri(), "file", expected, work / f"scratch-{version}")
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    count = sum(1 for p in root.rglob("*") if p.is_file())
    log(f"{root.name}/: {count} files, {size // 1024} KiB")
    return root


def with_database(url: str, database: str, scheme: str | None = None) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(
        (scheme or parts.scheme, parts.netloc, "/" + database, parts.query, "")
    )


def dump_outputs(out: Path, version: str, kind: str) -> tuple[Path, Path, str]:
    """A database store's dump and expected file (old ones removed), and its database's name."""
    dump = out / f"mlflow-{version}.{kind}.sql"
    expected = out / f"{dump.name}.expected.json"
    remove_path(dump)
    remove_path(expected)
    return dump, expected, "lossboard_fixture_" + version.replace(".", "_")


def psql(admin_url: str, sql: str) -> None:
    run(["psql", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-d", admin_url, "-c", sql])


def make_postgres(
    version: str, python: Path, child: Path, out: Path, work: Path, server: str
) -> Path:
    dump, expected, database = dump_outputs(out, version, "postgresql")
    admin = with_database(server, POSTGRES_ADMIN_DB)
    psql(admin, f'DROP DATABASE IF EXISTS "{database}"')
    psql(admin, f'CREATE DATABASE "{database}"')
    try:
        uri = with_database(server, database, scheme="postgresql+psycopg2")
        write_with(python, child, uri, "postgresql", expected, work / f"scratch-{version}")
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
    version: str, python: Path, child: Path, out: Path, work: Path, server: str
) -> Path:
    dump, expected, database = dump_outputs(out, version, "mariadb")
    mariadb(server, f"DROP DATABASE IF EXISTS `{database}`")
    mariadb(server, f"CREATE DATABASE `{database}` {MARIADB_CHARSET}")
    try:
        uri = with_database(server, database)
        write_with(python, child, uri, "mariadb", expected, work / f"scratch-{version}")
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
    child = work / "child"
    (child / "scripts").mkdir(parents=True, exist_ok=True)
    for name in CHILD_FILES:
        shutil.copyfile(REPO / "scripts" / name, child / "scripts" / name)
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
                made.append(make_sqlite(version, python, child, out, work))
            elif kind == "file":
                made.append(make_file_store(version, python, child, out, work))
            elif kind == "postgresql":
                made.append(make_postgres(version, python, child, out, work, args.postgres))
            else:
                made.append(make_mariadb(version, python, child, out, work, args.mariadb))
        log(f"{version}: done in {time.monotonic() - t0:.0f} s")
    total = 0
    for path in made:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        files.append(path.with_name(path.name + ".expected.json"))
        total += sum(p.stat().st_size for p in files)
    log(f"{len(made)} stores, {total / 1e6:.1f} MB with their expected files, in {out}")
    log(f"total {time.monotonic() - started:.0f} s")


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
    parent_main(parser.parse_args(argv))


if __name__ == "__main__":
    main()
