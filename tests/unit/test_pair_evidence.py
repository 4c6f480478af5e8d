"""The verdict's pair at odds and what its predictions say: confident mistakes, calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import frames as f
from analysis.calibration import Predictions, calibrated_loss
from analysis.pair_evidence import needed_runs, only_wrong_in, pair, side, side_evidence
from analysis.report import Comparison, compare
from dashboard.verdict_block import Answer, Verdict, verdict, verdict_block

# run -> (final validation loss, final validation accuracy)
FOUR = {"sharp": (0.40, 0.95), "soft": (0.20, 0.85), "mid": (0.30, 0.90), "poor": (0.50, 0.80)}


def frames(finals: dict[str, tuple[float, float]], params: dict[str, dict[str, str]] | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = pd.DataFrame({f.RUN_ID: list(finals), f.RUN_NAME: list(finals), f.STATUS: "FINISHED"})
    for run, values in (params or {}).items():
        for name, value in values.items():
            runs.loc[runs[f.RUN_ID] == run, f"params.{name}"] = value
    rows = [(run, key, 1, value) for run, (loss, accuracy) in finals.items()
            for key, value in (("val_loss", loss), ("val_accuracy", accuracy))]
    history = pd.DataFrame(rows, columns=[f.RUN_ID, f.KEY, f.STEP, f.VALUE])
    history[f.TIMESTAMP], history[f.EPOCH] = history[f.STEP], history[f.STEP].astype(float)
    history[f.SPLIT], history[f.METRIC] = None, None
    return runs, history[f.HISTORY_COLUMNS]


def predicted(true_class_probability: list[float]) -> Predictions:
    """Two classes, every label 0: each sample gives the true class the probability listed."""
    p = np.array(true_class_probability, dtype=np.float32)
    return np.stack([p, 1 - p], axis=1), np.zeros(len(p), dtype=np.int64)


def judged(comparison: Comparison, predictions: dict[str, Predictions]) -> Verdict:
    return verdict(comparison, pair(comparison), predictions)


SHARP = predicted([0.99] * 9 + [0.01])  # right and sure, but one sure mistake
SOFT = predicted([0.7] * 10)  # right and unsure every time


def test_the_two_picks_form_the_pair_when_loss_and_accuracy_choose_differently() -> None:
    comparison = compare(*frames(FOUR))
    high, low = pair(comparison) or (None, None)
    assert (high and high.key, low and low.key) == ("sharp", "soft")
    assert (high and high.accuracy, high and high.loss) == (0.95, 0.40)
    # the pair, then the picks' runner-ups (both "mid"), whose gaps are tested
    assert needed_runs(comparison, pair(comparison)) == ["sharp", "soft", "mid"]


def test_one_sure_mistake_is_counted_with_its_share_of_the_loss_and_the_hedged_loss() -> None:
    found = side_evidence(side(compare(*frames(FOUR)), "sharp"), {"sharp": SHARP})
    assert found is not None
    each = [-math.log(0.99)] * 9 + [-math.log(0.01)]
    assert found.confident_mistakes == 1 and found.n_val == 10 and found.runs == 1
    assert found.loss == pytest.approx(np.mean(each), rel=1e-5)
    assert found.loss_share == pytest.approx(each[-1] / sum(each), rel=1e-5)
    assert found.loss_if_hedged == pytest.approx(np.mean(each[:9] + [math.log(2)]), rel=1e-5)
    assert found.calibrated_loss == pytest.approx(calibrated_loss(*SHARP)[1])


def test_the_verdict_says_the_mistakes_explain_the_loss_and_what_calibration_changes() -> None:
    said = judged(compare(*frames(FOUR)), {"sharp": SHARP, "soft": SOFT, "mid": SOFT})
    assert said.agreement == ("Loss and accuracy pick differently: soft (accuracy 0.8500, loss "
                              "0.2000) has the lower loss, sharp (accuracy 0.9500, loss 0.4000) "
                              "the higher accuracy.")
    mistakes, calibration, only = said.evidence
    hedged = np.mean([-math.log(0.99)] * 9 + [math.log(2)])
    assert mistakes.startswith("sharp is confidently wrong (at least 90% on a wrong class) on 1 "
                               "of 10 validation samples, soft on 0; those mistakes carry 98%")
    assert (f"Were those mistakes hedged at 50/50, sharp's loss would be {hedged:.3f}, against "
            f"soft's {-math.log(0.7):.3f}: its higher loss is those few mistakes.") in mistakes
    assert f"sharp's loss to {calibrated_loss(*SHARP)[1]:.3f}" in calibration
    assert only == ("On the same samples, sharp is confidently wrong on 1 that soft gets right; "
                    "soft on 0 that sharp gets right.")
    # the picks' sentences end with their lead's noise, tested on the shared samples
    assert "the loss gap over mid" in said.answers["loss"].reason
    assert said.answers["accuracy"].name == "sharp"


def test_runs_without_predictions_are_named_not_guessed() -> None:
    said = judged(compare(*frames(FOUR)), {"sharp": SHARP})
    assert said.evidence == ["soft logged no validation predictions, so its confident mistakes "
                             "and calibration are unknown."]


def test_when_both_objectives_agree_the_strongest_disagreement_is_shown() -> None:
    agree = FOUR | {"best": (0.10, 0.97)}
    comparison = compare(*frames(agree))
    said = judged(comparison, {})
    assert said.agreement.startswith("Both objectives pick best. The strongest disagreement: ")
    high, low = pair(comparison) or (None, None)
    assert (high and high.key, low and low.key) == comparison.disagreements[0]
    assert judged(compare(*frames({"best": (0.1, 0.9), "worse": (0.2, 0.8)})), {}).agreement \
        == "Both objectives pick best, and no two runs put loss and accuracy at odds."


def test_seed_groups_are_sides_whose_evidence_is_averaged_over_their_seeds() -> None:
    finals = {"wide-s0": (0.40, 0.95), "wide-s1": (0.42, 0.95), "thin-s0": (0.20, 0.85),
              "thin-s1": (0.22, 0.85)}
    params = {run: {"seed": run[-1], "width": run.split("-")[0]} for run in finals}
    comparison = compare(*frames(finals, params))
    high, low = pair(comparison) or (None, None)
    assert high and low and set(high.runs) == {"wide-s0", "wide-s1"} and high.name == "wide"
    assert high.loss == pytest.approx(0.41)
    twice = predicted([0.99] * 8 + [0.01] * 2)
    found = side_evidence(high, {"wide-s0": SHARP, "wide-s1": twice})
    assert found is not None and found.confident_mistakes == 1.5 and found.runs == 2
    said = judged(comparison, {"wide-s0": SHARP, "wide-s1": twice, "thin-s0": SOFT})
    assert "on 1.5 of 10 validation samples (means over 2 seeds), thin on 0" in said.evidence[0]
    assert only_wrong_in(high, low, {}) is None  # sample by sample only for two single runs
    assert said.answers["loss"].name == "thin" and "seed" in said.answers["loss"].reason


def test_the_block_outlines_the_chosen_objective_and_keeps_names_as_text() -> None:
    hostile = {"<b>x</b>": (0.40, 0.95), "soft": (0.20, 0.85), "mid": (0.30, 0.90),
               "poor": (0.50, 0.80)}
    cards, why = verdict_block(judged(compare(*frames(hostile)), {}), "accuracy")
    chosen = [card for card in cards.children if "chosen" in card.className]
    assert [card.id for card in chosen] == ["verdict-accuracy"]
    assert chosen[0].children[1].children == ["<b>x</b>"]  # a string child: React escapes it
    assert "<b>x</b> (accuracy 0.9500" in why.children[0].children


def test_a_pick_whose_lead_is_within_noise_says_so_beside_its_name() -> None:
    """A pick a third of a sample ahead had the same bold headline as a decisive one."""
    tied = Verdict({"loss": Answer("a", "…: within seed noise.", settled=False),
                    "accuracy": Answer("b", "…: beyond seed noise.", settled=True)}, "", [])
    cards, _ = verdict_block(tied, "loss")
    loss, accuracy = cards.children
    assert [getattr(c, "children", c) for c in loss.children[1].children] == [
        "a", " ", "lead within noise"]
    assert accuracy.children[1].children == ["b"]
