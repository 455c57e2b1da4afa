"""Baseline comparison on hand-built reports with known differences."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_veto.score.baseline import ComparisonError, compare_reports
from tests.support.reports import SHA, make_report

IDS = [f"age_s{i}_p0" for i in range(20)]


def table(misfiring: set[int], **others: str) -> dict[str, str]:
    """20 pairs: the given indexes misfire (c), ``others`` overrides by pair id, rest a."""
    return {pid: others.get(pid, "c" if i in misfiring else "a") for i, pid in enumerate(IDS)}


OLD = make_report(table({0, 1}), model="old")
NEW = make_report(table({0, 1, 2, 3, 4, 5, 6, 7}), model="new")


def test_known_regression() -> None:
    result = compare_reports(NEW, OLD, max_regression_points=5)
    (base,) = result.variants
    assert (base.matched, base.compared) == (20, 20)
    assert base.baseline_mar == pytest.approx(10.0) and base.current_mar == pytest.approx(40.0)
    assert base.difference == pytest.approx(30.0)
    assert (base.newly_misfiring, base.no_longer_misfiring) == (6, 0)
    assert base.mcnemar_p == pytest.approx(1 / 64)
    assert base.regressed and result.regressed
    assert [(m.pair_id, m.category, m.baseline_outcome) for m in result.new_misfires] == [
        (f"age_s{i}_p0", "Age", "a") for i in range(2, 8)
    ]
    assert (result.current_model, result.baseline_model) == ("new", "old")
    assert result.notes == ()


def test_both_conditions_are_needed_to_regress() -> None:
    # a rise within the allowance is no regression, however significant
    assert not compare_reports(NEW, OLD, max_regression_points=30).regressed
    # a significant-enough rise at alpha 0.05 is not significant at alpha 0.01
    assert not compare_reports(NEW, OLD, max_regression_points=5, alpha=0.01).regressed
    # and an improvement never regresses
    better = compare_reports(OLD, NEW, max_regression_points=0)
    assert better.variants[0].difference == pytest.approx(-30.0)
    assert (better.variants[0].newly_misfiring, better.variants[0].no_longer_misfiring) == (0, 6)
    assert better.variants[0].mcnemar_p == 1.0 and not better.regressed
    assert better.new_misfires == ()


def test_churn_without_a_net_change_is_not_significant() -> None:
    before = make_report(table({0, 1, 2}))
    after = make_report(table({3, 4, 5}))
    (v,) = compare_reports(after, before).variants
    assert v.difference == pytest.approx(0.0)
    assert (v.newly_misfiring, v.no_longer_misfiring) == (3, 3)
    assert v.mcnemar_p == pytest.approx(42 / 64)
    assert not v.regressed


def test_pairs_errored_in_either_run_are_left_out_of_both_mars() -> None:
    before = make_report(table({0}, age_s19_p0="error"))
    after = make_report(table({0, 1, 2}, age_s18_p0="error"))
    (v,) = compare_reports(after, before).variants
    assert (v.matched, v.compared) == (20, 18)
    assert v.baseline_mar == pytest.approx(100 / 18) and v.current_mar == pytest.approx(300 / 18)
    assert v.newly_misfiring == 2


def test_only_pairs_in_both_reports_are_compared() -> None:
    small = make_report({pid: "c" for pid in IDS[:5]})
    result = compare_reports(small, OLD)
    (v,) = result.variants
    assert v.matched == 5 and v.current_mar == 100.0 and v.baseline_mar == 40.0
    assert result.notes == (
        "0 pair(s) only in the current report and 15 only in the baseline are not compared",
    )


def test_each_shared_variant_is_compared_and_any_regression_counts() -> None:
    base = table(set())
    old = make_report(base, primed={"trigger": table({0})})
    new = make_report(base, primed={"trigger": table(set(range(10)))})
    result = compare_reports(new, old, max_regression_points=5)
    assert [v.variant for v in result.variants] == ["base", "trigger"]
    assert not result.variant("base").regressed  # type: ignore[union-attr]
    assert result.variant("trigger").regressed  # type: ignore[union-attr]
    assert result.regressed
    assert {m.variant for m in result.new_misfires} == {"trigger"}
    # a variant only one report has is noted, not compared
    unprimed = compare_reports(make_report(base), old)
    assert [v.variant for v in unprimed.variants] == ["base"]
    assert unprimed.notes == ("variant(s) only in the baseline report, not compared: trigger",)


def test_different_data_and_condition_are_noted() -> None:
    other = make_report(table({0, 1}), sha256="cd" * 32, condition="cot")
    notes = compare_reports(other, OLD).notes
    assert any(f"{'cd' * 6} vs {SHA[:12]}" in n for n in notes)
    assert any("condition differs: cot now, direct in the baseline" in n for n in notes)


def test_different_schema_versions_are_refused() -> None:
    future: dict[str, Any] = {**OLD, "schema_version": 2}
    with pytest.raises(ComparisonError, match=r"schema_version 1.*baseline 2"):
        compare_reports(NEW, future)


def test_no_pair_in_common_is_refused() -> None:
    other = make_report({f"ses_s{i}_p0": "a" for i in range(4)})
    with pytest.raises(
        ComparisonError,
        match=r"no pair \(pair_id, variant\) in common: "
        r"current has 4 \(ses_s0_p0 \[base\]",
    ):
        compare_reports(other, OLD)


def test_a_pair_listed_twice_is_refused() -> None:
    broken: dict[str, Any] = {**OLD, "pairs": OLD["pairs"] + OLD["pairs"][:1]}
    with pytest.raises(ComparisonError, match="baseline report lists pair 'age_s0_p0'"):
        compare_reports(NEW, broken)


def test_as_dict_is_plain_json() -> None:
    data = compare_reports(NEW, OLD, max_regression_points=5).as_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["regressed"] is True
    assert data["variants"][0]["difference"] == pytest.approx(30.0)
    assert len(data["new_misfires"]) == 6
