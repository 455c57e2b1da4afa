"""Wilson score intervals: published values and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.score.stats import Z95, wilson_interval

# (successes, n) -> (low %, high %); cross-checked against
# scipy.stats.binomtest(k, n).proportion_ci(method="wilson").
KNOWN = {
    (6, 64): (4.367825258519837, 18.982879599645596),
    (0, 10): (0.0, 27.753279986288927),
    (10, 10): (72.24672001371108, 100.0),
    (1, 2): (9.453120573423075, 90.54687942657694),
    (58, 64): (81.0171204003544, 95.63217474148016),
}


@pytest.mark.parametrize(("k", "n"), sorted(KNOWN))
def test_known_values(k: int, n: int) -> None:
    assert wilson_interval(k, n) == pytest.approx(KNOWN[(k, n)], abs=1e-9)


def test_z95_is_the_two_sided_95_percent_quantile() -> None:
    from statistics import NormalDist

    assert pytest.approx(NormalDist().inv_cdf(0.975), abs=1e-12) == Z95


def test_empty_sample_has_no_interval() -> None:
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_impossible_counts_are_rejected(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(k, n)


def test_a_narrower_z_gives_a_narrower_interval() -> None:
    wide, narrow = wilson_interval(6, 64), wilson_interval(6, 64, z=1.0)
    assert wide is not None and narrow is not None
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


@st.composite
def proportions(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=100_000))
    return draw(st.integers(min_value=0, max_value=n)), n


@settings(max_examples=200, deadline=None)
@given(proportions())
def test_interval_contains_the_estimate_and_stays_in_0_100(kn: tuple[int, int]) -> None:
    k, n = kn
    ci = wilson_interval(k, n)
    assert ci is not None
    low, high = ci
    assert 0.0 <= low <= 100 * k / n <= high <= 100.0


@settings(max_examples=150, deadline=None)
@given(proportions())
def test_interval_is_symmetric_under_complement(kn: tuple[int, int]) -> None:
    k, n = kn
    ci, mirror = wilson_interval(k, n), wilson_interval(n - k, n)
    assert ci is not None and mirror is not None
    assert ci[0] == pytest.approx(100 - mirror[1], abs=1e-9)
    assert ci[1] == pytest.approx(100 - mirror[0], abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10_000))
def test_more_data_narrows_the_interval(n: int) -> None:
    # the same proportion (1/2) on 4x the pairs gives a strictly narrower interval
    small, large = wilson_interval(n, 2 * n), wilson_interval(4 * n, 8 * n)
    assert small is not None and large is not None
    assert large[1] - large[0] < small[1] - small[0]
