"""Controller-side aggregation: pair results -> tables and metrics by variant and group.

Pure functions over ``ScoredPair`` lists, so ``-n 0`` and ``-n 8`` give the same numbers
whatever order results arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_veto.score.metrics import Metrics, ScoredPair, Table, compute


@dataclass(frozen=True)
class VariantMetrics:
    """Metrics of one variant: overall, per category and per evidence_match group."""

    variant: str
    overall: Metrics
    by_category: dict[str, Metrics]
    swap_only: Metrics

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for the JSON report."""
        return {
            "overall": self.overall.as_dict(),
            "by_category": {k: m.as_dict() for k, m in sorted(self.by_category.items())},
            "by_evidence_match": {"swap": self.swap_only.as_dict()},
        }


def table_of(results: Iterable[ScoredPair]) -> Table:
    """The 2x2 table (plus errors) of some results."""
    return Table.of(r.outcome for r in results)


def variant_metrics(variant: str, results: Sequence[ScoredPair]) -> VariantMetrics:
    """Pooled, per-category and strict-swap metrics of one variant's results."""
    mine = [r for r in results if r.variant == variant]
    categories = sorted({r.category for r in mine})
    return VariantMetrics(
        variant=variant,
        overall=compute(table_of(mine)),
        by_category={c: compute(table_of(r for r in mine if r.category == c)) for c in categories},
        swap_only=compute(table_of(r for r in mine if r.evidence_match == "swap")),
    )


def variants_of(results: Iterable[ScoredPair]) -> list[str]:
    """Variants present, ``base`` first."""
    names = {r.variant for r in results}
    return sorted(names, key=lambda v: (v != "base", v))
