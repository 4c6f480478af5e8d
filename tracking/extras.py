"""Which `lossboard[extra]` brings a missing driver: named in the error, not left to a
traceback. The SQL fast path reads PostgreSQL and SQLite with what every install has; writing
to a database store goes through MLflow's SQLAlchemy, which needs that database's driver."""

from __future__ import annotations

EXTRAS = {  # top-level module -> the extra that installs it
    "psycopg": "postgresql", "psycopg2": "postgresql",
    "pymysql": "mysql", "MySQLdb": "mysql", "connectorx": "mysql",
    "boto3": "s3", "botocore": "s3",
}


def missing_extra(error: BaseException, doing: str) -> str | None:
    """'<doing> needs <module>: pip install 'lossboard[<extra>]'' when `error` is the import of
    a module an extra brings (found anywhere in its chain of causes), else None."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ImportError):
            module = (seen.name or "").split(".")[0]
            if module in EXTRAS:
                return f"{doing} needs {module}: pip install 'lossboard[{EXTRAS[module]}]'"
        seen = seen.__cause__ or seen.__context__
    return None
