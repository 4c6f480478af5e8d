"""Parameters reach each real database exactly as given, however they are quoted on the way."""

from __future__ import annotations

import pytest

from tests.helpers.stores import fresh_mysql_uri, fresh_postgres_uri
from tracking.sql_connections import connect

AWKWARD = ["it's", "back\\slash", "\\'", "'; DROP TABLE runs; --", "100%", "what?", "ünï ☃",
           "$1", "E'x'", ""]


@pytest.mark.parametrize("fresh_uri", [fresh_postgres_uri, fresh_mysql_uri],
                         ids=["postgresql", "mysql"])
def test_strings_and_numbers_round_trip(fresh_uri) -> None:
    conn = connect(fresh_uri())
    try:
        for value in AWKWARD:
            assert conn.query("SELECT ? AS v, ? AS n", [value, 42])["v"].tolist() == [value]
        numbers = conn.query("SELECT ? + 1 AS n", [41])["n"].tolist()
        assert numbers == [42]
    finally:
        conn.close()
