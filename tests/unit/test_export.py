"""The CSV export is inert in spreadsheets: no cell from a run's name, params or tags runs."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from analysis import frames as f
from dashboard.export import inert_cell, review_csv
from dashboard.views import empty_view

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd",
           "\rcmd"]


def test_every_formula_start_gets_an_apostrophe() -> None:
    assert [inert_cell(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]


def test_numbers_and_plain_text_stay_as_they_are() -> None:
    assert [inert_cell(v) for v in (-0.5, 3, "mlp-128", "a=b", None)] == \
        [-0.5, 3, "mlp-128", "a=b", None]


def test_csv_cells_and_headers_are_neutralised_and_negative_numbers_are_kept() -> None:
    rows = [{f.RUN_ID: "r1", f.RUN_NAME: name, "params.=cmd": name, "delta": -0.25}
            for name in HOSTILE]
    view = replace(empty_view(""), rows=rows)
    rows = list(csv.reader(io.StringIO(review_csv(view), newline="")))
    assert "'=cmd" in rows[0] and "=cmd" not in rows[0]
    names = [row[rows[0].index("'=cmd")] for row in rows[1:]]
    assert names == ["'" + v for v in HOSTILE]
    assert all(row[rows[0].index("delta")] == "-0.25" for row in rows[1:])
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_the_evidence_section_escapes_run_and_group_names() -> None:
    from analysis.report import compare
    from dashboard.export import review_html
    from dashboard.state import ViewState
    from tests.unit.test_seed_groups import POINTS, RUNS

    hostile = RUNS.assign(**{f.RUN_NAME: "<b>bold</b>-" + RUNS[f.RUN_ID]})
    state = ViewState.from_inputs("e", "loss", [], None, None)[0]
    view = replace(empty_view(""), rows=[{f.RUN_ID: "wide-0", f.RUN_NAME: "&lt;b&gt;"}])
    page = review_html(view, state, "sqlite:///x.db", compare(hostile, POINTS))
    assert "<b>" not in page and "&lt;b&gt;bold&lt;/b&gt;-wide" in page
    assert "Across groups, if you care about loss: &lt;b&gt;bold&lt;/b&gt;-thin (3 seeds)" in page
    evidence = page.split("<h2>Is the difference real?</h2>")[1]  # after plotly.js's code
    assert "g-" not in evidence and "True" not in evidence  # no ids, no Python booleans
    assert "<td>&lt;b&gt;bold&lt;/b&gt;-thin</td>" in evidence  # each run's group, by name
    unread = review_html(view, state, "x", "The evidence could not be read: <gone>")
    assert "<p>The evidence could not be read: &lt;gone&gt;</p>" in unread


def test_whole_numbers_export_as_whole_numbers() -> None:
    from dashboard.export import runs_frame

    rows = [{f.RUN_ID: "r1", "colour": "#123456", f.EPOCHS: 60.0, f.BEST_LOSS_EPOCH: None,
             f.FINAL_LOSS: 0.25}]
    frame = runs_frame(replace(empty_view(""), rows=rows))
    assert "colour" not in frame  # the table's swatch, not a value
    assert review_csv(replace(empty_view(""), rows=rows)).splitlines()[1] == "60,,0.25,r1"
    assert frame["epochs trained"].tolist() == [60]
    from dashboard.table import RUN_COLUMNS, WHOLE_FIELDS  # every epoch column, however wide
    assert set(WHOLE_FIELDS) == {field for field, title, _ in RUN_COLUMNS
                                 if "epoch" in title or field == f.EPOCHS}
