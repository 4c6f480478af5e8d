"""The review, exported: one standalone HTML file (plotly.js and figures inside, works offline)
and the runs table as CSV. Every name and value is escaped: the file builds no markup from runs."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import plotly.io as pio

from analysis import frames as f
from analysis.report import Comparison, compare
from dashboard.plot_json import Figure
from dashboard.state import ViewState
from dashboard.table import RUN_COLUMNS, WHOLE_FIELDS
from dashboard.verdict_text import EVIDENCE_COLUMNS, group_frame, group_lines, interval, run_lines
from dashboard.views import View, bounded_wait
from tracking.predictions import with_predictions
from tracking.reader import ReaderError, RunReader, read_together

STYLE = ("body{font-family:system-ui,sans-serif;margin:24px}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}th{background:#f3f3f3}")


def _figures(figures: list[Figure]) -> str:
    """The first figure carries plotly.js itself (~4.5 MB), so the file needs no network."""
    return "".join(pio.to_html(figure, full_html=False, include_plotlyjs=(i == 0),
                               config={"displaylogo": False})
                   for i, figure in enumerate(figures))


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_text(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def runs_frame(view: View) -> pd.DataFrame:
    """The table as shown, with readable headers, run id last."""
    titles = {field: title for field, title, _ in RUN_COLUMNS}
    frame = pd.DataFrame(view.rows).drop(columns="colour", errors="ignore")
    whole = [c for c in WHOLE_FIELDS if c in frame]  # epochs as 60, not 60.0000
    frame[whole] = frame[whole].astype("Float64").round().astype("Int64")
    ordered = [c for c in frame.columns if c != f.RUN_ID] + [f.RUN_ID]
    return frame[ordered].rename(columns=lambda c: titles.get(c, c.removeprefix("params.")))


def evidence(reader: RunReader, state: ViewState) -> Comparison | str:
    """The comparison with every logged prediction (the page draws without them): seed groups,
    paired tests and confident mistakes, for the export; why not, when the store fails."""
    try:
        with bounded_wait():
            data = read_together(reader, state.experiments)
            logged = with_predictions(data.runs)
            found = reader.predictions(logged) if not logged.empty else {}
    except ReaderError as error:
        return f"The evidence could not be read: {error}"
    return compare(data.runs, data.history, loss_key=state.loss_key,
                   accuracy_key=state.accuracy_key, predictions=found)


def _evidence_html(comparison: Comparison | str | None) -> str:
    """Is the difference real? The seed groups, the verdict lines and each run's uncertainty."""
    if not isinstance(comparison, Comparison):
        return f"<p>{html.escape(comparison)}</p>" if comparison else ""
    lines = "".join(f"<li>{html.escape(line)}</li>"
                    for line in [*group_lines(comparison), *run_lines(comparison, [])])
    groups = group_frame(comparison)
    names = groups.set_index("group")["name"] if len(groups) else pd.Series(dtype=object)
    runs = comparison.table[EVIDENCE_COLUMNS].assign(  # a group by its name, not its id
        **{f.ACCURACY_CI: comparison.table[f.ACCURACY_CI].map(interval),
           f.GROUP: comparison.table[f.GROUP].map(names)})
    groups = groups.drop(columns="group", errors="ignore")
    return ("<h2>Is the difference real?</h2>"
            + (f"<h3>Seed groups (mean ± standard deviation over seeds)</h3>{_table(groups)}"
               if len(groups) else "<p>No seed groups: every run is its own configuration.</p>")
            + f"<ul>{lines}</ul><h3>Uncertainty and confident mistakes per run</h3>"
            + _table(runs))


def review_html(view: View, state: ViewState, store: str,
                comparison: Comparison | str | None = None) -> str:
    """The review as one offline HTML file; with `comparison` (see `evidence`), its evidence
    (or why there is none)."""
    runs = runs_frame(view)
    reviewed = runs[runs["review"].notna()] if "review" in runs else runs.iloc[0:0]
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in view.calibration_notes)
    verdict = "".join(f"<li>{html.escape(line)}</li>"
                      for line in (view.verdict.lines() if view.verdict else []))
    title = html.escape(f"Lossboard review: {state.experiment}")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>"
        f"<p>Exported {stamp} from {html.escape(store)}. Objective: "
        f"{html.escape(state.objective)}. {html.escape(view.recommendation)}</p>"
        f"<h2>Verdict</h2><ul>{verdict}</ul>"
        f"<h2>Reviewed runs</h2>{_table(reviewed) if len(reviewed) else '<p>None yet.</p>'}"
        f"<h2>Curves, trade-off and calibration</h2>"
        f"{_figures([view.loss, view.accuracy, view.tradeoff, view.calibration])}"
        f"<ul>{notes}</ul>{_evidence_html(comparison)}"
        f"<h2>All runs</h2>{_table(runs)}</body></html>")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula: one starting with = + - @, tab or
    carriage return gets a leading apostrophe (OWASP's CSV-injection advice). Numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def review_csv(view: View) -> str:
    """The runs table as CSV (RFC 4180's CRLF rows, so a field holding a lone CR is quoted),
    with every text cell, headers included, inert in spreadsheets."""
    frame = runs_frame(view).map(inert_cell)
    frame.columns = [inert_cell(c) for c in frame.columns]
    return frame.to_csv(index=False, lineterminator="\r\n")
