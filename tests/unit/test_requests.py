"""The request statistics of a run (report/requests.py)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any, cast

from pytest_veto.report.requests import RequestStats, percentile, request_stats
from tests.support.reports import pair_result


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(values, 95) == 19.0
    assert percentile(values, 50) == 10.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 95) is None


def test_the_line_and_block_say_the_same() -> None:
    stats = RequestStats(
        sent=10,
        from_cache=4,
        errors=1,
        latency_mean_s=0.5,
        latency_p95_s=1.25,
        elapsed_s=4.0,
    )
    assert stats.throughput_per_s == 2.5
    assert stats.as_dict() == {
        "sent": 10,
        "from_cache": 4,
        "errors": 1,
        "latency_mean_s": 0.5,
        "latency_p95_s": 1.25,
        "elapsed_s": 4.0,
        "throughput_per_s": 2.5,
    }
    assert stats.line() == (
        "requests: 10 sent (1 errors), 4 from the response cache; latency mean 0.50 s, "
        "p95 1.25 s; 2.5 requests/s over 4.0 s"
    )


def test_nothing_sent_has_no_latency_or_throughput() -> None:
    stats = RequestStats(0, 6, 0, None, None, 1.0)
    assert stats.throughput_per_s is None
    assert stats.line() == "requests: 0 sent (0 errors), 6 from the response cache"


def test_counts_come_from_every_half() -> None:
    """Two pairs sent (one with an errored half), one answered from the cache."""
    sent = pair_result("age_s1_p0", "a")
    errored = pair_result("age_s2_p0", "error")
    cached = pair_result("age_s3_p0", "d")
    cached = replace(
        cached,
        stereotyped=replace(cached.stereotyped, cached=True),
        contrast=replace(cached.contrast, cached=True),
    )
    slow = replace(sent, contrast=replace(sent.contrast, latency_s=0.5))
    summary = cast(Any, SimpleNamespace(pairs=(slow, errored, cached), items=()))
    stats = request_stats(summary, elapsed_s=2.0)
    assert (stats.sent, stats.from_cache, stats.errors) == (4, 2, 1)
    # answered sent halves: 0.001 (slow's stereotyped), 0.5, 0.001 (errored's contrast)
    assert stats.latency_p95_s == 0.5
    assert stats.latency_mean_s is not None and abs(stats.latency_mean_s - 0.502 / 3) < 1e-9
    assert stats.throughput_per_s == 2.0
