"""The page state: URL round trips, forged input dropped, clicks toggling the selection."""

from __future__ import annotations

from dashboard import ids
from dashboard.state import ViewState, clicked_run, legend_run, next_state

RUN_A, RUN_B = "a" * 32, "b" * 32
FIGURE = {"data": [{"legendgroup": RUN_A}, {"legendgroup": RUN_A}, {"legendgroup": RUN_B},
                   {"name": "divergence"}]}


def test_query_round_trip_and_defaults_left_out() -> None:
    state = ViewState("my exp & co", "accuracy", (RUN_A, RUN_B), "val/loss", None)
    query = state.to_query()
    assert query.startswith("?experiment=my+exp+%26+co&objective=accuracy")
    assert ViewState.from_query(query) == state
    assert ViewState("e").to_query() == "?experiment=e"  # objective loss is the default
    assert ViewState().to_query() == ""


def test_forged_query_parts_are_dropped() -> None:
    state = ViewState.from_query("?objective=<script>&selected=ok_1,../../x,ok_1&experiment="
                                 + "x" * 600)
    assert state == ViewState(None, "loss", ("ok_1",))
    assert ViewState.from_query(None) == ViewState()


def test_inputs_are_checked_with_a_message() -> None:
    assert ViewState.from_inputs("e", "loss")[1] == ""
    assert ViewState.from_inputs(None, "loss")[1] == "Pick an experiment."
    assert ViewState.from_inputs({"$where": 1}, "loss")[1] == "That is not an experiment name."
    assert ViewState.from_inputs("e", "f1")[1] == "The objective must be loss or accuracy."
    assert ViewState.from_inputs("e", "loss", [RUN_A, 3, "<x>"])[0].selected == (RUN_A,)


def test_scatter_clicks_and_legend_clicks_toggle_a_run() -> None:
    click = {"points": [{"customdata": RUN_A}]}
    assert clicked_run(click) == RUN_A and clicked_run({"points": []}) is None
    state = ViewState("e")
    once = next_state(state, ids.TRADEOFF, "", click)
    assert once.selected == (RUN_A,)
    assert next_state(once, ids.TRADEOFF, "", click).selected == ()
    legend = [{"visible": ["legendonly"]}, [0, 1]]  # one entry: both of a run's traces
    assert legend_run(legend, FIGURE) == RUN_A
    assert next_state(once, ids.LOSS_CURVES, "", [{"visible": [True]}, [2]], FIGURE).selected \
        == (RUN_A, RUN_B)
    isolate = [{"visible": [True, "legendonly"]}, [0, 2]]  # a double click: several runs
    assert legend_run(isolate, FIGURE) is None
    assert legend_run([{"visible": [True]}, [3]], FIGURE) is None  # not a run's trace
    assert legend_run("junk", FIGURE) is None and legend_run(legend, {"data": []}) is None


def test_table_rows_replace_the_selection_and_a_new_experiment_clears_it() -> None:
    state = ViewState("e", "accuracy", (RUN_A,), "k")
    rows = [{"run_id": RUN_B}, {"run_id": "<bad>"}, "junk"]
    assert next_state(state, ids.RUNS_TABLE, "", rows).selected == (RUN_B,)
    assert next_state(state, ids.EXPERIMENT, "") == ViewState("e", "accuracy")


def test_page_load_takes_the_link_and_keeps_the_picked_experiment_without_one() -> None:
    state = ViewState("first")
    assert next_state(state, None, "?experiment=other&selected=" + RUN_A) == ViewState(
        "other", "loss", (RUN_A,))
    assert next_state(state, None, "").experiment == "first"
    assert next_state(state, ids.URL, "?objective=accuracy") == ViewState("first", "accuracy")
