"""Callbacks of the review panel: act on the selection, export what the page shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update

from dashboard import ids
from dashboard.auth import current_user
from dashboard.comparisons import ComparisonCache
from dashboard.export import evidence, review_csv, review_html
from dashboard.review_panel import BUTTONS, Reviews, act, refusal
from dashboard.state import ViewState
from dashboard.views import bounded_wait, experiment_view
from tracking.reader import RunReader

STATE = [State(ids.EXPERIMENT, "value"), State(ids.OBJECTIVE, "value"),
         State(ids.SELECTION, "data"), State(ids.LOSS_KEY, "value"),
         State(ids.ACCURACY_KEY, "value"), State(ids.COMPARED, "value")]


def register(app: Dash, reader: RunReader, reviews: Callable[[], Reviews], store: str,
             comparisons: ComparisonCache, sign_in: bool = False) -> None:
    """The review and export callbacks; with `sign_in`, only reviewers write, as themselves."""
    app.clientside_callback(  # type: ignore[no-untyped-call]  # names the selection (review.js)
        ClientsideFunction("lossboard", "reviewTargets"), Output(ids.REVIEW_TARGETS, "children"),
        Input(ids.SELECTION, "data"), Input(ids.RUNS_TABLE, "rowData"))

    @app.callback(
        output={"said": Output(ids.REVIEW_MESSAGE, "children"),
                "version": Output(ids.REVIEW_VERSION, "data")},
        inputs={"clicks": [Input(button, "n_clicks") for button in BUTTONS],
                "text": {"reason": State(ids.REVIEW_REASON, "value"),
                         "reviewer": State(ids.REVIEWER, "value"),
                         "model": State(ids.MODEL_NAME, "value"),
                         "alias": State(ids.MODEL_ALIAS, "value")},
                "version": State(ids.REVIEW_VERSION, "data"), "controls": STATE},
        prevent_initial_call=True)
    def review(clicks: Any, text: dict[str, Any], version: Any,  # noqa: ARG001 (the button
               controls: list[Any]) -> dict[str, Any]:  # pressed is ctx.triggered_id)
        user = current_user()
        refused = refusal(user, sign_in)
        if refused:  # checked on the server: a forged request gets no further than this
            return {"said": refused, "version": no_update}
        state, problem = ViewState.from_inputs(*controls)
        if user:
            text = text | {"reviewer": user.name}
        if problem or not all(v is None or isinstance(v, str) for v in text.values()):
            return {"said": problem or "Review fields must be text.", "version": no_update}
        with bounded_wait():
            said = act(ctx.triggered_id, reviews(), reader, state, text)
        return {"said": said, "version": (version if isinstance(version, int) else 0) + 1}

    @app.callback(Output(ids.DOWNLOAD_HTML, "data"), Output(ids.DOWNLOAD_CSV, "data"),
                  Output(ids.REVIEW_MESSAGE, "children", allow_duplicate=True),
                  Input(ids.EXPORT_HTML, "n_clicks"), Input(ids.EXPORT_CSV, "n_clicks"), *STATE,
                  prevent_initial_call=True)
    def export(_html: Any, _csv: Any, *controls: Any) -> tuple[Any, Any, str]:
        state, problem = ViewState.from_inputs(*controls)
        view = None if problem else experiment_view(reader, state, comparisons=comparisons)
        if view is None or view.message:
            return no_update, no_update, problem or (view.message if view else "")
        name = "lossboard-review-" + "".join(c if c.isalnum() or c in "-_." else "_"
                                             for c in state.experiment or "")
        if ctx.triggered_id == ids.EXPORT_CSV:
            return no_update, download(review_csv(view), f"{name}.csv"), "Exported as CSV."
        page = review_html(view, state, store, evidence(reader, state))
        return download(page, f"{name}.html"), no_update, \
            "Exported as HTML (opens offline: plotly.js is inside)."


def download(text: str, filename: str) -> dict[str, Any]:
    """What dcc.Download saves as a file."""
    return {"content": text, "filename": filename, "base64": False}
