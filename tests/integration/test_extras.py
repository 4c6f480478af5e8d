"""A driver an extra brings, missing on a real PostgreSQL store: the review and the logger say
which extra to install, in one line, and the SQL fast path reads without it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers.stores import EXPERIMENT, fresh_postgres_uri

pytestmark = pytest.mark.integration
WITHOUT_PSYCOPG = "import sys\nsys.modules['psycopg'] = sys.modules['psycopg2'] = None\n"
ROOT = __file__.rsplit("/tests/", 1)[0]


def python(code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh process (MLflow caches one store object per URI and process)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def postgres_store() -> str:
    uri = fresh_postgres_uri()
    made = python("from tests.helpers.stores import write_awkward_experiment\n"
                  f"write_awkward_experiment({uri!r})")
    assert made.returncode == 0, made.stderr[-2000:]
    return uri


def test_reading_needs_no_extra_and_a_review_names_the_postgresql_extra(
        postgres_store: str) -> None:
    done = python(WITHOUT_PSYCOPG + f"""
from tracking.open import open_reader
from tracking.review import ReviewError, ReviewWriter
runs = open_reader({postgres_store!r}).read({EXPERIMENT!r}).runs
print(len(runs))
try:
    ReviewWriter({postgres_store!r}).mark(runs["run_id"].iloc[0], "chosen", "why", "ana")
except ReviewError as error:
    print(error)
""")
    assert done.returncode == 0, done.stderr[-2000:]
    count, said = done.stdout.strip().splitlines()
    assert int(count) == 6
    assert said == ("writing reviews to postgresql needs psycopg: "
                    "pip install 'lossboard[postgresql]'")


def test_the_logger_names_the_postgresql_extra_and_keeps_the_points(
        postgres_store: str, tmp_path) -> None:
    done = python(WITHOUT_PSYCOPG + f"""
from pathlib import Path
from tracking import EpochLogger, TrackingSettings
settings = TrackingSettings({postgres_store!r}, spool_dir=Path({str(tmp_path)!r}),
                            flush_timeout=1)
with EpochLogger("driverless", "run", settings=settings) as run:
    run.log_epoch(1, val_loss=0.5, val_accuracy=0.7)
""")
    assert "pip install 'lossboard[postgresql]'" in done.stderr, done.stderr[-2000:]
    assert list(tmp_path.glob("*/run.json")), "the unsent points were not saved"
