import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.tradeoff import (
    HIGH_ACC_HIGH_LOSS,
    LOW_ACC_LOW_LOSS,
    QUADRANTS,
    Recommendation,
    disagreements,
    pareto_front,
    quadrants,
    recommend,
)


def test_each_run_lands_in_its_quadrant_against_the_medians() -> None:
    loss = pd.Series({"overconfident": 0.40, "hedging": 0.15, "dominant": 0.10, "weak": 0.60})
    accuracy = pd.Series({"overconfident": 0.96, "hedging": 0.90, "dominant": 0.97, "weak": 0.70})
    # medians: loss 0.275, accuracy 0.93
    assert quadrants(loss, accuracy).to_dict() == {
        "overconfident": "high-accuracy/high-loss",
        "hedging": "low-accuracy/low-loss",
        "dominant": "high-accuracy/low-loss",
        "weak": "low-accuracy/high-loss",
    }


def test_user_thresholds_replace_the_medians() -> None:
    got = quadrants(pd.Series([0.2, 0.3]), pd.Series([0.8, 0.9]), loss_threshold=0.25,
                    accuracy_threshold=0.95)
    assert got.tolist() == ["low-accuracy/low-loss", "low-accuracy/high-loss"]


def test_runs_missing_a_value_get_no_quadrant_and_do_not_move_the_medians() -> None:
    loss = pd.Series([0.1, 0.3, math.nan, 0.5])
    accuracy = pd.Series([0.9, 0.8, 0.99, None])
    got = quadrants(loss, accuracy)
    assert got.tolist()[:2] == ["high-accuracy/low-loss", "low-accuracy/high-loss"]
    assert got.isna().tolist() == [False, False, True, True]


finite = st.floats(min_value=0, max_value=10, allow_nan=False)


@given(st.lists(st.tuples(finite, st.floats(0, 1)), min_size=1, max_size=40))
def test_quadrants_are_named_and_split_at_the_median(points: list[tuple[float, float]]) -> None:
    loss = pd.Series([p[0] for p in points])
    accuracy = pd.Series([p[1] for p in points])
    got = quadrants(loss, accuracy)
    assert set(got) <= set(QUADRANTS)
    high_loss = got.str.endswith("/high-loss")
    assert (loss[high_loss] >= loss.median()).all() and (loss[~high_loss] < loss.median()).all()
    # at least half the runs are at or above each median
    assert high_loss.sum() >= len(points) / 2
    assert got.str.startswith("high-accuracy").sum() >= len(points) / 2


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """(loss, accuracy) a dominates b: no worse on both, strictly better on one."""
    return a[0] <= b[0] and a[1] >= b[1] and (a[0] < b[0] or a[1] > b[1])


def test_pareto_front_by_hand() -> None:
    loss = pd.Series({"p1": 0.1, "p2": 0.2, "p3": 0.2, "p4": 0.3, "p5": 0.4, "p6": math.nan,
                      "p7": 0.05, "twin": 0.2, "p9": math.inf})
    accuracy = pd.Series({"p1": 0.80, "p2": 0.90, "p3": 0.85, "p4": 0.90, "p5": 0.95,
                          "p6": 0.99, "p7": math.nan, "twin": 0.90, "p9": 0.99})
    # p3 loses to p2 on accuracy at equal loss, p4 to p2 on loss at equal accuracy; p2 and its
    # identical twin do not dominate each other; p6 and p7 lack a value; p9's +inf loss is
    # still a loss and nothing is as accurate
    got = pareto_front(loss, accuracy)
    assert got.dtype == bool
    assert sorted(got[got].index) == ["p1", "p2", "p5", "p9", "twin"]
    assert got.index.tolist() == loss.index.tolist()


def test_pareto_front_of_nothing_is_empty() -> None:
    assert pareto_front(pd.Series(dtype=float), pd.Series(dtype=float)).empty
    assert not pareto_front(pd.Series([math.nan]), pd.Series([0.5])).any()


maybe_nan = st.one_of(st.sampled_from([0.1, 0.2, 0.3, 0.5, 1.0]), st.just(math.nan),
                      st.floats(0, 2, allow_nan=False))


@given(st.lists(st.tuples(maybe_nan, maybe_nan), min_size=1, max_size=30), st.data())
def test_pareto_front_properties(points: list[tuple[float, float]], data: st.DataObject) -> None:
    ids = [f"r{i:02d}" for i in range(len(points))]
    loss = pd.Series([p[0] for p in points], index=ids)
    accuracy = pd.Series([p[1] for p in points], index=ids)
    front = pareto_front(loss, accuracy)
    known = {i: p for i, p in zip(ids, points, strict=True) if not any(map(math.isnan, p))}
    members = {i for i in ids if front[i]}
    assert members <= set(known)
    for m in members:
        assert not any(dominates(p, known[m]) for p in known.values())
    for i in set(known) - members:
        assert any(dominates(known[m], known[i]) for m in members)
    order = data.draw(st.permutations(ids))
    shuffled = pareto_front(loss[order], accuracy[order])
    assert shuffled.sort_index().equals(front.sort_index())


def test_pareto_front_of_many_runs_is_a_staircase() -> None:
    rng = np.random.default_rng(0)
    loss = pd.Series(rng.random(20_000))
    accuracy = pd.Series(1 - loss + rng.normal(0, 0.05, 20_000))
    front = pareto_front(loss, accuracy)
    members = list(zip(loss[front], accuracy[front], strict=True))
    assert 0 < len(members) < 200
    # the front is a staircase: loss up, accuracy strictly up
    assert sorted(members) == sorted(members, key=lambda p: p[1])
    assert all(x[1] < y[1] for x, y in zip(sorted(members), sorted(members)[1:], strict=False))
    assert front[loss.idxmin()] and front[accuracy.idxmax()]


# loss:     a1 .50  a2 .40  b1 .10  b2 .20  d .05  w .60    median .30; n has no loss
# accuracy: a1 .95  a2 .97  b1 .80  b2 .85  d .99  w .70    median .90
# a1, a2 high-accuracy/high-loss; b1, b2 low-accuracy/low-loss.
# ranks (ascending, over the six): loss  d1 b1 2 b2 3 a2 4 a1 5 w6
#                                  acc   w1 b1 2 b2 3 a1 4 a2 5 d6
# (a1,b1): (4-2)*(5-2)=6   (a2,b1): (5-2)*(4-2)=6   (a1,b2): 1*2=2   (a2,b2): 2*1=2
DISAGREE_LOSS = pd.Series({"a1": .50, "a2": .40, "b1": .10, "b2": .20, "d": .05, "w": .60,
                           "n": math.nan})
DISAGREE_ACCURACY = pd.Series({"a1": .95, "a2": .97, "b1": .80, "b2": .85, "d": .99, "w": .70,
                               "n": .999})


def test_disagreements_by_hand_ordered_by_rank_gap_product_then_ids() -> None:
    assert disagreements(DISAGREE_LOSS, DISAGREE_ACCURACY) == [
        ("a1", "b1"), ("a2", "b1"), ("a1", "b2"), ("a2", "b2")]
    assert disagreements(DISAGREE_LOSS, DISAGREE_ACCURACY, limit=3) == [
        ("a1", "b1"), ("a2", "b1"), ("a1", "b2")]
    assert disagreements(DISAGREE_LOSS, DISAGREE_ACCURACY, limit=0) == []


def test_no_disagreements_when_loss_and_accuracy_agree() -> None:
    loss = pd.Series({"x": 0.1, "y": 0.2, "z": 0.3})
    assert disagreements(loss, 1 - loss) == []
    assert disagreements(pd.Series(dtype=float), pd.Series(dtype=float)) == []


@given(st.lists(st.tuples(maybe_nan, maybe_nan), min_size=1, max_size=30),
       st.integers(1, 60))
def test_every_returned_pair_really_disagrees(points: list[tuple[float, float]],
                                              limit: int) -> None:
    ids = [f"r{i:02d}" for i in range(len(points))]
    loss = pd.Series([p[0] for p in points], index=ids)
    accuracy = pd.Series([p[1] for p in points], index=ids)
    quadrant = quadrants(loss, accuracy).fillna("none")
    got = disagreements(loss, accuracy, limit=limit)
    assert len(got) <= limit and len(set(got)) == len(got)
    both = loss.notna() & accuracy.notna()
    loss_rank, acc_rank = loss[both].rank(), accuracy[both].rank()
    scores = []
    for a, b in got:
        assert quadrant[a] == HIGH_ACC_HIGH_LOSS and quadrant[b] == LOW_ACC_LOW_LOSS
        assert accuracy[a] > accuracy[b] and loss[a] > loss[b]
        scores.append((acc_rank[a] - acc_rank[b]) * (loss_rank[a] - loss_rank[b]))
    assert scores == sorted(scores, reverse=True)
    every = [(a, b) for a in ids for b in ids if quadrant[a] == HIGH_ACC_HIGH_LOSS
             and quadrant[b] == LOW_ACC_LOW_LOSS and accuracy[a] > accuracy[b]
             and loss[a] > loss[b]]
    assert len(got) == min(limit, len(every))


NAMES = pd.Series({"r1": "mlp-a", "r2": "mlp-b", "r3": "cnn"})


def test_recommend_for_loss_names_the_more_accurate_alternative() -> None:
    loss = pd.Series({"r1": 0.0939, "r2": 0.3193, "r3": 0.5})
    accuracy = pd.Series({"r1": 0.9649, "r2": 0.97, "r3": 0.9})
    assert recommend(loss, accuracy, NAMES, "loss") == Recommendation(
        "r1", "mlp-a has the lowest validation loss (0.0939); mlp-b is more accurate "
              "(0.9700 vs 0.9649) but its loss is 3.4x higher.")
    assert recommend(loss, accuracy, NAMES, "accuracy") == Recommendation(
        "r2", "mlp-b has the highest accuracy (0.9700); mlp-a has a lower validation loss "
              "(0.0939 vs 0.3193) but is less accurate (0.9649).")


def test_recommend_when_one_run_wins_both() -> None:
    loss = pd.Series({"r1": 0.0939, "r2": 0.3193})
    accuracy = pd.Series({"r1": 0.9649, "r2": 0.9})
    assert recommend(loss, accuracy, NAMES, "loss") == Recommendation(
        "r1", "mlp-a has the lowest validation loss (0.0939) and also the highest accuracy "
              "(0.9649).")
    got = recommend(loss, accuracy, NAMES, "accuracy")
    assert got is not None and got.reason == (
        "mlp-a has the highest accuracy (0.9649) and also the lowest validation loss (0.0939).")
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.run_id = "r2"  # type: ignore[misc]


def test_recommend_ties_go_to_the_other_metric_then_the_run_id() -> None:
    loss = pd.Series({"r3": 0.2, "r2": 0.2, "r1": 0.2, "x": 0.4})
    accuracy = pd.Series({"r3": 0.9, "r2": 0.9, "r1": 0.8, "x": 0.9})
    assert recommend(loss, accuracy, NAMES, "loss") == Recommendation(
        "r2", "mlp-b has the lowest validation loss (0.2000) and also the highest accuracy "
              "(0.9000).")
    best = recommend(loss, accuracy, NAMES, "accuracy")
    assert best is not None and best.run_id == "r2"


def test_recommend_skips_non_finite_values_and_handles_diverged_alternatives() -> None:
    loss = pd.Series({"r1": math.inf, "r2": 0.3, "r3": math.nan})
    accuracy = pd.Series({"r1": 0.99, "r2": 0.5, "r3": 0.98})
    got = recommend(loss, accuracy, NAMES, "loss")
    assert got == Recommendation("r2", "mlp-b has the lowest validation loss (0.3000); mlp-a is "
                                       "more accurate (0.9900 vs 0.5000) but its loss diverged.")


def test_recommend_falls_back_to_the_run_id_without_a_name() -> None:
    got = recommend(pd.Series({"zz": 0.00001}), pd.Series({"zz": math.nan}), NAMES, "loss")
    assert got == Recommendation("zz", "zz has the lowest validation loss (1e-05).")


def test_recommend_returns_none_without_finite_values() -> None:
    loss = pd.Series({"r1": math.nan, "r2": math.inf})
    assert recommend(loss, pd.Series({"r1": 0.9}), NAMES, "loss") is None
    assert recommend(pd.Series(dtype=float), pd.Series(dtype=float), NAMES, "accuracy") is None


def test_recommend_rejects_unknown_objectives() -> None:
    with pytest.raises(ValueError, match="'loss' or 'accuracy'"):
        recommend(pd.Series({"r1": 0.1}), pd.Series({"r1": 0.9}), NAMES, "f1")
