"""The exploration gates, pure: totals from the templates' records, and every gate failing
closed when it has nothing to judge."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_veto.explore.records import checked_record
from pytest_veto.gate.explore_gates import ExploreLimits, explore_gates, explore_stats
from pytest_veto.run.wire import WireError


def record(
    template: str, examples: int, errors: int = 0, misfires: int = 0, informative: int | None = None
) -> dict[str, Any]:
    found = [{"pair_id": f"{template}_{i}"} for i in range(misfires)]
    return {
        "template": template,
        "category": "Age",
        "examples": examples,
        "errors": errors,
        "informative": examples - errors if informative is None else informative,
        "calls": 2 * examples,
        "misfires": found,
        "replayed": [],
    }


def gates(records: list[dict[str, Any]], limits: ExploreLimits, **kw: Any) -> dict[str, Any]:
    stats = explore_stats(
        records, kw.get("dataset", len(records)), kw.get("selected", len(records))
    )
    return {g.name: (g.passed, g.value) for g in explore_gates(stats, limits)}


def test_the_totals_of_the_records() -> None:
    stats = explore_stats([record("a", 10, 1, 2), record("b", 5)], 3, 2)
    assert (stats.templates, stats.examples, stats.errors, stats.calls) == (2, 15, 1, 30)
    assert (stats.misfired_templates, stats.misfires) == (1, 2)
    assert stats.error_rate is not None and round(stats.error_rate, 3) == 6.667


def test_a_misfire_fails_the_run_by_default() -> None:
    found = gates([record("a", 10, misfires=1), record("b", 10)], ExploreLimits())
    assert found["explore_max_misfires"] == (False, 1.0)
    allowed = gates([record("a", 10, misfires=1)], ExploreLimits(max_misfires=1))
    assert allowed["explore_max_misfires"] == (True, 1.0)


def test_nothing_explored_fails_closed() -> None:
    # the limit was given, but no exploration test ran
    asked = gates([], ExploreLimits(max_misfires=3), selected=0)
    assert asked["explore_max_misfires"] == (False, None)
    assert asked["explore_max_error_rate"] == (False, None)
    # every example errored: nothing was drawn that could misfire
    lost = gates([record("a", 4, errors=4)], ExploreLimits(max_error_rate=50))
    assert lost["explore_max_error_rate"] == (False, 100.0)


def test_a_model_that_never_gets_a_contrast_half_right_fails() -> None:
    """Outcome d everywhere (a hedger, a refuser of both halves) can never misfire."""
    hedger = gates(
        [record("a", 10, informative=0), record("b", 10, informative=0)], ExploreLimits()
    )
    assert hedger["explore_min_informative"] == (False, 0.0)
    assert hedger["explore_max_misfires"] == (True, 0.0)
    reader = gates([record("a", 10)], ExploreLimits())
    assert reader["explore_min_informative"] == (True, 10.0)


def test_asked_for_exploration_that_did_not_run_fails() -> None:
    """--veto-explore with a -k that deselects every template: the gate fails, it is not
    dropped."""
    found = gates([], ExploreLimits(requested=True), selected=0)
    assert found["explore_max_misfires"] == (False, None)


def test_a_subset_of_templates_fails_unless_allowed() -> None:
    subset = gates([record("a", 5)], ExploreLimits(), dataset=16, selected=1)
    assert subset["all_templates_selected"] == (False, 15.0)
    allowed = gates([record("a", 5)], ExploreLimits(allow_subset=True), dataset=16, selected=1)
    assert allowed["all_templates_selected"] == (True, 15.0)


def test_a_malformed_record_is_refused() -> None:
    assert checked_record(record("a", 1)) is not None
    for broken in ({**record("a", 1), "examples": "1"}, {**record("a", 1), "misfires": None}):
        with pytest.raises(WireError):
            checked_record(broken)
