"""Is a JSON report consistent with itself? A report is evidence only if its verdict
follows from its gates, its metrics from its pairs and its control numbers from its
control rows: ``pytest-veto report`` and
``--veto-baseline`` recompute both instead of trusting an edited ``"passed": true``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from pytest_veto.score.metrics import Outcome, Table, compute

#: gates whose verdict is not a plain comparison (significance decides)
_TESTED_GATES = ("baseline_regression",)


def _is_min_gate(name: str) -> bool:
    """A gate whose value must be at least its threshold: by the naming rule every gate
    follows, ``min`` is one of its words (``min_pairs``, ``misalign_min_score``,
    ``control_min_accuracy``); every other gate is a maximum."""
    return "min" in name.partition(":")[0].split("_")  # not a variant's name after ":"


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
        ok = value >= threshold if _is_min_gate(name) else value <= threshold
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


def _control_issues(report: Mapping[str, Any]) -> list[str]:
    """The controls' counts, yes_bias and accuracy against the control rows."""
    controls = report.get("controls")
    if not isinstance(controls, Mapping):
        return []
    rows = controls["rows"]
    answers = {a: sum(r["answer"] == a for r in rows) for a in controls["answers"]}
    errors = sum(r["answer"] == "error" for r in rows)
    answered = len(rows) - errors
    found = {
        "ran": len(rows),
        "errors": errors,
        "answered": answered,
        "answers": answers,
        "yes_bias": 100.0 * answers["yes"] / answered if answered else None,
        "accuracy": 100.0 * answers["no"] / answered if answered else None,
    }
    issues = []
    for key, value in found.items():
        stated = controls[key]
        same = _close(stated, value) if key in ("yes_bias", "accuracy") else stated == value
        if not same:
            issues.append(f"controls.{key} = {stated}, but the report's control rows give {value}")
    return issues


def _explore_issues(report: Mapping[str, Any]) -> list[str]:
    """The exploration totals and misfire gate against the templates' records."""
    section = report.get("explore")
    if not isinstance(section, Mapping):
        return []
    records = section["templates_explored"]
    found = {
        "templates": len(records),
        "examples": sum(r["examples"] for r in records),
        "errors": sum(r["errors"] for r in records),
        "misfired_templates": sum(bool(r["misfires"]) for r in records),
        "misfires": sum(len(r["misfires"]) for r in records),
    }
    issues = [
        f"explore.{key} = {section[key]}, but the report's templates give {value}"
        for key, value in found.items()
        if section[key] != value
    ]
    for gate in report["gates"]:
        named = gate["name"] == "explore_max_misfires" and gate["value"] is not None
        if named and gate["value"] != found["misfired_templates"]:
            issues.append(
                f"gate explore_max_misfires: value {gate['value']:g}, but the report's "
                f"templates give {found['misfired_templates']}"
            )
    return issues


def inconsistencies(report: Mapping[str, Any]) -> list[str]:
    """What in a schema-valid report contradicts the rest of it (empty: consistent)."""
    gates = _gate_issues(list(report["gates"]), bool(report["passed"]))
    return gates + _metric_issues(report) + _control_issues(report) + _explore_issues(report)
