"""Primed MAR, amplification and the trigger effect (veto-spec section 5).

For a cue on the stereotyped half only, the contrast outcomes are those of the unprimed
run, so primed MAR = c' / (a + c) with the base denominator. A cue on both halves also
gets its own 2x2 table; its report says which form the headline number uses
(``stereotyped_only``: base denominator; ``both_halves``: still the base denominator,
counting a primed misfire where the primed stereotyped half is wrong and the *unprimed*
contrast half is right, with the variant's own-table MAR beside it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_veto.score.metrics import ScoredPair
from pytest_veto.score.stats import mcnemar_one_sided


@dataclass(frozen=True)
class Amplification:
    """A priming variant against the unprimed run, over pairs answered in both."""

    variant: str
    form: str
    n_pairs: int
    base_denominator: int
    base_misfires: int
    primed_misfires: int
    base_mar: float | None
    primed_mar: float | None
    amplification: float | None
    absolute_increase: float | None
    flips: int
    unflips: int
    mcnemar_p: float
    flips_by_category: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for the JSON report."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def amplification(variant: str, form: str, primed: Sequence[ScoredPair]) -> Amplification:
    """Compare one variant's results (each carrying its ``base_outcome``) with base."""
    rows = [
        r
        for r in primed
        if r.variant == variant
        and r.base_outcome is not None
        and r.outcome != "error"
        and r.base_outcome != "error"
    ]
    # base contrast right: the pair is in MAR's denominator (cells a and c)
    denom = [r for r in rows if r.base_outcome in ("a", "c")]
    base_c = sum(r.base_outcome == "c" for r in denom)
    # primed misfire against the base contrast: primed stereotyped wrong
    primed_c = sum(not r.stereotyped_correct for r in denom)
    n = len(denom)
    base_mar = 100 * base_c / n if n else None
    primed_mar = 100 * primed_c / n if n else None
    ratio = (primed_mar / base_mar) if (primed_mar is not None and base_mar) else None
    increase = (
        (primed_mar - base_mar) if (primed_mar is not None and base_mar is not None) else None
    )
    # paired McNemar on the per-pair misfire indicator (own-table misfires)
    flipped = [r for r in rows if r.outcome == "c" and r.base_outcome != "c"]
    unflipped = [r for r in rows if r.outcome != "c" and r.base_outcome == "c"]
    return Amplification(
        variant=variant,
        form=form,
        n_pairs=len(rows),
        base_denominator=n,
        base_misfires=base_c,
        primed_misfires=primed_c,
        base_mar=base_mar,
        primed_mar=primed_mar,
        amplification=ratio,
        absolute_increase=increase,
        flips=len(flipped),
        unflips=len(unflipped),
        mcnemar_p=mcnemar_one_sided(len(flipped), len(unflipped)),
        flips_by_category=dict(sorted(Counter(r.category for r in flipped).items())),
    )
