"""Calling a Dash callback the way the browser does: a POST to /_dash-update-component."""

from __future__ import annotations

from typing import Any

from dashboard import ids
from dashboard.review_panel import BUTTONS

Prop = tuple[str, str]
REVIEW_OUTPUTS = [(ids.REVIEW_MESSAGE, "children"), (ids.REVIEW_VERSION, "data")]
SHOW_OUTPUTS = [(ids.LOSS_CURVES, "figure"), (ids.ACCURACY_CURVES, "figure"),
                (ids.TRADEOFF, "figure"), (ids.CALIBRATION, "figure"),
                (ids.CALIBRATION_NOTES, "children"), (ids.RUNS_TABLE, "columnDefs"),
                (ids.RUNS_TABLE, "rowData"), (ids.LOSS_KEY, "options"),
                (ids.ACCURACY_KEY, "options"), (ids.LOSS_KEY, "placeholder"),
                (ids.ACCURACY_KEY, "placeholder"), (ids.VERDICT, "children"),
                (ids.MESSAGE, "children"), (ids.REFRESH, "disabled")]


def payload(outputs: list[Prop], inputs: list[tuple[str, str, Any]],
            state: list[tuple[str, str, Any]] | None = None, changed: str | None = None,
            ) -> dict[str, Any]:
    """The request body the browser sends for a callback."""
    named = [f"{i}.{p}" for i, p in outputs]
    specs = [{"id": i, "property": p} for i, p in outputs]
    single = len(outputs) == 1  # Dash's form for a callback with one (unlisted) Output
    return {
        "output": named[0] if single else ".." + "...".join(named) + "..",
        "outputs": specs[0] if single else specs,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state or []],
        "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"],
    }


def call(client: Any, outputs: list[Prop], inputs: list[tuple[str, str, Any]],
         state: list[tuple[str, str, Any]] | None = None, changed: str | None = None,
         ) -> dict[str, Any]:
    """The callback's answer as {"id.prop": value} (outputs it did not update are left out)."""
    response = client.post("/_dash-update-component",
                           json=payload(outputs, inputs, state, changed))
    assert response.status_code in (200, 204), response.data[:500]
    if response.status_code == 204:  # nothing updated
        return {}
    answer = response.get_json()["response"]
    return {f"{i}.{p}": answer[i][p] for i, p in outputs if i in answer and p in answer[i]}


def by_id(component: Any) -> dict[str, str]:
    """Component id -> its text, for every component with an id in a callback's answer."""
    found: dict[str, str] = {}
    if isinstance(component, list):
        for child in component:
            found |= by_id(child)
    elif isinstance(component, dict):
        props = component.get("props", {})
        if "id" in props:
            found[str(props["id"])] = text(props.get("children"))
        found |= by_id(props.get("children"))
    return found


def text(component: Any) -> str:
    """The words in a component tree, as a reader would see them (space-joined)."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list):
        return " ".join(filter(None, (text(child) for child in component)))
    if isinstance(component, dict):
        return text(component.get("props", {}).get("children"))
    return ""


SHOW_STATE = [(ids.URL, "search", "")]  # the link the page was opened with: its zoom


def show_inputs(experiment: object, objective: object = "loss", smoothing: object = 0,
                scale: Any = (), selected: Any = (), loss_key: object = None,
                accuracy_key: object = None, grouping: object = "runs",
                compared: Any = ()) -> list[tuple[str, str, Any]]:
    """The inputs of the page's main callback (`show`), as the page sends them."""
    return [(ids.EXPERIMENT, "value", experiment), (ids.OBJECTIVE, "value", objective),
            (ids.LOSS_KEY, "value", loss_key), (ids.ACCURACY_KEY, "value", accuracy_key),
            (ids.SELECTION, "data", list(selected)), (ids.SMOOTHING, "value", smoothing),
            (ids.LOSS_SCALE, "value", list(scale)), (ids.REFRESH, "n_intervals", None),
            (ids.REVIEW_VERSION, "data", 0), (ids.TRAIN_CURVES, "value", ["train"]),
            (ids.GROUPING, "value", grouping), (ids.COMPARED, "value", list(compared))]


def review_request(button: str, selected: list[str], *, experiment: object = "reviewed",
                   reason: object = "why", reviewer: object = "ana",
                   model: object = "iris") -> dict[str, Any]:
    """The review panel's request with `button` pressed, as the page builds it."""
    clicks = [(b, "n_clicks", 1 if b == button else None) for b in BUTTONS]
    state = [(ids.REVIEW_REASON, "value", reason), (ids.REVIEWER, "value", reviewer),
             (ids.MODEL_NAME, "value", model), (ids.MODEL_ALIAS, "value", "champion"),
             (ids.REVIEW_VERSION, "data", 0), (ids.EXPERIMENT, "value", experiment),
             (ids.OBJECTIVE, "value", "loss"), (ids.SELECTION, "data", selected),
             (ids.LOSS_KEY, "value", None), (ids.ACCURACY_KEY, "value", None),
             (ids.COMPARED, "value", [])]
    return {"inputs": clicks, "state": state, "changed": f"{button}.n_clicks"}


def press(client: Any, button: str, selected: list[str], **fields: object) -> str:
    """Press a review button for `selected` (see `review_request`); what the panel says."""
    answer = call(client, REVIEW_OUTPUTS, **review_request(button, selected, **fields))
    return str(answer.get(f"{ids.REVIEW_MESSAGE}.children", ""))
