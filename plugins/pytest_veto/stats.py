"""Interval estimates and tests used by the gates (veto-spec section 4)."""

from __future__ import annotations

import math

#: z for a two-sided 95% interval.
Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion, as percentages; None when n is 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # clamp rounding noise so the interval always contains the point estimate
    low = min(max(0.0, centre - half), p)
    high = max(min(1.0, centre + half), p)
    return (100 * low, 100 * high)


def mcnemar_one_sided(more: int, fewer: int) -> float:
    """Exact one-sided McNemar p-value that ``more`` exceeds ``fewer`` by chance.

    The discordant counts of a paired 2x2 table; under H0 each discordant pair falls on
    either side with probability 1/2, so p = P(X >= more) for X ~ Binomial(more+fewer, 1/2).
    Returns 1.0 when there are no discordant pairs.
    """
    if more < 0 or fewer < 0:
        raise ValueError("counts must be >= 0")
    n = more + fewer
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(more, n + 1))
    return min(1.0, tail / 2**n)
