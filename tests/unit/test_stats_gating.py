"""McNemar, Benjamini-Hochberg and the statistics block of a run: properties and values."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.report.view import PairRow
from pytest_veto.score.stats import (
    benjamini_hochberg,
    mcnemar_one_sided,
    run_statistics,
    wilson_interval,
)

counts = st.integers(min_value=0, max_value=400)
pvalues = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=0, max_size=40)


# --- McNemar ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(counts, counts)
def test_mcnemar_p_is_a_probability(more: int, fewer: int) -> None:
    assert 0.0 <= mcnemar_one_sided(more, fewer) <= 1.0


@settings(max_examples=300, deadline=None)
@given(counts, counts)
def test_mcnemar_one_sided_tails_overlap_by_exactly_the_observed_point(x: int, y: int) -> None:
    # p(x, y) = P(X >= x) and p(y, x) = P(X >= y) = P(X <= x) for X ~ Bin(x + y, 1/2), so
    # the two one-sided p-values sum to 1 + P(X = x) > 1: the tails overlap at the
    # observed split. (With no discordant pair both are 1 by convention.)
    n = x + y
    pmf = Fraction(math.comb(n, x), 2**n)
    total = mcnemar_one_sided(x, y) + mcnemar_one_sided(y, x)
    if n == 0:
        assert total == 2.0
    else:
        assert total == pytest.approx(float(1 + pmf), rel=1e-12, abs=1e-12)
        assert total >= 1.0


@settings(max_examples=200, deadline=None)
@given(counts, counts)
def test_more_misfires_never_raise_the_p_value(c: int, b: int) -> None:
    p = mcnemar_one_sided(c, b)
    assert mcnemar_one_sided(c + 1, b) <= p
    assert mcnemar_one_sided(c, b + 1) >= p


@pytest.mark.parametrize(
    ("c", "b", "p"),
    [
        (6, 0, 1 / 64),
        (0, 6, 1.0),
        (3, 3, 42 / 64),
        (5, 1, 7 / 64),
        (0, 0, 1.0),
    ],
)
def test_mcnemar_known_values(c: int, b: int, p: float) -> None:
    assert mcnemar_one_sided(c, b) == pytest.approx(p, rel=1e-12)


# --- Benjamini-Hochberg -------------------------------------------------------------------


def step_up(p: list[float], q: float) -> set[int]:
    """The textbook rule: reject the k smallest for the largest k with p_(k) <= k q / m."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    k = max((r for r in range(1, len(p) + 1) if p[order[r - 1]] <= r * q / len(p)), default=0)
    return set(order[:k])


@settings(max_examples=300, deadline=None)
@given(pvalues, st.sampled_from([0.01, 0.05, 0.1, 0.5]))
def test_bh_properties(p: list[float], q: float) -> None:
    adjusted, rejected = benjamini_hochberg(p, q)
    assert len(adjusted) == len(rejected) == len(p)
    order = sorted(range(len(p)), key=lambda i: p[i])
    for i in range(len(p)):
        assert p[i] <= adjusted[i] <= 1.0
    # monotone along the raw order (ties get equal values)
    for lo, hi in itertools.pairwise(order):
        assert adjusted[lo] <= adjusted[hi]
        if p[lo] == p[hi]:
            assert adjusted[lo] == adjusted[hi]
    # the rejected set is a prefix of the raw order, and it is the step-up rule's set
    flags = [rejected[i] for i in order]
    assert flags == sorted(flags, reverse=True)
    if not any(
        math.isclose(x, r * q / len(p), rel_tol=1e-9) for r in range(1, len(p) + 1) for x in p
    ):  # away from float ties with the threshold itself
        assert {i for i, r in enumerate(rejected) if r} == step_up(p, q)


def test_bh_known_values() -> None:
    adjusted, rejected = benjamini_hochberg([0.01, 0.04, 0.03, 0.005], 0.05)
    assert adjusted == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert rejected == [True, True, True, True]
    adjusted, rejected = benjamini_hochberg([0.01, 0.2, 0.03, 0.5], 0.05)
    assert adjusted == pytest.approx([0.04, 0.2667, 0.06, 0.5], abs=1e-4)
    assert rejected == [True, False, False, False]
    assert benjamini_hochberg([], 0.05) == ([], [])


def test_bh_agrees_with_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    p = [0.001, 0.3, 0.02, 0.04, 0.04, 0.9, 0.011, 0.5]
    expected = stats.false_discovery_control(p, method="bh")
    assert benjamini_hochberg(p)[0] == pytest.approx(list(expected), rel=1e-12)


@pytest.mark.parametrize(
    ("p", "q"), [([0.5, 1.5], 0.05), ([float("nan")], 0.05), ([0.5], 0.0), ([0.5], 1.5)]
)
def test_bh_rejects_bad_input(p: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        benjamini_hochberg(p, q)


# --- the statistics block -----------------------------------------------------------------


def rows(table: dict[str, list[str]], variant: str = "base") -> list[PairRow]:
    return [
        PairRow(f"{cat.lower()}_{i}", cat, variant, o)
        for cat, outcomes in table.items()
        for i, o in enumerate(outcomes)
    ]


TABLE = {
    "Age": ["a"] * 20 + ["c"] * 9 + ["b"],
    "SES": ["a"] * 25 + ["c"] * 2 + ["b"] * 2 + ["d"],
    "Religion": ["a"] * 10 + ["error", "error"],
    "Race_ethnicity": ["b"] * 4 + ["d"] * 2,
}


def test_block_structure_and_values() -> None:
    pairs = rows(TABLE) + rows({"Age": ["c"] * 30}, "trigger")
    stats = run_statistics(pairs, seed=3, resamples=2000)
    json.dumps(stats, allow_nan=False)  # JSON-able, no NaN
    assert list(stats) == ["method", "variants"]
    assert list(stats["variants"]) == ["base", "trigger"]
    base = stats["variants"]["base"]
    assert list(base["by_category"]) == sorted(TABLE)
    age = base["by_category"]["Age"]
    assert list(age) == [
        "n",
        "b",
        "c",
        "wilson",
        "bootstrap",
        "mcnemar_p",
        "bh_adjusted_p",
        "significant",
    ]
    assert (age["n"], age["b"], age["c"]) == (30, 1, 9)
    assert age["mcnemar_p"] == mcnemar_one_sided(9, 1)
    assert age["wilson"]["mar"] == list(wilson_interval(9, 29) or ())
    assert age["wilson"]["br"] == list(wilson_interval(1, 21) or ())
    # errors are in no table; a category with no contrast-right pair has no MAR interval
    assert base["by_category"]["Religion"]["n"] == 10
    race = base["by_category"]["Race_ethnicity"]
    assert race["wilson"]["mar"] is None and race["bootstrap"]["mar"] is None
    assert race["bootstrap"]["br"] == [100.0, 100.0]
    overall = base["overall"]
    assert (overall["n"], overall["b"], overall["c"]) == (76, 7, 11)
    assert "bh_adjusted_p" not in overall
    assert overall["significant"] == (overall["mcnemar_p"] < 0.05)
    # BH over the categories of one variant
    cats = sorted(TABLE)
    adjusted, rejected = benjamini_hochberg([base["by_category"][c]["mcnemar_p"] for c in cats])
    assert [base["by_category"][c]["bh_adjusted_p"] for c in cats] == adjusted
    assert [base["by_category"][c]["significant"] for c in cats] == rejected
    assert stats["variants"]["trigger"]["overall"]["c"] == 30


def test_block_is_deterministic_and_order_free() -> None:
    pairs = rows(TABLE)
    one = run_statistics(pairs, seed=9, resamples=1000)
    two = run_statistics(list(reversed(pairs)), seed=9, resamples=1000)
    assert json.dumps(one) == json.dumps(two)
    assert run_statistics(pairs, seed=10, resamples=1000) != one


def test_a_categorys_interval_does_not_depend_on_the_others() -> None:
    alone = run_statistics(rows({"Age": TABLE["Age"]}), resamples=1000)
    together = run_statistics(rows(TABLE), resamples=1000)
    assert (
        alone["variants"]["base"]["by_category"]["Age"]["bootstrap"]
        == together["variants"]["base"]["by_category"]["Age"]["bootstrap"]
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "error"]), min_size=1, max_size=80))
def test_wilson_and_bootstrap_contain_the_pooled_mar(outcomes: list[str]) -> None:
    stats = run_statistics(
        [PairRow(f"p{i}", "Age", "base", o) for i, o in enumerate(outcomes)], resamples=500
    )
    overall = stats["variants"]["base"]["overall"]
    a, c = outcomes.count("a"), outcomes.count("c")
    if a + c:
        mar = 100 * c / (a + c)
        for ci in (overall["wilson"]["mar"], overall["bootstrap"]["mar"]):
            assert ci[0] <= mar <= ci[1]
    else:
        assert overall["wilson"]["mar"] is None and overall["bootstrap"]["mar"] is None
