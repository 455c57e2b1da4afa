"""The pair-level bootstrap: exactness of the count draw, determinism, edge cases, speed."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.score.bootstrap import (
    BOOTSTRAP_METRICS,
    bootstrap_intervals,
    bootstrap_outcomes,
    counts_of,
    resample_counts,
    stream_entropy,
)

np = pytest.importorskip("numpy")

cells = st.tuples(*[st.integers(min_value=0, max_value=60)] * 4).filter(lambda t: sum(t) > 0)


def point(a: int, b: int, c: int, d: int) -> dict[str, float | None]:
    n = a + b + c + d

    def pct(num: int, den: int) -> float | None:
        return 100.0 * num / den if den else None

    return {
        "mar": pct(c, a + c),
        "br": pct(b, a + b),
        "acc_stereotyped": pct(a + b, n),
        "acc_contrast": pct(a + c, n),
    }


@settings(max_examples=150, deadline=None)
@given(cells)
def test_percentile_interval_contains_the_estimate(t: tuple[int, int, int, int]) -> None:
    # Not a theorem for a percentile interval of a ratio in general (the estimate is not
    # guaranteed to sit between the 2.5% and 97.5% resample quantiles), but for these
    # cell-count statistics the resample distribution puts mass on both sides of the
    # estimate; the Wilson interval, which is guaranteed, is tested in test_stats.py.
    intervals = bootstrap_intervals(*t, resamples=2000, seed=11)
    for name, estimate in point(*t).items():
        ci = intervals[name]
        if estimate is None:  # undefined in the data: undefined in every resample too
            assert ci is None, name
        else:
            assert ci is not None, name
            assert 0.0 <= ci[0] <= estimate <= ci[1] <= 100.0, (name, t, ci)


@settings(max_examples=60, deadline=None)
@given(cells, st.integers(min_value=0, max_value=2**32))
def test_deterministic_under_its_seed(t: tuple[int, int, int, int], seed: int) -> None:
    one = bootstrap_intervals(*t, resamples=500, seed=seed, stream="base|Age")
    two = bootstrap_intervals(*t, resamples=500, seed=seed, stream="base|Age")
    assert one == two


def test_another_seed_or_stream_gives_other_resamples() -> None:
    base = resample_counts(40, 5, 12, 3, resamples=1000, seed=0, stream="base|*")
    assert not np.array_equal(
        base, resample_counts(40, 5, 12, 3, resamples=1000, seed=1, stream="base|*")
    )
    assert not np.array_equal(
        base, resample_counts(40, 5, 12, 3, resamples=1000, seed=0, stream="base|Age")
    )
    assert bootstrap_intervals(40, 5, 12, 3, seed=0) != bootstrap_intervals(40, 5, 12, 3, seed=1)


def test_stream_entropy_is_stable_across_processes() -> None:
    # CRC-32, not the salted hash(): a fixed value, here and on every machine. (The
    # intervals themselves are not pinned: numpy does not promise the same Generator
    # stream across releases, only within one.)
    assert stream_entropy(0, "base|Age") == [0, 1100753096]
    assert stream_entropy(-1, "")[0] == 2**64 - 1


def test_resampled_counts_keep_n_and_average_to_the_table() -> None:
    draws = resample_counts(300, 20, 60, 20, resamples=20_000, seed=3)
    assert draws.shape == (20_000, 4)
    assert (draws.sum(axis=1) == 400).all()
    assert draws.mean(axis=0) == pytest.approx([300, 20, 60, 20], rel=0.01)


def test_count_draw_matches_resampling_pair_indices() -> None:
    # The module's claim: drawing the counts from a multinomial is the pair bootstrap.
    # Resample indices the long way and compare the bootstrap distributions of MAR.
    outcomes = np.repeat(np.arange(4), [150, 10, 30, 10])
    rng = np.random.default_rng(5)
    idx = rng.integers(0, len(outcomes), size=(20_000, len(outcomes)))
    sample = outcomes[idx]
    a, c = (sample == 0).sum(axis=1), (sample == 2).sum(axis=1)
    long_way = 100.0 * c / (a + c)
    draws = resample_counts(150, 10, 30, 10, resamples=20_000, seed=5)
    short_way = 100.0 * draws[:, 2] / (draws[:, 0] + draws[:, 2])
    for q in (2.5, 25, 50, 75, 97.5):
        assert np.percentile(short_way, q) == pytest.approx(np.percentile(long_way, q), abs=0.5)
    assert short_way.std() == pytest.approx(long_way.std(), rel=0.03)


def test_zero_denominators_give_none_not_nan() -> None:
    # only bias pairs: MAR's a + c is 0 in the data and in every resample
    only_b = bootstrap_intervals(0, 7, 0, 0, resamples=200)
    assert only_b["mar"] is None
    assert only_b["br"] == (100.0, 100.0)
    assert only_b["acc_contrast"] == (0.0, 0.0)
    assert bootstrap_intervals(0, 0, 0, 0) == dict.fromkeys(BOOTSTRAP_METRICS, None)


def test_resamples_with_an_empty_denominator_are_skipped() -> None:
    # one contrast-right pair among many: some resamples have a + c = 0; MAR is still
    # defined from the others, and can only be 100 (the one pair is a misfire)
    ci = bootstrap_intervals(0, 0, 1, 30, resamples=2000, seed=2)
    assert ci["mar"] == (100.0, 100.0)


def test_outcomes_are_counted_and_errors_left_out() -> None:
    assert counts_of(["a", "c", "c", "error", "d", "b"]) == (1, 1, 2, 1)
    assert bootstrap_outcomes(
        ["a", "c", "error"] * 10, resamples=300, seed=4
    ) == bootstrap_intervals(10, 0, 10, 0, resamples=300, seed=4)
    with pytest.raises(ValueError, match="unknown outcomes"):
        counts_of(["a", "x"])


@pytest.mark.parametrize("kwargs", [{"resamples": 0}, {"confidence": 1.0}, {"confidence": 0}])
def test_bad_parameters_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        bootstrap_intervals(1, 1, 1, 1, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cell counts"):
        bootstrap_intervals(-1, 1, 1, 1)


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    narrow = bootstrap_intervals(900, 30, 80, 20, confidence=0.8)["mar"]
    wide = bootstrap_intervals(900, 30, 80, 20, confidence=0.99)["mar"]
    assert narrow is not None and wide is not None
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_full_dataset_size_is_fast() -> None:
    # 2,032 pairs x 10,000 resamples (the spec's setting): a few ms once numpy is loaded
    bootstrap_intervals(1, 1, 1, 1, resamples=10)  # import numpy outside the timing
    start = time.perf_counter()
    for stream in ("*", *"12345678"):  # overall + 8 categories, as run_statistics does
        bootstrap_intervals(1700, 60, 200, 72, resamples=10_000, stream=stream)
    assert time.perf_counter() - start < 1.0


def test_importing_the_statistics_and_report_modules_loads_no_numpy_or_matplotlib() -> None:
    code = (
        "import sys, pytest_veto.score.stats, pytest_veto.score.baseline, "
        "pytest_veto.report.markdown, pytest_veto.report.html, pytest_veto.report.command, "
        "pytest_veto.cli; "
        "print(sorted(m for m in ('numpy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
