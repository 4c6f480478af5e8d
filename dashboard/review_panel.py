"""The review panel: mark the selected runs chosen, shortlisted or rejected with a reason,
clear, promote, export. Review statuses are MLflow tags, apart from the page's selection.

The actions check what the browser sent (run ids of this experiment, text of sane length) before
anything is written; the writer is `tracking.review.ReviewWriter`."""

from __future__ import annotations

from typing import Protocol

from dash import dcc, html

from analysis import frames as f
from analysis.seed_groups import is_group_id
from dashboard import ids
from dashboard.auth import User
from dashboard.state import ViewState
from tracking import keys
from tracking.reader import ReaderError, RunReader

ROW = {"display": "flex", "gap": "12px", "alignItems": "center", "flexWrap": "wrap"}
FIELD = {"width": "220px"}
NAMED = 3  # runs named in a message; past that, how many more
MARKS = dict(zip((ids.CHOOSE, ids.SHORTLIST, ids.REJECT), keys.REVIEW_STATUSES, strict=True))
BUTTONS = (*MARKS, ids.CLEAR, ids.PROMOTE)  # every button that writes


class Reviews(Protocol):
    def mark(self, run_id: str, status: str, reason: str, reviewer: str) -> None: ...

    def clear(self, run_id: str) -> None: ...

    def promote(self, run_id: str, model_name: str, alias: str = ...) -> object: ...


def review_panel(user: User | None) -> html.Div:
    """The panel; with sign-in on (`user` given) the reviewer is the signed-in name, and a
    viewer's write buttons are disabled (the callback refuses them anyway)."""
    viewer = user is not None and not user.may_review
    return html.Div([
        html.H2("Review", style={"fontSize": "1.2em"}),
        html.P("Acts on the selected runs. Choose, shortlist or reject writes MLflow tags "
               "lossboard.review.* (status, reason, reviewer, time), shown in the table's review "
               "column; promoting registers the run's logged model and points an alias at it."
               + (" Viewers can export; only reviewers can mark, clear or promote."
                  if viewer else "")),
        html.P("Nothing selected: tick runs in the table or click points on the scatter.",
               id=ids.REVIEW_TARGETS, style={"fontWeight": 500}),  # filled in the browser
        html.Div([
            dcc.Textarea(id=ids.REVIEW_REASON, placeholder="why (required to choose, shortlist "
                         "or reject)", style={"width": "420px", "height": "48px"},
                         maxLength=5000),
            dcc.Input(id=ids.REVIEWER, value=user.name if user else "", placeholder="reviewer",
                      maxLength=250, style=FIELD, disabled=user is not None),
            *(html.Button(label, id=button, disabled=viewer) for button, label in
              ((ids.CHOOSE, "Choose"), (ids.SHORTLIST, "Shortlist"), (ids.REJECT, "Reject"))),
            html.Button("Clear review", id=ids.CLEAR, disabled=viewer),
        ], style=ROW),
        html.Div([
            dcc.Input(id=ids.MODEL_NAME, placeholder="registered model name", maxLength=256,
                      style=FIELD),
            dcc.Input(id=ids.MODEL_ALIAS, value=keys.DEFAULT_ALIAS, maxLength=255, style=FIELD),
            html.Button("Promote", id=ids.PROMOTE, disabled=viewer),
            html.Button("Export HTML", id=ids.EXPORT_HTML),
            html.Button("Export CSV", id=ids.EXPORT_CSV),
        ], style={**ROW, "marginTop": "8px"}),
        dcc.Loading(html.Div(id=ids.REVIEW_MESSAGE, role="status", style={"marginTop": "8px"}),
                    delay_show=300),  # promoting can take seconds
        dcc.Store(id=ids.REVIEW_VERSION, data=0),
        dcc.Download(id=ids.DOWNLOAD_HTML), dcc.Download(id=ids.DOWNLOAD_CSV),
    ])


def refusal(user: User | None, sign_in: bool) -> str | None:
    """Why this request may not mark, clear or promote; None when it may (sign-in off, or a
    reviewer signed in)."""
    if not sign_in or (user is not None and user.may_review):
        return None
    who = f"Signed in as {user.name} ({user.role})" if user else "Not signed in"
    return f"{who}: only reviewers can mark, clear or promote runs; nothing was written."


def act(action: object, reviews: Reviews, reader: RunReader, state: ViewState,
        text: dict[str, object]) -> str:
    """Do `action` (a button id) for the selected runs of the state's experiment; say what
    happened, or why nothing did."""
    if not state.selected or state.experiment is None:
        return "Select a run first (in the table or on the scatter)."
    try:
        known = {run: name if isinstance(name, str) else run
                 for experiment in state.experiments
                 for run, name in reader.read_runs(experiment).runs[[f.RUN_ID, f.RUN_NAME]]
                 .itertuples(index=False)}
    except ReaderError as error:
        return str(error)
    if any(is_group_id(r) for r in set(state.selected) - known.keys()):
        return ("Reviews mark runs, not seed groups: open the group in the table (click its "
                "name) and tick its runs; nothing was written.")
    if not set(state.selected) <= known.keys():
        return ("The selection holds runs that are not in the experiments shown; nothing was "
                "written.")
    try:
        return _do(action, reviews, state.selected, text, named([known[r] for r in state.selected]))
    except ReaderError as error:  # tracking.review.ReviewError is one
        return str(error)


def named(names: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`, `a, b, c and 4 more`."""
    shown = names[:NAMED] + ([f"{len(names) - NAMED} more"] if len(names) > NAMED else [])
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _do(action: object, reviews: Reviews, selected: tuple[str, ...],
        text: dict[str, object], which: str) -> str:
    """Do `action` for the `selected` runs (`which`: them, named); what happened."""
    reason, reviewer, model, alias = (str(text.get(k) or "") for k in
                                      ("reason", "reviewer", "model", "alias"))
    if action in MARKS:
        for run_id in selected:
            reviews.mark(run_id, MARKS[action], reason, reviewer)
        return f"Marked {which} {MARKS[action]}."
    if action == ids.CLEAR:
        for run_id in selected:
            reviews.clear(run_id)
        return f"Cleared the review of {which}."
    if action == ids.PROMOTE:
        if len(selected) != 1:
            return "Promote one run at a time: select exactly one."
        promotion = reviews.promote(selected[0], model.strip(), alias.strip() or keys.DEFAULT_ALIAS)
        return f"Registered {promotion}."
    return "Unknown action."
