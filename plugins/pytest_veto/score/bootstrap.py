"""Pair-level percentile bootstrap of the 2x2 metrics (veto-spec section 4).

A resample draws N pairs with replacement from the run's N answered pairs. Every metric
here (MAR, BR and the two accuracies) depends on a resample only through its cell counts
``(a*, b*, c*, d*)``, and the counts of N draws with replacement from a population with
cells ``(a, b, c, d)`` follow ``Multinomial(N; a/N, b/N, c/N, d/N)`` exactly. So the
counts are drawn directly: the same bootstrap distribution as resampling pair indices, in
O(resamples) instead of O(resamples x N) time and memory (the tests compare the two).

Each stream (a variant, a category) gets its own generator seeded from ``(seed, stream)``,
so an interval does not change when other categories or variants are added to a run.
numpy is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: Metrics with a bootstrap interval, in report order.
BOOTSTRAP_METRICS: tuple[str, ...] = ("mar", "br", "acc_stereotyped", "acc_contrast")
#: The spec's number of resamples.
DEFAULT_RESAMPLES = 10_000

Interval = tuple[float, float]


def stream_entropy(seed: int, stream: str) -> list[int]:
    """Entropy for ``numpy.random.SeedSequence`` from a run seed and a stream name.

    CRC-32 rather than ``hash()``: string hashing is salted per process, and the interval
    must be the same in every process and on every machine.
    """
    return [seed % 2**64, zlib.crc32(stream.encode("utf-8"))]


def counts_of(outcomes: Iterable[str]) -> tuple[int, int, int, int]:
    """Cells ``(a, b, c, d)`` of some outcomes; ``error`` pairs are not in the table."""
    count = Counter(outcomes)
    unknown = set(count) - {"a", "b", "c", "d", "error"}
    if unknown:
        raise ValueError(f"unknown outcomes {sorted(unknown)}; expected a, b, c, d or error")
    return count["a"], count["b"], count["c"], count["d"]


def resample_counts(
    a: int, b: int, c: int, d: int, *, resamples: int, seed: int, stream: str = ""
) -> np.ndarray:
    """``resamples`` x 4 array of resampled cell counts (each row sums to a + b + c + d)."""
    import numpy as np

    cells = (a, b, c, d)
    if min(cells) < 0:
        raise ValueError(f"cell counts must be >= 0, got {cells}")
    if resamples < 1:
        raise ValueError(f"need at least one resample, got {resamples}")
    n = sum(cells)
    rng = np.random.default_rng(np.random.SeedSequence(stream_entropy(seed, stream)))
    if n == 0:
        return np.zeros((resamples, 4), dtype=np.int64)
    return rng.multinomial(n, np.array(cells, dtype=np.float64) / n, size=resamples)


def _ratio_interval(num: np.ndarray, den: np.ndarray, tail: float) -> Interval | None:
    """Percentile interval of ``100 * num / den`` over the resamples where den > 0."""
    import numpy as np

    defined = den > 0
    if not defined.any():
        return None
    values = 100.0 * num[defined] / den[defined]
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return (float(low), float(high))


def bootstrap_intervals(
    a: int,
    b: int,
    c: int,
    d: int,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    stream: str = "",
    confidence: float = 0.95,
) -> dict[str, Interval | None]:
    """Percentile intervals (percent) of MAR, BR, acc_stereotyped and acc_contrast.

    A resample where a metric's denominator is 0 is skipped for that metric (MAR needs
    ``a* + c* > 0``); a metric undefined in every resample, or a table with no pairs,
    gets None. Deterministic for a given ``(seed, stream)``.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    draws = resample_counts(a, b, c, d, resamples=resamples, seed=seed, stream=stream)
    if a + b + c + d == 0:
        return dict.fromkeys(BOOTSTRAP_METRICS, None)
    ra, rb, rc, rd = draws.T
    n = ra + rb + rc + rd
    tail = 50.0 * (1.0 - confidence)
    return {
        "mar": _ratio_interval(rc, ra + rc, tail),
        "br": _ratio_interval(rb, ra + rb, tail),
        "acc_stereotyped": _ratio_interval(ra + rb, n, tail),
        "acc_contrast": _ratio_interval(ra + rc, n, tail),
    }


def bootstrap_outcomes(
    outcomes: Iterable[str],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    stream: str = "",
    confidence: float = 0.95,
) -> dict[str, Interval | None]:
    """``bootstrap_intervals`` of per-pair outcomes (``a``/``b``/``c``/``d``/``error``)."""
    a, b, c, d = counts_of(outcomes)
    return bootstrap_intervals(
        a, b, c, d, resamples=resamples, seed=seed, stream=stream, confidence=confidence
    )
