"""What the page shows, as a value: read from and written to the URL, changed by clicks.

Everything here comes from the browser (a pasted link, a forged request), so each part is checked
and a bad part is dropped, never trusted: the page then opens as if it had not been given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from analysis import frames as f
from analysis.tradeoff import OBJECTIVES
from dashboard import ids
from dashboard.zoom import Zoom, without, zoom_from_query, zoom_query

MAX_TEXT = 500
MAX_SELECTED = 1000
MAX_SMOOTHING = 0.95
MAX_COMPARED = 20  # experiments compared beside the picked one
RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class ViewState:
    experiment: str | None = None
    objective: str = "loss"
    selected: tuple[str, ...] = ()  # run ids, in the order they were picked
    loss_key: str | None = None  # None: found automatically
    accuracy_key: str | None = None
    smoothing: float = 0.0  # the curves' exponential smoothing, 0 to MAX_SMOOTHING
    log_loss: bool = False
    train: bool = True  # train curves drawn beside the validation ones
    grouped: bool = False  # one line, point and row per seed group rather than per run
    zoom: Zoom = ()  # each chart's axis ranges the user zoomed to (dashboard.zoom)
    compared: tuple[str, ...] = ()  # other experiments whose runs are compared with these
    param: str | None = None  # the param-effect view's param (None: the one that explains most)

    @property
    def experiments(self) -> tuple[str, ...]:
        """Every experiment shown: the picked one first."""
        picked = (self.experiment,) if self.experiment else ()
        return tuple(dict.fromkeys((*picked, *self.compared)))

    def to_query(self) -> str:
        """`?experiment=...&objective=...`: only what differs from a fresh page."""
        parts = {"experiment": self.experiment, "objective": self.objective,
                 "selected": ",".join(self.selected), "loss_key": self.loss_key,
                 "accuracy_key": self.accuracy_key,
                 "smoothing": f"{self.smoothing:g}" if self.smoothing else "",
                 "scale": "log" if self.log_loss else "", "train": "" if self.train else "off",
                 "view": "groups" if self.grouped else "",
                 "param": self.param, **zoom_query(self.zoom),
                 "compare": list(self.compared)}
        kept = {k: v for k, v in parts.items() if v and not (k == "objective" and v == "loss")}
        return "?" + urlencode(kept, doseq=True) if kept else ""

    def with_controls(self, smoothing: object, scale: object, train: object,
                      grouping: object = "runs") -> ViewState:
        """The view controls' values (a slider, two checklists, the runs/groups switch) taken
        in where valid."""
        return replace(self, smoothing=smoothing_or_none(smoothing) or 0.0,
                       log_loss=isinstance(scale, list) and "log" in scale,
                       train=not isinstance(train, list) or "train" in train,
                       grouped=grouping == "groups")

    def controls(self) -> tuple[float, list[str], list[str], str]:
        """The slider's, the checklists' and the switch's values for this state."""
        return (self.smoothing, ["log"] if self.log_loss else [],
                ["train"] if self.train else [], "groups" if self.grouped else "runs")

    @classmethod
    def from_query(cls, search: object) -> ViewState:
        query = parse_qs(search.lstrip("?")) if isinstance(search, str) else {}
        first = {k: v[0] for k, v in query.items() if v}
        objective = first.get("objective", "loss")
        return cls(experiment=text_or_none(first.get("experiment")),
                   objective=objective if objective in OBJECTIVES else "loss",
                   selected=run_ids(first.get("selected", "").split(",")),
                   loss_key=text_or_none(first.get("loss_key")),
                   accuracy_key=text_or_none(first.get("accuracy_key")),
                   smoothing=smoothing_or_none(first.get("smoothing")) or 0.0,
                   log_loss=first.get("scale") == "log", train=first.get("train") != "off",
                   grouped=first.get("view") == "groups",
                   compared=experiment_names(query.get("compare", [])),
                   param=text_or_none(first.get("param")),
                   zoom=zoom_from_query(first))

    @classmethod
    def from_inputs(cls, experiment: object, objective: object, selected: object = (),
                    loss_key: object = None, accuracy_key: object = None,
                    compared: object = ()) -> tuple[ViewState, str]:
        """The state the controls hold, and why it cannot be shown ("" if it can)."""
        state = cls(text_or_none(experiment), objective if objective in OBJECTIVES else "loss",
                    run_ids(selected), text_or_none(loss_key), text_or_none(accuracy_key),
                    compared=tuple(n for n in experiment_names(compared) if n != experiment))
        if experiment is None or experiment == "":
            return state, "Pick an experiment."
        if state.experiment is None:
            return state, "That is not an experiment name."
        if objective not in OBJECTIVES:
            return state, "The objective must be loss or accuracy."
        return state, ""

    def toggled(self, run_id: object) -> ViewState:
        """`run_id` added to the selection, or taken out if it was in."""
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            return self
        if run_id in self.selected:
            return replace(self, selected=tuple(r for r in self.selected if r != run_id))
        return replace(self, selected=(*self.selected, run_id)[-MAX_SELECTED:])


def text_or_none(value: object) -> str | None:
    """A name from the browser, or None if it is missing, not text, or absurdly long."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_TEXT else None


def experiment_names(values: object) -> tuple[str, ...]:
    """Experiment names from a list the browser sent, duplicates and junk dropped."""
    if not isinstance(values, list | tuple):
        return ()
    return tuple(dict.fromkeys(v for v in values if text_or_none(v)))[:MAX_COMPARED]


def smoothing_or_none(value: object) -> float | None:
    """A smoothing factor from the browser (a number, or a link's text), if it is one."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= MAX_SMOOTHING else None


def run_ids(values: object) -> tuple[str, ...]:
    """Well-formed run ids from a list the browser sent, duplicates dropped, order kept."""
    if not isinstance(values, list | tuple):
        return ()
    valid = [v for v in values if isinstance(v, str) and RUN_ID.fullmatch(v)]
    return tuple(dict.fromkeys(valid))[:MAX_SELECTED]


def clicked_run(click: object) -> str | None:
    """The run id behind a click on the trade-off scatter (its points carry it as customdata)."""
    try:
        run_id = click["points"][0]["customdata"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return None
    return run_id if isinstance(run_id, str) else None


def clicked_name(click: object) -> str | None:
    """The row id behind a click on a name in the runs table (the grid's cellClicked)."""
    if not isinstance(click, dict) or click.get("colId") != f.RUN_NAME:
        return None
    row = click.get("rowId")
    return row if isinstance(row, str) and RUN_ID.fullmatch(row) else None


def checked_link(state: ViewState, known: list[str], fallback: str | None
                 ) -> tuple[ViewState, str]:
    """A linked state naming experiments the store does not have: the rest kept, an unknown
    picked experiment replaced by `fallback`, unknown compared ones dropped, and what to say
    about it ("" when the link holds no such name)."""
    notes = []
    if state.experiment is not None and state.experiment not in known:
        notes.append(f"This link names the experiment {state.experiment!r}, which this store "
                     "does not have" + (f"; showing {fallback!r} instead." if fallback else "."))
        state = replace(state, experiment=fallback, selected=())
    missing = [name for name in state.compared if name not in known]
    if missing:
        notes.append("This link compares with experiment(s) this store does not have: "
                     + ", ".join(map(repr, missing)) + "; left out.")
        state = replace(state, compared=tuple(n for n in state.compared if n in known))
    return state, " ".join(notes)


def option_names(options: object) -> list[str]:
    """The names a dropdown offers (plain strings or {"label", "value"} options)."""
    if not isinstance(options, list):
        return []
    values = [o.get("value") if isinstance(o, dict) else o for o in options]
    return [v for v in values if isinstance(v, str)]


def next_state(current: ViewState, trigger: object, search: object,
               event: object = None) -> ViewState:
    """The state after `trigger` (a component id) fired; `event` is what it sent: the grid's
    selected rows, a scatter click or the param picked."""
    if trigger is None or trigger == ids.URL:  # page load, or back/forward in the browser
        linked = ViewState.from_query(search)
        return linked if linked.experiment else replace(linked, experiment=current.experiment)
    if trigger == ids.LOSS_SCALE:  # a log range means nothing on a linear axis, and back
        return replace(current, zoom=without(current.zoom, ("loss_y",)))
    if trigger in (ids.LOSS_KEY, ids.ACCURACY_KEY, ids.COMPARED):  # other values or runs:
        return replace(current, zoom=())  # every panel rescales
    if trigger == ids.EXPERIMENT:  # a new experiment: a new selection, the same way of looking
        return ViewState(current.experiment, current.objective, smoothing=current.smoothing,
                         log_loss=current.log_loss, train=current.train,
                         grouped=current.grouped, compared=current.compared,
                         param=current.param)

    if trigger == ids.RUNS_TABLE:
        rows = event if isinstance(event, list) else []
        return replace(current, selected=run_ids(
            [r.get(f.RUN_ID) for r in rows if isinstance(r, dict)]))
    if trigger == ids.TRADEOFF:
        return current.toggled(clicked_run(event))
    if trigger == ids.PARAM:  # picked, or cleared: the first param that differs
        return replace(current, param=text_or_none(event))
    return current  # objective or a key picker: already in `current`
