"""Interval estimates and tests used by the gates (veto-spec section 4).

Wilson intervals, the exact one-sided McNemar test, Benjamini-Hochberg correction, and
``run_statistics``: the whole statistics block of a run (the bootstrap is in
``bootstrap.py``). Pure functions; numpy is imported only by the bootstrap, when it runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from pytest_veto.score.bootstrap import DEFAULT_RESAMPLES, bootstrap_intervals, counts_of

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
    return min(1.0, tail / (1 << n))


def benjamini_hochberg(pvalues: Sequence[float], q: float = 0.05) -> tuple[list[float], list[bool]]:
    """Benjamini-Hochberg step-up: (adjusted p-values, rejected flags), in the input order.

    The adjusted p-value of the i-th smallest of m p-values is
    ``min(1, min over j >= i of p_(j) * m / j)``; a hypothesis is rejected when its
    adjusted p-value is <= q, which rejects exactly the k smallest p-values for the
    largest k with ``p_(k) <= k * q / m``. Equal p-values get equal adjusted values.
    """
    if not 0.0 < q <= 1.0:
        raise ValueError(f"q must be within (0, 1], got {q}")
    for p in pvalues:
        if not 0.0 <= p <= 1.0:  # also rejects NaN
            raise ValueError(f"p-values must be within [0, 1], got {p}")
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        # max(): p * m / rank can round a hair below p when rank == m
        adjusted[i] = max(pvalues[i], running)
    return adjusted, [p <= q for p in adjusted]


class PairOutcomeLike(Protocol):
    """What ``run_statistics`` reads of a pair result (``PairResult`` or ``PairRow``)."""

    @property
    def category(self) -> str:
        """The pair's category."""

    @property
    def variant(self) -> str:
        """``base`` or a priming variant."""

    @property
    def outcome(self) -> str:
        """``a``, ``b``, ``c``, ``d`` or ``error``."""


def _interval(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


def _cell_block(
    outcomes: list[str], *, seed: int, resamples: int, stream: str, confidence: float
) -> dict[str, Any]:
    a, b, c, d = counts_of(outcomes)
    p = mcnemar_one_sided(c, b)
    boot = bootstrap_intervals(
        a, b, c, d, resamples=resamples, seed=seed, stream=stream, confidence=confidence
    )
    return {
        "n": a + b + c + d,
        "b": b,
        "c": c,
        "wilson": {
            "mar": _interval(wilson_interval(c, a + c)),
            "br": _interval(wilson_interval(b, a + b)),
        },
        "bootstrap": {name: _interval(ci) for name, ci in boot.items()},
        "mcnemar_p": p,
    }


def run_statistics(
    pairs: Sequence[PairOutcomeLike],
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    *,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The statistics block of a run: per variant, overall and per category.

    Each block has Wilson intervals of MAR and BR, pair-level bootstrap percentile
    intervals of MAR, BR and both accuracies (all at ``confidence``), and the exact
    one-sided McNemar p-value of c > b. Per category, the p-values of one variant form one
    family, corrected with Benjamini-Hochberg at q = ``alpha``; the overall test is a
    single test at ``alpha``. Errored pairs are in no table, so in no statistic.
    Plain JSON-able data in a stable order (variants ``base`` first, categories sorted).
    """
    variants = sorted({p.variant for p in pairs}, key=lambda v: (v != "base", v))
    blocks: dict[str, Any] = {}
    for variant in variants:
        mine = [p for p in pairs if p.variant == variant]
        overall = _cell_block(
            [p.outcome for p in mine],
            seed=seed,
            resamples=resamples,
            stream=f"{variant}|*",
            confidence=confidence,
        )
        overall["significant"] = overall["mcnemar_p"] < alpha
        categories = sorted({p.category for p in mine})
        by_category = {
            cat: _cell_block(
                [p.outcome for p in mine if p.category == cat],
                seed=seed,
                resamples=resamples,
                stream=f"{variant}|{cat}",
                confidence=confidence,
            )
            for cat in categories
        }
        adjusted, rejected = benjamini_hochberg(
            [by_category[cat]["mcnemar_p"] for cat in categories], alpha
        )
        for cat, adj, rej in zip(categories, adjusted, rejected, strict=True):
            by_category[cat]["bh_adjusted_p"] = adj
            by_category[cat]["significant"] = rej
        blocks[variant] = {"overall": overall, "by_category": by_category}
    return {
        "method": {
            "confidence": confidence,
            "bootstrap": {
                "unit": "pair",
                "interval": "percentile",
                "resamples": resamples,
                "seed": seed,
                "strata": "none overall; the category per category",
            },
            "mcnemar": "exact one-sided, c > b",
            "multiple_testing": {
                "method": "benjamini-hochberg",
                "q": alpha,
                "family": "the categories of one variant",
            },
        },
        "variants": blocks,
    }
