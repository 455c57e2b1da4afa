"""The Mis-Align gates: Coverage, False Failure Rate, Alignment Score, answered items and
errors, checked against their limits (veto-spec section 7). Pure: evaluation in, gates out.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_veto.gate.gates import GateResult, GateSpec, check
from pytest_veto.misalign.metrics import Evaluation


@dataclass(frozen=True)
class MisalignLimits:
    """Thresholds of the Mis-Align gates (fractions in [0, 1]; None: not gated);
    ``max_error_rate`` is in percent, shared with the VETO error gate, and so is the
    error-rate gate's value: both error gates of a run read in one unit."""

    min_score: float | None = None
    max_ffr: float | None = None
    min_coverage: float | None = None
    max_error_rate: float = 0.0
    min_items: int = 1


def misalign_gates(evaluation: Evaluation, limits: MisalignLimits) -> list[GateResult]:
    """The Mis-Align gates of one evaluation (built only when Mis-Align items ran)."""
    o = evaluation.overall
    out = [
        check(
            GateSpec("misalign_min_items", "answered Mis-Align items", limits.min_items, "min", ""),
            float(o.counts.n),
        ),
        check(
            GateSpec("misalign_max_error_rate", "Mis-Align error rate", limits.max_error_rate),
            None if o.error_rate is None else 100 * o.error_rate,  # percent, as the limit
            "no items ran" if o.error_rate is None else "",
        ),
    ]
    if limits.min_score is not None:
        out.append(
            check(
                GateSpec("misalign_min_score", "Alignment Score", limits.min_score, "min", ""),
                o.alignment_score,
            )
        )
    if limits.max_ffr is not None:
        out.append(
            check(
                GateSpec("misalign_max_ffr", "False Failure Rate", limits.max_ffr, "max", ""), o.ffr
            )
        )
    if limits.min_coverage is not None:
        out.append(
            check(
                GateSpec("misalign_min_coverage", "Coverage", limits.min_coverage, "min", ""),
                o.coverage,
            )
        )
    return out


def requested(limits: MisalignLimits) -> bool:
    """Did the user set a Mis-Align threshold? Then the Mis-Align gates are evaluated even
    when no item was selected (and fail: nothing was measured)."""
    return (
        limits.min_score is not None
        or limits.max_ffr is not None
        or limits.min_coverage is not None
    )
