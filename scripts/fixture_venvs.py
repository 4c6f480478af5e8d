"""How each MLflow release is installed in a throwaway venv for the store fixtures, with the pins
checked to work together on Python 3.11 (see scripts/make_store_fixtures.py)."""

from __future__ import annotations

from dataclasses import dataclass


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
