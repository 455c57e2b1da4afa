"""Is a JSON report consistent with itself? A report is evidence only if its verdict
follows from its gates and its metrics from its pairs: ``pytest-veto report`` and
``--veto-baseline`` recompute both instead of trusting an edited ``"passed": true``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from pytest_veto.score.metrics import Outcome, Table, compute

#: gates whose value must be at least the threshold (every other gate: at most)
_MIN_GATES = ("min_pairs", "misalign_min_")
#: gates whose verdict is not a plain comparison (significance decides)
_TESTED_GATES = ("baseline_regression",)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _gate_issues(gates: list[Mapping[str, Any]], passed: bool) -> list[str]:
    issues = []
    failed = [g["name"] for g in gates if not g["passed"]]
    if passed and not gates:
        issues.append('"passed" is true but the report has no gates')
    elif passed and failed:
        issues.append(f'"passed" is true but gate(s) failed: {", ".join(failed)}')
    for g in gates:
        name, value, threshold = g["name"], g["value"], g["threshold"]
        if value is None:
            if g["passed"]:
                issues.append(f"gate {name}: passed without a value")
            continue
        if name.startswith(_TESTED_GATES):
            continue
        ok = value >= threshold if name.startswith(_MIN_GATES) else value <= threshold
        if ok != g["passed"]:
            issues.append(
                f"gate {name}: value {value:g} against threshold {threshold:g} "
                f"does not give passed={g['passed']}"
            )
    return issues


def _metric_issues(report: Mapping[str, Any]) -> list[str]:
    issues = []
    for variant, metrics in report["metrics"].items():
        overall = metrics["overall"]
        outcomes = [cast(Outcome, p["outcome"]) for p in report["pairs"] if p["variant"] == variant]
        m = compute(Table.of(outcomes)).as_dict()
        for key in ("a", "b", "c", "d", "errors"):
            if overall[key] != m[key]:
                issues.append(
                    f"metrics.{variant}.overall.{key} = {overall[key]}, but the "
                    f"report's pairs give {m[key]}"
                )
        for key in ("mar", "br"):
            if not _close(overall[key], m[key]):
                issues.append(
                    f"metrics.{variant}.overall.{key} = {overall[key]}, but the "
                    f"report's pairs give {m[key]}"
                )
        ci = overall.get("mar_ci95")
        if (
            ci is not None
            and overall["mar"] is not None
            and not (ci[0] - 1e-9 <= overall["mar"] <= ci[1] + 1e-9)
        ):
            issues.append(
                f"metrics.{variant}.overall.mar = {overall['mar']} lies outside "
                f"its own interval {ci}"
            )
    return issues


def inconsistencies(report: Mapping[str, Any]) -> list[str]:
    """What in a schema-valid report contradicts the rest of it (empty: consistent)."""
    return _gate_issues(list(report["gates"]), bool(report["passed"])) + _metric_issues(report)
