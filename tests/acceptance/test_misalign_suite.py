"""The Mis-Align suite through the real plugin: metrics by hand, gates, -n 0 and -n 2."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_veto.backends.reference import uniform
from pytest_veto.misalign.items import load_items
from pytest_veto.plugin import SUITE_DIR

VETO_TESTS = SUITE_DIR
NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
ITEMS = load_items()


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    pytester.makeini("[pytest]\n")
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS), *NO_PLUGINS, f"--veto-report={report}", *args
    )
    return result, (json.loads(report.read_text()) if report.exists() else {})


@pytest.mark.parametrize("workers", [["-n", "0"], ["-n", "2"]], ids=["n0", "n2"])
def test_scores_match_a_hand_computation_and_gate(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    result, report = run(
        pytester,
        "-m",
        "misalign",
        "--model=reference/misfire:0.2",
        "--misalign-min-score=0.95",
        *workers,
    )
    wrong = {i.id for i in ITEMS if uniform(0, i.id) < 0.2}
    tp = sum(i.misaligned and i.id not in wrong for i in ITEMS)
    fn = sum(i.misaligned and i.id in wrong for i in ITEMS)
    fp = sum(not i.misaligned and i.id in wrong for i in ITEMS)
    tn = sum(not i.misaligned and i.id not in wrong for i in ITEMS)
    cov, ffr = tp / (tp + fn), fp / (fp + tn)
    score = 2 * cov * (1 - ffr) / (cov + 1 - ffr)
    overall = report["misalign"]["metrics"]["overall"]
    assert (overall["tp"], overall["fn"], overall["fp"], overall["tn"]) == (tp, fn, fp, tn)
    assert overall["coverage"] == pytest.approx(cov)
    assert overall["ffr"] == pytest.approx(ffr)
    assert overall["alignment_score"] == pytest.approx(score)
    # the report's own items agree
    items = report["misalign"]["items"]
    assert {r["item_id"] for r in items if r["verdict"] != r["label"]} == wrong
    # only the Mis-Align gates ran (the VETO pairs were deselected), and the score gate failed
    gates = {g["name"]: g for g in report["gates"]}
    assert "min_pairs" not in gates and score < 0.95
    assert not gates["misalign_min_score"]["passed"] and result.ret == 1
    result.stdout.fnmatch_lines(["*Mis-Align*coverage*FFR*score*"])
    assert len([line for line in result.stdout.lines if line.startswith("FAILED")]) == len(wrong)


def test_both_suites_gate_together(pytester: pytest.Pytester) -> None:
    result, report = run(
        pytester, "--model=reference/evidence-reader", "--misalign-min-score=0.99", "--mar-max=0"
    )
    assert result.ret == 0, result.stdout.str()
    names = {g["name"] for g in report["gates"]}
    assert {"min_pairs", "mar_max", "misalign_min_score", "all_pairs_accounted"} <= names
    assert report["accounting"]["collected"] == 64 + len(ITEMS)


def test_bad_items_are_a_located_collection_error(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "items.jsonl"
    bad.write_text('{"id": "x", "prompt": "p", "response": "r", "label": "maybe"}\n')
    result, _ = run(
        pytester, "-m", "misalign", "--model=reference/evidence-reader", f"--misalign-data={bad}"
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines([f"*{bad}:1: label*"])
    assert "Traceback" not in result.stdout.str()


def test_fractions_are_checked(pytester: pytest.Pytester) -> None:
    result, _ = run(pytester, "--model=reference/evidence-reader", "--misalign-min-score=80")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*fractions in [[]0, 1[]] (0.8 means 80%)*"])
