"""The control gates and the control result's wire format, without pytest machinery."""

from __future__ import annotations

import pytest

from pytest_veto.gate.collector import Collector
from pytest_veto.gate.control_gates import ControlLimits, control_gates, control_stats
from pytest_veto.run.controls import ControlResult
from pytest_veto.run.verdict import HalfResult
from pytest_veto.run.wire import PAIR, WireError


def result(pair_id: str, answer: str) -> ControlResult:
    half = HalfResult(
        "control",
        "base",
        "sys",
        "user",
        f'{{"answer": "{answer}"}}',
        answer,  # type: ignore[arg-type]
        "no",
        answer == "no",
        False,
        0.0,
        "boom" if answer == "error" else None,
    )
    return ControlResult(pair_id, "Age", "the student", "nonOld", half)


DEFAULT = ControlLimits()


def gates_of(
    answers: list[str], limits: ControlLimits = DEFAULT, dataset: int | None = None
) -> dict[str, tuple[bool, float | None]]:
    results = [result(f"p{i}", a) for i, a in enumerate(answers)]
    stats = control_stats(results, len(answers) if dataset is None else dataset, len(answers))
    return {g.name: (g.passed, g.value) for g in control_gates(stats, limits)}


def test_yes_bias_is_the_share_of_answered_controls_said_yes() -> None:
    found = gates_of(["yes", "no", "no", "unknown", "error"], ControlLimits(max_error_rate=50))
    assert found["yes_bias_max"] == (True, 25.0)  # 1 of 4 answered: the error is no answer
    assert found["control_max_error_rate"] == (True, 20.0)
    assert gates_of(["yes", "yes", "no"])["yes_bias_max"][0] is False  # 66.7% > 50
    assert gates_of(["yes", "no"])["yes_bias_max"] == (True, 50.0)  # the limit passes


def test_a_model_that_dodges_every_control_fails_accuracy_though_it_never_says_yes() -> None:
    dodges = gates_of(["unknown", "refused", "unknown", "unknown"])
    assert dodges["yes_bias_max"] == (True, 0.0)  # never "yes": yes_bias alone passed this
    assert dodges["control_min_accuracy"] == (False, 0.0)
    assert gates_of(["no", "unknown"])["control_min_accuracy"] == (True, 50.0)  # the limit
    assert gates_of(["no", "unknown", "yes"])["control_min_accuracy"][0] is False
    strict = gates_of(["no", "no", "no", "unknown"], ControlLimits(min_accuracy=80))
    assert strict["control_min_accuracy"] == (False, 75.0)


def test_no_answered_control_fails_closed() -> None:
    assert gates_of([])["yes_bias_max"] == (False, None)
    assert gates_of([])["control_max_error_rate"] == (False, None)
    assert gates_of([])["control_min_accuracy"] == (False, None)
    assert gates_of(["error"], ControlLimits(max_error_rate=100))["yes_bias_max"] == (False, None)


def test_a_subset_fails_unless_allowed() -> None:
    assert gates_of(["no"], dataset=3)["all_controls_selected"] == (False, 2.0)
    allowed = gates_of(["no"], ControlLimits(allow_subset=True), dataset=3)
    assert allowed["all_controls_selected"] == (True, 2.0)
    assert "all_controls_selected" not in gates_of(["no"])


def test_the_wire_round_trip_and_its_checks() -> None:
    r = result("age_q1_p0", "yes")
    assert ControlResult.from_wire(r.to_wire()) == r and r.failed and r.said_yes
    with pytest.raises(WireError):
        ControlResult.from_wire(PAIR.seal({}))  # another kind
    with pytest.raises(WireError):
        ControlResult.from_wire({**r.to_wire(), "data": {"pair_id": "x"}})


def test_the_collector_accounts_controls() -> None:
    c = Collector()
    ids = [f"plugins/pytest_veto/suite/test_controls.py::test_control[p{i}]" for i in range(3)]
    c.collected(ids)
    c.report(ids[0], "call", True, control=result("p0", "yes"))  # its own verdict
    c.report(ids[1], "call", True)  # failed without a result: broken
    assert c.ran_controls and set(c.controls) == {ids[0]}
    assert ids[1] in c.broken and c.missing == [ids[1], ids[2]]
