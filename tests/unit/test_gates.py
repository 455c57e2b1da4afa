"""Gates: thresholds in both directions, boundaries, and never passing without evidence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.gate.gates import GateResult, GateSpec, all_passed, check

MAR = GateSpec("mar_max", "MAR", 15.0)
PAIRS = GateSpec("min_pairs", "answered pairs", 1, "min", "")


def test_a_max_gate_passes_at_and_below_the_threshold() -> None:
    assert check(MAR, 9.375).passed
    assert check(MAR, 15.0).passed  # the boundary passes: "required <= 15"
    assert not check(MAR, 15.000001).passed


def test_a_min_gate_passes_at_and_above_the_threshold() -> None:
    assert check(PAIRS, 64.0).passed
    assert check(PAIRS, 1.0).passed
    assert not check(PAIRS, 0.0).passed


def test_messages_name_value_threshold_and_verdict() -> None:
    ok, bad = check(MAR, 9.375), check(GateSpec("mar_max", "MAR", 5.0), 9.375)
    assert ok.message == "MAR = 9.38% (required <= 15.00%): pass"
    assert bad.message == "MAR = 9.38% (required <= 5.00%): FAIL"
    assert check(PAIRS, 64.0).message == "answered pairs = 64 (required >= 1): pass"


def test_a_note_is_appended() -> None:
    r = check(
        GateSpec("all_pairs_accounted", "cases without a result", 0, "max", ""),
        1.0,
        "no result for: t.py::test_pair[x]",
    )
    assert not r.passed
    assert r.message.endswith("; no result for: t.py::test_pair[x]")


def test_a_value_that_cannot_be_computed_fails() -> None:
    r = check(MAR, None)
    assert not r.passed and r.value is None
    assert r.message == "MAR could not be computed (no data to compute it): FAIL"
    assert "no pairs ran" in check(MAR, None, "no pairs ran").message
    assert not check(PAIRS, None).passed


def test_result_fields_and_dict() -> None:
    r = check(MAR, 9.375)
    assert (r.name, r.metric, r.threshold, r.value) == ("mar_max", "MAR", 15.0, 9.375)
    d = r.as_dict()
    assert d == {
        "name": "mar_max",
        "metric": "MAR",
        "threshold": 15.0,
        "value": 9.375,
        "passed": True,
        "message": r.message,
    }
    json.dumps(d)


def test_all_passed_needs_at_least_one_gate_and_every_gate() -> None:
    ok, bad = check(MAR, 1.0), check(MAR, 99.0)
    assert all_passed([ok, ok])
    assert not all_passed([ok, bad])
    assert not all_passed([])  # no gate checked: nothing was measured, no pass


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 100), st.floats(0, 100))
def test_max_and_min_gates_agree_with_the_comparison(value: float, threshold: float) -> None:
    assert check(GateSpec("g", "m", threshold), value).passed == (value <= threshold)
    assert check(GateSpec("g", "m", threshold, "min"), value).passed == (value >= threshold)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 100), st.floats(0, 100))
def test_the_message_says_pass_exactly_when_it_passed(value: float, threshold: float) -> None:
    r = check(GateSpec("g", "m", threshold), value)
    assert r.message.endswith(": pass") == r.passed
    assert r.message.endswith(": FAIL") == (not r.passed)


def test_gate_results_are_frozen() -> None:
    r = check(MAR, 1.0)
    assert isinstance(r, GateResult)
    with pytest.raises(AttributeError):
        r.passed = False  # type: ignore[misc]
