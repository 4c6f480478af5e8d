"""The page state: URL round trips, forged input dropped, clicks toggling the selection."""

from __future__ import annotations

from dataclasses import replace

from dashboard import ids
from dashboard.state import ViewState, checked_link, clicked_run, next_state, option_names

RUN_A, RUN_B = "a" * 32, "b" * 32


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


def test_scatter_clicks_toggle_a_run() -> None:
    click = {"points": [{"customdata": RUN_A}]}
    assert clicked_run(click) == RUN_A and clicked_run({"points": []}) is None
    state = ViewState("e")
    once = next_state(state, ids.TRADEOFF, "", click)
    assert once.selected == (RUN_A,)
    assert next_state(once, ids.TRADEOFF, "", click).selected == ()


def test_the_curve_controls_go_into_the_link_and_come_back() -> None:
    state = ViewState("e").with_controls(0.6, ["log"], [])
    assert (state.smoothing, state.log_loss, state.train) == (0.6, True, False)
    assert state.to_query() == "?experiment=e&smoothing=0.6&scale=log&train=off"
    assert ViewState.from_query(state.to_query()) == state
    assert state.controls() == (0.6, ["log"], [], "runs")
    assert ViewState("e").controls() == (0.0, [], ["train"], "runs")  # fresh: train curves on


def test_the_seed_group_view_goes_into_the_link_and_survives_a_new_experiment() -> None:
    state = ViewState("e").with_controls(0, [], ["train"], "groups")
    assert state.grouped and state.to_query() == "?experiment=e&view=groups"
    assert ViewState.from_query(state.to_query()) == state
    assert state.controls()[-1] == "groups"
    assert next_state(replace(state, experiment="f"), ids.EXPERIMENT, "").grouped
    assert not ViewState.from_query("?experiment=e&view=<b>").grouped
    assert not ViewState("e").with_controls(0, [], [], ["groups"]).grouped  # not the switch's


def test_forged_curve_controls_fall_back_to_a_fresh_page() -> None:
    forged = ViewState.from_query("?experiment=e&smoothing=2&scale=<b>&train=maybe")
    assert forged == ViewState("e")
    assert ViewState.from_query("?experiment=e&smoothing=nan") == ViewState("e")
    assert ViewState("e").with_controls(True, "log", None) == ViewState("e")


def test_a_new_experiment_keeps_the_way_of_looking() -> None:
    state = ViewState("e", selected=(RUN_A,)).with_controls(0.3, ["log"], [])
    moved = next_state(replace(state, experiment="f"), ids.EXPERIMENT, "")
    assert moved.selected == () and (moved.smoothing, moved.log_loss, moved.train) == (
        0.3, True, False)


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


def test_a_link_to_an_unknown_experiment_says_so_and_keeps_the_rest() -> None:
    linked = ViewState("nope", "accuracy", (RUN_A,), smoothing=0.3)
    shown, note = checked_link(linked, ["demo", "other"], "demo")
    assert shown == ViewState("demo", "accuracy", smoothing=0.3)  # runs of 'nope' dropped
    assert note == ("This link names the experiment 'nope', which this store does not have; "
                    "showing 'demo' instead.")
    assert checked_link(ViewState("demo"), ["demo"], "demo") == (ViewState("demo"), "")
    assert option_names(["a", {"label": "B", "value": "b"}, 3, {"x": 1}]) == ["a", "b"]
    assert option_names(None) == []


def test_compared_experiments_go_into_the_link_and_unknown_ones_are_said() -> None:
    state, problem = ViewState.from_inputs("a", "loss", compared=["b", "a", "c,d", 7, "b"])
    assert not problem and state.compared == ("b", "c,d") and state.experiments == (
        "a", "b", "c,d")
    assert ViewState.from_query(state.to_query()) == state  # a comma in a name survives
    assert state.to_query() == "?experiment=a&compare=b&compare=c%2Cd"
    checked, note = checked_link(state, ["a", "b"], "a")
    assert checked.compared == ("b",) and "'c,d'; left out." in note
    assert next_state(replace(state, experiment="z"), ids.EXPERIMENT, "").compared == (
        "b", "c,d")


def test_the_param_effect_param_goes_into_the_link() -> None:
    state = ViewState("e", param="lr")
    assert state.to_query() == "?experiment=e&param=lr"
    assert ViewState.from_query(state.to_query()) == state
    assert next_state(replace(state, experiment="f"), ids.EXPERIMENT, "").param == "lr"
    assert ViewState.from_query("?experiment=e&param=" + "x" * 501).param is None  # absurd
