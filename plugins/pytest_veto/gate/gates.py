"""Gates: thresholds checked against a run's metrics. A gate passes only on evidence.

A metric that cannot be computed (no pairs, a zero denominator) fails its gate: a run
that measured nothing must never pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Direction = Literal["max", "min"]


@dataclass(frozen=True)
class GateSpec:
    """A requested gate: ``value <= threshold`` (max) or ``value >= threshold`` (min)."""

    name: str
    metric: str
    threshold: float
    direction: Direction = "max"
    unit: str = "%"


@dataclass(frozen=True)
class GateResult:
    """A checked gate."""

    name: str
    metric: str
    threshold: float
    value: float | None
    passed: bool
    message: str

    def as_dict(self) -> dict[str, object]:
        """Plain mapping for the JSON report."""
        return {
            "name": self.name,
            "metric": self.metric,
            "threshold": self.threshold,
            "value": self.value,
            "passed": self.passed,
            "message": self.message,
        }


def percent(part: int, whole: int) -> float | None:
    """``part`` as a percent of ``whole``; None when ``whole`` is 0 (nothing to measure,
    which fails the gate that reads it)."""
    return 100.0 * part / whole if whole else None


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.2f}%"
    return f"{value:g}{unit}"


def check(spec: GateSpec, value: float | None, note: str = "") -> GateResult:
    """Check one gate; a missing value fails with the reason."""
    op = "<=" if spec.direction == "max" else ">="
    if value is None:
        reason = note or "no data to compute it"
        return GateResult(
            spec.name,
            spec.metric,
            spec.threshold,
            None,
            False,
            f"{spec.metric} could not be computed ({reason}): FAIL",
        )
    passed = value <= spec.threshold if spec.direction == "max" else value >= spec.threshold
    verdict = "pass" if passed else "FAIL"
    message = (
        f"{spec.metric} = {_fmt(value, spec.unit)} (required {op} "
        f"{_fmt(spec.threshold, spec.unit)}): {verdict}"
    )
    if note:
        message += f"; {note}"
    return GateResult(spec.name, spec.metric, spec.threshold, value, passed, message)


def subset_check(
    name: str, what: str, selected: int, dataset: int | None, allowed: bool, how: str
) -> GateResult | None:
    """The gate on a selection smaller than the data set (``-k``, ``--deselect``, ...):
    a "max" gate on the cases left out, at most 0 unless ``allowed`` (``--veto-allow-subset``).
    None when there is nothing to say: the whole data set was selected, its size is
    unknown, or nothing of it was selected. ``what`` names the cases ("pair cases"),
    ``how`` the selections that make a subset."""
    if dataset is None or not 0 < selected < dataset:
        return None
    spec = GateSpec(name, f"{what} not selected", dataset if allowed else 0, "max", "")
    ran = f"{selected} of the data set's {dataset} {what} selected"
    note = (
        f"{ran}: a subset, allowed by --veto-allow-subset"
        if allowed
        else f"{ran} ({how}): pass --veto-allow-subset "
        "(ini veto_allow_subset = true) if the subset is intended"
    )
    return check(spec, float(dataset - selected), note)


def all_passed(results: Sequence[GateResult]) -> bool:
    """True when there is at least one gate and every gate passed."""
    return bool(results) and all(r.passed for r in results)
