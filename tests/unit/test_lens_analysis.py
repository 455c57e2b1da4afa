"""Pure lens arithmetic on hand-made LD arrays: pair choice, gaps, peak, hand-off,
late-layer check, report dict, head ranking, rank agreement and recovery. No torch."""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.lens.analysis import (
    LateLayerCriteria,
    LensAnalysis,
    PairLens,
    Selection,
    allocate,
    choose_pairs,
    early_layers,
    gap_by_layer,
    handoff,
    handoff_rate,
    late_layer_check,
    pair_lenses,
    peak,
)
from pytest_veto.lens.logit_lens import LensResult
from pytest_veto.lens.ranking import (
    head_effects,
    pair_rankings,
    rank_agreement,
    ranking,
    recovery_point,
    spearman,
)


def _outcomes() -> list[tuple[str, str, str]]:
    rows = []
    for category, n_fail, n_ctrl in (("Age", 12, 40), ("SES", 6, 20), ("Religion", 2, 10)):
        rows += [(f"{category.lower()}_f{i}", category, "c") for i in range(n_fail)]
        rows += [(f"{category.lower()}_a{i}", category, "a") for i in range(n_ctrl)]
        rows += [(f"{category.lower()}_b{i}", category, "b") for i in range(3)]
        rows += [(f"{category.lower()}_e{i}", category, "error") for i in range(2)]
    return rows


# -- choosing pairs ---------------------------------------------------------------------


def test_allocate_is_proportional_with_largest_remainders() -> None:
    assert allocate({"Age": 12, "SES": 6, "Religion": 2}, 10) == {"Age": 6, "SES": 3, "Religion": 1}
    # quotas 4.5, 4.5, 1: the tie goes to the category whose name sorts first
    assert allocate({"B": 9, "A": 9, "C": 2}, 10) == {"A": 5, "B": 4, "C": 1}
    assert allocate({"A": 3, "B": 1}, 10) == {"A": 3, "B": 1}  # fewer than n: all


def test_allocate_may_leave_a_small_category_out() -> None:
    # quotas 0.099 and 9.9: proportional allocation, not one per category
    assert allocate({"A": 1, "B": 100}, 10) == {"A": 0, "B": 10}


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCDEFGH"), st.integers(0, 50)), st.integers(0, 60))
def test_allocate_sums_to_n_and_respects_counts(counts: dict[str, int], n: int) -> None:
    alloc = allocate(counts, n)
    assert sum(alloc.values()) == min(n, sum(counts.values()))
    assert all(0 <= alloc[c] <= counts[c] for c in counts)


def test_choose_pairs_stratifies_by_category_and_roles() -> None:
    chosen = choose_pairs(_outcomes(), n=10, seed=0)
    failure_categories = [chosen.categories[p] for p in chosen.failure]
    assert {c: failure_categories.count(c) for c in set(failure_categories)} == {
        "Age": 6,
        "SES": 3,
        "Religion": 1,
    }
    control_categories = [chosen.categories[p] for p in chosen.control]
    assert {c: control_categories.count(c) for c in set(control_categories)} == {
        "Age": 6,
        "SES": 3,
        "Religion": 1,
    }
    assert all("_f" in p for p in chosen.failure) and all("_a" in p for p in chosen.control)
    assert set(chosen.roles().values()) == {"failure", "control"}


def test_choose_pairs_is_deterministic_and_independent_of_input_order() -> None:
    rows = _outcomes()
    first = choose_pairs(rows, n=10, seed=3)
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    assert choose_pairs(shuffled, n=10, seed=3) == first
    assert choose_pairs(iter(rows), n=10, seed=3) == first  # any iterable
    assert any(choose_pairs(rows, n=10, seed=s) != first for s in range(4, 10))


def test_choose_pairs_takes_everything_when_there_are_fewer_than_n() -> None:
    chosen = choose_pairs(_outcomes(), n=30, seed=0)
    assert len(chosen.failure) == 20  # 12 + 6 + 2 failures exist
    assert len(chosen.control) == 30
    assert choose_pairs([], n=30) == Selection((), (), {})


def test_choose_pairs_rejects_one_pair_with_two_outcomes() -> None:
    with pytest.raises(ValueError, match="one variant"):
        choose_pairs([("age_q1_p0", "Age", "c"), ("age_q1_p0", "Age", "a")])
    with pytest.raises(ValueError, match="negative"):
        choose_pairs([], n=-1)


# -- gaps, peak, hand-off ---------------------------------------------------------------


def _pair(pid: str, role: str, st: list[float], ct: list[float]) -> PairLens:
    return PairLens(pid, "Age", role, tuple(st), tuple(ct))  # type: ignore[arg-type]


PAIRS = [
    _pair("f1", "failure", [1.0, 2.0, 0.5, -3.0], [1.0, 2.0, 4.0, 5.0]),
    _pair("f2", "failure", [-1.0, -1.0, -2.0, 1.0], [-1.0, 0.0, 2.0, 3.0]),
    _pair("c1", "control", [2.0, 2.0, 2.0, 2.0], [2.0, 2.5, 2.0, 3.0]),
]


def test_gap_by_layer_is_mean_contrast_minus_mean_stereotyped() -> None:
    assert gap_by_layer(PAIRS, "failure") == [0.0, 0.5, 3.75, 5.0]
    assert gap_by_layer(PAIRS, "control") == [0.0, 0.5, 0.0, 1.0]
    assert gap_by_layer(PAIRS[:2], "control") is None


def test_peak_takes_the_largest_gap_and_the_first_layer_on_a_tie() -> None:
    assert peak([0.0, 0.5, 3.75, 5.0]) == (3, 5.0)
    assert peak([1.0, 4.0, 4.0, -2.0]) == (1, 4.0)


def test_handoff_needs_an_early_yes_and_a_negative_final_ld() -> None:
    assert list(early_layers(4)) == [0, 1]
    assert list(early_layers(30)) == list(range(15))
    assert handoff(PAIRS[0])  # layer 0 LD 1.0 > 0, final -3.0 < 0
    assert not handoff(PAIRS[1])  # final LD positive
    late_only = _pair("f3", "failure", [-1.0, -1.0, 2.0, -1.0], [0.0] * 4)
    assert not handoff(late_only)  # the positive LD is in the late half only
    assert handoff(late_only, early_fraction=0.75)
    assert handoff_rate(PAIRS) == 0.5  # f1 of f1, f2; controls do not count
    assert handoff_rate(PAIRS[2:]) is None


def test_late_layer_check_verdicts() -> None:
    criteria = LateLayerCriteria(early_gap_threshold=2.0, min_peak=1.0)
    late = late_layer_check([0.1, -0.5, 1.0, 6.0], criteria)
    assert (late.verdict, late.peak_layer, late.peak_value) == ("late", 3, 6.0)
    assert late.max_early_gap == 0.5 and "late-layer suppression" in late.message
    early_peak = late_layer_check([0.1, 6.0, 1.0, 2.0], criteria)
    assert early_peak.verdict == "early" and "peak is in the early part" in early_peak.message
    big_early = late_layer_check([-3.0, 0.0, 1.0, 6.0], criteria)
    assert big_early.verdict == "early" and "3.00 > 2.0" in big_early.message
    assert late_layer_check([0.1, 0.2, 0.3, 0.9], criteria).verdict == "no_gap"
    assert late_layer_check(None).verdict == "insufficient"
    broken = late_layer_check([0.0, float("nan"), 3.0, float("inf")])
    assert broken.verdict == "non_finite" and "layer(s) 1, 3 of 4" in broken.message
    assert (
        late_layer_check([0.1, -0.5, 1.0, 6.0], LateLayerCriteria(early_gap_threshold=0.1)).verdict
        == "early"
    )


def test_pair_lenses_joins_halves_and_requires_both() -> None:
    results = [
        LensResult("f1", "Age", "stereotyped", (1.0, -1.0), 10),
        LensResult("f1", "Age", "contrast", (1.0, 2.0), 10),
        LensResult("c1", "SES", "contrast", (0.0, 1.0), 12),
        LensResult("c1", "SES", "stereotyped", (0.0, 1.0), 12),
    ]
    joined = pair_lenses(results, Selection(("f1",), ("c1",)))
    assert [(p.pair_id, p.role, p.category) for p in joined] == [
        ("c1", "control", "SES"),
        ("f1", "failure", "Age"),
    ]
    assert joined[1].stereotyped == (1.0, -1.0) and joined[1].contrast == (1.0, 2.0)
    with pytest.raises(ValueError, match="f2"):
        pair_lenses(results, Selection(("f1", "f2"), ()))


def test_analysis_dict_is_json_with_the_report_shape() -> None:
    nan_pair = _pair("c2", "control", [math.nan, 0.0, 0.0, 0.0], [0.0] * 4)
    analysis = LensAnalysis(
        (*PAIRS, nan_pair),
        {"yes": {"yes": 1}, "no": {"no": 2}},
        base_pairs=tuple(PAIRS),
        seconds=1.5,
    )
    data = analysis.as_dict()
    text = json.dumps(data, allow_nan=False)  # NaN became null
    assert json.loads(text) == data
    assert data["pairs"][0] == {
        "pair_id": "f1",
        "category": "Age",
        "role": "failure",
        "ld_by_layer": {"stereotyped": [1.0, 2.0, 0.5, -3.0], "contrast": [1.0, 2.0, 4.0, 5.0]},
    }
    summary = data["summary"]
    assert summary["n"] == {"failure": 2, "control": 2}
    assert summary["n_layers"] == 4
    assert summary["gap_by_layer"]["failure"] == [0.0, 0.5, 3.75, 5.0]
    assert summary["gap_by_layer"]["control"][0] is None  # the NaN
    assert summary["peak"] == {"layer": 3, "value": 5.0}
    assert summary["handoff_rate"] == 0.5
    assert summary["late_layer"]["verdict"] == "late"
    assert summary["answer_tokens"] == {"yes": {"yes": 1}, "no": {"no": 2}}
    assert summary["base"]["instruct_minus_base"]["failure"] == [0.0, 0.0, 0.0, 0.0]


def test_analysis_without_base_or_pairs() -> None:
    empty = LensAnalysis((), {"yes": {}, "no": {}})
    summary = empty.summary()
    assert summary["n"] == {"failure": 0, "control": 0}
    assert summary["peak"] == {"layer": None, "value": None}
    assert summary["base"] is None and summary["handoff_rate"] is None
    assert summary["late_layer"]["verdict"] == "insufficient"


# -- head ranking -----------------------------------------------------------------------


def test_head_effects_rank_by_specificity() -> None:
    deltas = {
        ("p1", "stereotyped"): {(0, 0): 2.0, (0, 1): 1.0, (1, 0): 0.0},
        ("p1", "contrast"): {(0, 0): 0.0, (0, 1): 1.0, (1, 0): -1.0},
        ("p2", "stereotyped"): {(0, 0): 4.0, (0, 1): 1.0, (1, 0): 0.0},
        ("p2", "contrast"): {(0, 0): 1.0, (0, 1): 0.0, (1, 0): -1.0},
        ("p3", "stereotyped"): {(0, 0): 100.0},  # no contrast half: not counted
    }
    effects = head_effects(deltas)
    assert [(e.layer, e.head) for e in effects] == [(0, 0), (1, 0), (0, 1)]
    top = effects[0]
    assert (top.d_stereotyped, top.d_contrast, top.specificity, top.n_pairs) == (3.0, 0.5, 2.5, 2)
    assert effects[1].specificity == 1.0 and effects[2].specificity == 0.5
    assert ranking(list(reversed(effects))) == [(0, 0), (1, 0), (0, 1)]


def test_spearman_known_values() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ties get average ranks: ranks x = 1, 2.5, 2.5, 4; y = 1, 2, 3, 4
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9486832980505138)
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1], [2]) is None
    with pytest.raises(ValueError):
        spearman([1, 2], [1])


def test_rank_agreement_compares_estimate_with_exact() -> None:
    deltas = {
        ("p", "stereotyped"): {(0, h): float(h) for h in range(12)},
        ("p", "contrast"): {(0, h): 0.0 for h in range(12)},
    }
    exact = head_effects(deltas)
    flipped = head_effects({k: {h: -v for h, v in d.items()} for k, d in deltas.items()})
    same = rank_agreement(exact, exact, top=5)
    assert same == {
        "n_heads": 12,
        "spearman_specificity": pytest.approx(1.0),
        "spearman_d_stereotyped": pytest.approx(1.0),
        "top": 5,
        "top_overlap": 5,
    }
    opposite = rank_agreement(exact, flipped, top=5)
    assert opposite["spearman_specificity"] == pytest.approx(-1.0)
    assert opposite["top_overlap"] == 0


def test_recovery_point_counts_pairs_whose_ld_turns_positive() -> None:
    baseline = {
        ("a", "stereotyped"): -2.0,
        ("a", "contrast"): 3.0,
        ("b", "stereotyped"): -1.0,
        ("b", "contrast"): 2.0,
        ("c", "stereotyped"): 0.5,
        ("c", "contrast"): 1.0,
    }  # c already positive
    ablated = {
        ("a", "stereotyped"): 1.0,
        ("a", "contrast"): 3.0,
        ("b", "stereotyped"): -0.5,
        ("b", "contrast"): 1.0,
        ("c", "stereotyped"): 2.0,
        ("c", "contrast"): 1.0,
    }
    point = recovery_point(3, [(1, 2), (0, 0), (4, 1)], baseline, ablated)
    assert (point.n_pairs, point.recovered, point.n_eligible) == (3, 1, 2)
    assert point.recovery_rate == pytest.approx(1 / 3)
    assert point.recovery_rate_eligible == pytest.approx(0.5)
    assert point.mean_d_stereotyped == pytest.approx((3.0 + 0.5 + 1.5) / 3)
    assert point.mean_d_contrast == pytest.approx(-1 / 3)
    assert json.loads(json.dumps(point.as_dict()))["heads"] == [[1, 2], [0, 0], [4, 1]]
    empty = recovery_point(1, [], {}, {})
    assert empty.recovery_rate is None and empty.mean_d_stereotyped is None


def test_each_pair_ranks_heads_by_its_own_specificity_and_pooled_by_the_mean() -> None:
    """Head (0, 0) is very specific on pair a only, (0, 1) moderately on both: a ranks
    (0, 0) first, b ranks (0, 1) first, and the pooled mean also puts (0, 0) first."""
    h00, h01, h10 = (0, 0), (0, 1), (1, 0)
    deltas = {
        ("a", "stereotyped"): {h00: 5.0, h01: 1.0, h10: 0.0},
        ("a", "contrast"): {h00: 0.0, h01: 0.0, h10: 0.0},
        ("b", "stereotyped"): {h00: -1.0, h01: 1.0, h10: 0.5},
        ("b", "contrast"): {h00: 0.0, h01: 0.0, h10: 0.0},
        ("c", "stereotyped"): {h00: 9.0, h01: 9.0, h10: 9.0},  # no contrast half: left out
    }
    assert pair_rankings(deltas) == {"a": [h00, h01, h10], "b": [h01, h10, h00]}
    pooled = {k: v for k, v in deltas.items() if k[0] != "c"}
    assert ranking(head_effects(pooled)) == [h00, h01, h10]
