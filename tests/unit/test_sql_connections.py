"""Quoting for the PostgreSQL fast path (round trips through a real server: integration)."""

from __future__ import annotations

import pytest

from tracking.sql_connections import dialect_of, postgres_literal


def test_postgres_literals_refuse_what_they_cannot_quote() -> None:
    assert postgres_literal("it's") == "E'it''s'"
    assert postgres_literal("a\\b") == "E'a\\\\b'"
    assert postgres_literal(7) == "7"
    for value, error in ((1.5, TypeError), (True, TypeError), (None, TypeError),
                         ("nul\0", ValueError)):
        with pytest.raises(error):
            postgres_literal(value)


def test_dialects_are_read_from_the_uri_scheme() -> None:
    assert dialect_of("sqlite:///mlflow.db") == "sqlite"
    assert dialect_of("postgresql+psycopg2://u@h/db") == "postgresql"
    assert dialect_of("mysql+pymysql://root@127.0.0.1/db") == "mysql"
    assert dialect_of("http://127.0.0.1:5000") is None
    assert dialect_of("file:///tmp/mlruns") is None
