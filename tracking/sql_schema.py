"""Which MLflow database stores the SQL fast path can read, judged by the store's own catalogue.

The queries in `tracking.sql_reader` read six tables and the columns in `READ_COLUMNS`; those
have stayed the same from MLflow 2.0 to 3.18, while the schema revision moved on with every
release (other tables). So a store is readable when its catalogue has those columns, whatever
its revision. The revision is still read, to say where a store stands against the installed
MLflow: a store at another revision must never be opened with MLflow's own `SqlAlchemyStore`,
which creates missing tables and migrates the schema (or, on a newer store, asks for a
`mlflow db upgrade` that cannot help).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import pandas as pd

READ_COLUMNS: Mapping[str, frozenset[str]] = {
    "experiments": frozenset({"experiment_id", "name", "lifecycle_stage"}),
    "runs": frozenset({"run_uuid", "name", "status", "start_time", "end_time", "experiment_id",
                       "lifecycle_stage", "artifact_uri", "user_id"}),
    "params": frozenset({"run_uuid", "key", "value"}),
    "tags": frozenset({"run_uuid", "key", "value"}),
    "latest_metrics": frozenset({"run_uuid", "key", "value", "timestamp", "step", "is_nan"}),
    "metrics": frozenset({"run_uuid", "key", "value", "timestamp", "step", "is_nan"}),
}
_TABLES = ", ".join(f"'{name}'" for name in (*READ_COLUMNS, "alembic_version"))
CATALOGUE_QUERIES = {  # (table_name, column_name) of the tables above, in the store's schema
    "sqlite": "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m "
              f"JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name IN ({_TABLES})",
    "postgresql": "SELECT table_name, column_name FROM information_schema.columns "
                  f"WHERE table_schema = current_schema() AND table_name IN ({_TABLES})",
    "mysql": "SELECT table_name AS table_name, column_name AS column_name "
             "FROM information_schema.columns "
             f"WHERE table_schema = DATABASE() AND table_name IN ({_TABLES})",
}
Query = Callable[[str], pd.DataFrame]


@dataclass(frozen=True)
class InstalledSchema:
    """The installed MLflow's migrations: its head revision and every revision it knows."""

    version: str
    head: str
    known: frozenset[str]


@dataclass(frozen=True)
class StoreSchema:
    """What a database's catalogue says: its revision and the read columns it lacks."""

    revision: str | None
    missing: tuple[str, ...]  # "table.column", sorted
    has_tables: bool  # False: no MLflow tracking tables at all

    def relation(self, installed: InstalledSchema) -> str:
        """'current', 'older', 'newer' or 'unknown' against the installed MLflow."""
        if self.revision is None:
            return "unknown"
        if self.revision == installed.head:
            return "current"
        return "older" if self.revision in installed.known else "newer"

    def describe(self, installed: InstalledSchema) -> str:
        """The store's revision in words, e.g. 'MLflow schema revision f4a9b2c7d1e6, newer
        than MLflow 3.17.2 knows (written by a newer MLflow)'."""
        where = {
            "current": f"this MLflow's own ({installed.version})",
            "older": f"older than this MLflow {installed.version}'s {installed.head}",
            "newer": f"newer than MLflow {installed.version} knows (written by a newer MLflow)",
            "unknown": "no revision recorded",
        }[self.relation(installed)]
        return f"MLflow schema revision {self.revision or '-'}, {where}"


def read_store_schema(query: Query, dialect: str) -> StoreSchema:
    """The catalogue's view of the store, by two read-only queries."""
    found = query(CATALOGUE_QUERIES[dialect])
    columns: dict[str, set[str]] = {}
    for table, column in zip(found["table_name"], found["column_name"], strict=True):
        columns.setdefault(str(table).lower(), set()).add(str(column).lower())
    revision = None
    if "alembic_version" in columns:
        versions = query("SELECT version_num FROM alembic_version")["version_num"]
        revision = str(versions.iloc[0]) if len(versions) else None
    missing = tuple(sorted(f"{table}.{column}" for table, wanted in READ_COLUMNS.items()
                           for column in wanted - columns.get(table, set())))
    return StoreSchema(revision, missing, has_tables=bool(set(columns) & set(READ_COLUMNS)))


_REVISION = re.compile(r'^revision\s*=\s*["\'](\w+)["\']', re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)


@cache
def installed_schema() -> InstalledSchema:
    """Read from the migration scripts MLflow ships, as text: importing MLflow (and alembic's
    loading of every script) costs about two seconds the SQL fast path otherwise never pays."""
    spec = find_spec("mlflow")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("MLflow is not installed")
    package = Path(next(iter(spec.submodule_search_locations)))
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (package / "store" / "db_migrations" / "versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        if found := _REVISION.search(text):
            revisions.add(found.group(1))
            down = _DOWN.search(text)
            parents.update(re.findall(r"[\"'](\w+)[\"']", down.group(1)) if down else [])
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"MLflow's migrations have {len(heads)} heads: {sorted(heads)}")
    return InstalledSchema(_mlflow_version(package), heads.pop(), frozenset(revisions))


def _mlflow_version(package: Path) -> str:
    """`mlflow.__version__`, from the file that defines it."""
    found = re.search(r'^VERSION = "([^"]+)"', (package / "version.py").read_text(), re.MULTILINE)
    return found.group(1) if found else "?"
