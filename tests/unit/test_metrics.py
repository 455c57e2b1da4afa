"""The 2x2 table and its metrics (veto-spec section 4): known values and properties."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.score.metrics import OUTCOMES, Metrics, Outcome, Table, classify, compute

outcome_lists = st.lists(st.sampled_from(OUTCOMES), max_size=300)
counts = st.integers(min_value=0, max_value=10_000)


def test_classify_puts_each_pair_in_its_cell() -> None:
    assert classify(True, True) == "a"
    assert classify(True, False) == "b"  # bias: stereotyped right, contrast wrong
    assert classify(False, True) == "c"  # misfire: stereotyped wrong, contrast right
    assert classify(False, False) == "d"


def test_table_of_counts_every_outcome() -> None:
    t = Table.of(["a", "a", "b", "c", "c", "c", "d", "error", "error"])
    assert (t.a, t.b, t.c, t.d, t.errors) == (2, 1, 3, 1, 2)
    assert t.n == 7  # errored pairs are not in the table
    assert t.total == 9


def test_table_of_rejects_an_unknown_outcome() -> None:
    with pytest.raises(KeyError):
        Table.of(["a", "x"])  # type: ignore[list-item]


def test_tables_add_cell_by_cell() -> None:
    assert Table(1, 2, 3, 4, 5) + Table(10, 20, 30, 40, 50) == Table(11, 22, 33, 44, 55)


def test_compute_known_values() -> None:
    # the sample with reference/misfire:0.1 (seed 0): 58 both right, 6 misfires
    m = compute(Table(a=58, b=0, c=6, d=0))
    assert m.mar == pytest.approx(100 * 6 / 64)
    assert m.mar_unconditional == pytest.approx(100 * 6 / 64)
    assert m.br == 0.0
    assert m.acc_stereotyped == pytest.approx(100 * 58 / 64)
    assert m.acc_contrast == 100.0
    assert m.error_rate == 0.0
    assert m.mar_ci95 == pytest.approx((4.367825258519837, 18.982879599645596))


def test_compute_uses_the_conditional_mar_and_the_spec_denominators() -> None:
    m = compute(Table(a=10, b=5, c=2, d=3, errors=5))
    assert m.mar == pytest.approx(100 * 2 / 12)  # c / (a + c), not c / N
    assert m.mar_unconditional == pytest.approx(100 * 2 / 20)
    assert m.br == pytest.approx(100 * 5 / 15)  # b / (a + b)
    assert m.acc_stereotyped == pytest.approx(100 * 15 / 20)
    assert m.acc_contrast == pytest.approx(100 * 12 / 20)
    assert m.error_rate == pytest.approx(100 * 5 / 25)  # errors among all pairs run


def test_metrics_are_unrounded() -> None:
    m = compute(Table(a=2, c=1))
    assert m.mar == 100 / 3


def test_zero_denominators_give_none_not_zero() -> None:
    empty = compute(Table())
    assert empty.mar is None and empty.br is None and empty.mar_unconditional is None
    assert empty.acc_stereotyped is None and empty.acc_contrast is None
    assert empty.error_rate is None and empty.mar_ci95 is None
    only_d = compute(Table(d=4))
    assert only_d.mar is None and only_d.br is None
    assert only_d.acc_contrast == 0.0 and only_d.error_rate == 0.0
    only_errors = compute(Table(errors=3))
    assert only_errors.error_rate == 100.0 and only_errors.mar is None


def test_as_dict_flattens_the_table() -> None:
    d = compute(Table(a=3, b=1, c=1, d=0, errors=1)).as_dict()
    assert {k: d[k] for k in ("n", "a", "b", "c", "d", "errors")} == {
        "n": 5,
        "a": 3,
        "b": 1,
        "c": 1,
        "d": 0,
        "errors": 1,
    }
    assert d["mar"] == pytest.approx(25.0)
    assert isinstance(d["mar_ci95"], list) and len(d["mar_ci95"]) == 2


@settings(max_examples=200, deadline=None)
@given(outcome_lists, st.data())
def test_merging_per_worker_tables_equals_computing_on_the_whole(
    outcomes: list[Outcome], data: st.DataObject
) -> None:
    # split the outcomes arbitrarily among "workers", as xdist would
    cuts = sorted(data.draw(st.lists(st.integers(0, len(outcomes)), max_size=6)))
    bounds = [0, *cuts, len(outcomes)]
    parts = [outcomes[lo:hi] for lo, hi in pairwise(bounds)]
    merged = sum((Table.of(p) for p in parts), Table())
    assert merged == Table.of(outcomes)
    assert compute(merged) == compute(Table.of(outcomes))


@settings(max_examples=200, deadline=None)
@given(counts, counts, counts, counts, counts)
def test_every_percentage_is_within_0_and_100(a: int, b: int, c: int, d: int, e: int) -> None:
    m = compute(Table(a, b, c, d, e))
    values = [m.mar, m.mar_unconditional, m.br, m.acc_stereotyped, m.acc_contrast, m.error_rate]
    if m.mar_ci95 is not None:
        values += list(m.mar_ci95)
    for v in values:
        if v is not None:
            assert 0.0 <= v <= 100.0
            assert not math.isnan(v)


@settings(max_examples=200, deadline=None)
@given(counts, counts, counts, counts)
def test_swapping_the_halves_of_every_pair_turns_mar_into_br(
    a: int, b: int, c: int, d: int
) -> None:
    # (stereotyped, contrast) -> (contrast, stereotyped) moves b <-> c
    m, swapped = compute(Table(a, b, c, d)), compute(Table(a, c, b, d))
    assert swapped.br == m.mar
    assert swapped.mar == m.br
    assert swapped.acc_stereotyped == m.acc_contrast
    assert swapped.acc_contrast == m.acc_stereotyped


@settings(max_examples=200, deadline=None)
@given(counts, counts, counts, counts)
def test_the_wilson_interval_of_mar_contains_mar(a: int, b: int, c: int, d: int) -> None:
    m = compute(Table(a, b, c, d))
    assert (m.mar is None) == (m.mar_ci95 is None)
    if m.mar is not None and m.mar_ci95 is not None:
        assert m.mar_ci95[0] <= m.mar <= m.mar_ci95[1]


def test_metrics_is_frozen_plain_data() -> None:
    m = compute(Table(a=1))
    assert isinstance(m, Metrics)
    with pytest.raises(AttributeError):
        m.mar = 3.0  # type: ignore[misc]
