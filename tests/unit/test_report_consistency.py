"""A report's own claims checked against its rows (``report.consistency``): the checks
``pytest-veto report`` and ``--veto-baseline`` apply before trusting a report."""

from __future__ import annotations

import copy
from typing import Any

from pytest_veto.report.consistency import inconsistencies
from tests.support.reports import make_report
from tests.unit.test_render import BASE, controls_section


def with_controls() -> dict[str, Any]:
    report = make_report(BASE, model="m")
    report["controls"] = controls_section()
    report["gates"] = [
        {
            "name": "control_min_accuracy",
            "metric": "control accuracy",
            "value": 50.0,
            "threshold": 50.0,
            "passed": True,
            "message": "control accuracy = 50.00% (required >= 50.00%): pass",
        },
        {
            "name": "yes_bias_max",
            "metric": "yes_bias",
            "value": 25.0,
            "threshold": 50.0,
            "passed": True,
            "message": "yes_bias = 25.00% (required <= 50.00%): pass",
        },
    ]
    report["passed"] = True
    return report


def test_a_report_with_controls_is_consistent() -> None:
    assert inconsistencies(with_controls()) == []


def test_every_minimum_gate_is_read_as_a_minimum() -> None:
    """control_min_accuracy passes at or above its threshold, like min_pairs: read as a
    maximum, a passing 80% against 50% was called a contradiction."""
    report = with_controls()
    report["gates"][0] = {**report["gates"][0], "value": 80.0}
    assert inconsistencies(report) == []
    report["gates"][0] = {**report["gates"][0], "value": 20.0}  # passed at 20 < 50: a lie
    (issue,) = inconsistencies(report)
    assert issue.startswith("gate control_min_accuracy: value 20 against threshold 50")


def test_a_variant_named_min_does_not_make_a_gate_a_minimum() -> None:
    report = with_controls()
    report["gates"].append(
        {
            "name": "primed_mar_max:no_min",
            "metric": "MAR (no_min)",
            "value": 5.0,
            "threshold": 10.0,
            "passed": True,
            "message": "MAR (no_min) = 5.00% (required <= 10.00%): pass",
        }
    )
    assert inconsistencies(report) == []


def test_an_edited_exploration_is_caught() -> None:
    report = with_controls()
    found = {"template": "age_t1a", "examples": 5, "errors": 0, "misfires": [{"x": 1}]}
    report["explore"] = {
        **{"templates": 1, "examples": 5, "errors": 0, "misfired_templates": 1, "misfires": 1},
        "templates_explored": [found],
    }
    report["gates"].append(
        {
            "name": "explore_max_misfires",
            "metric": "templates misfiring",
            "value": 1.0,
            "threshold": 1.0,
            "passed": True,
            "message": "templates misfiring = 1 (required <= 1): pass",
        }
    )
    assert inconsistencies(report) == []
    report["gates"][-1] = {**report["gates"][-1], "value": 0.0, "threshold": 0.0}
    assert inconsistencies(report) == [
        "gate explore_max_misfires: value 0, but the report's templates give 1"
    ]
    report["explore"]["misfires"] = 0
    assert "explore.misfires = 0, but the report's templates give 1" in inconsistencies(report)


def test_edited_control_numbers_are_caught() -> None:
    report = with_controls()
    edited = copy.deepcopy(report)
    edited["controls"]["yes_bias"] = 0.0  # hides the one "yes"
    assert inconsistencies(edited) == [
        "controls.yes_bias = 0.0, but the report's control rows give 25.0"
    ]
    edited = copy.deepcopy(report)
    edited["controls"]["rows"][2]["answer"] = "no"  # the yes rewritten, the counts kept
    found = inconsistencies(edited)
    assert any(i.startswith("controls.answers = ") for i in found)
    assert "controls.accuracy = 50.0, but the report's control rows give 75.0" in found
