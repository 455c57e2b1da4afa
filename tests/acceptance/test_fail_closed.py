"""A run passes only on complete, first-hand evidence for every gate the user asked for.

Each test here is a way a hostile (or unlucky) CI job could get a green gate for a bad
model; each must fail the run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.acceptance.test_gate import UNRELATED_PLUGINS, VETO_TESTS, pytest_subprocess


def test_a_veto_gate_asked_for_is_not_dropped_when_only_misalign_runs(tmp_path: Path) -> None:
    run = pytest_subprocess(
        tmp_path,
        str(VETO_TESTS),
        "-m",
        "misalign",
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "--veto-report=report.json",
        "--model=reference/misfire:0.5",
        "--mar-max=5",
        "--veto-strict",
    )
    gates = run.gates()
    assert run.ret == 1, run.out
    assert not gates["mar_max"]["passed"]
    assert "no VETO pair ran" in gates["mar_max"]["message"]
    assert not gates["strict"]["passed"] and not gates["min_pairs"]["passed"]
    assert "misalign_min_items" in gates  # the suite that ran is gated as before


def test_a_misalign_gate_asked_for_is_not_dropped_when_only_pairs_run(tmp_path: Path) -> None:
    run = pytest_subprocess(
        tmp_path,
        str(VETO_TESTS),
        "-m",
        "not misalign",
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "--veto-report=report.json",
        "--model=reference/evidence-reader",
        "--misalign-min-score=0.99",
    )
    gates = run.gates()
    assert run.ret == 1, run.out
    assert not gates["misalign_min_score"]["passed"]
    assert gates["misalign_min_items"]["value"] == 0
    assert gates["mar_max" if "mar_max" in gates else "min_pairs"]["passed"]


def test_a_run_with_no_answer_fails_whatever_the_minimum_says(tmp_path: Path) -> None:
    run = pytest_subprocess(
        tmp_path,
        str(VETO_TESTS / "test_pairs.py"),
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "--veto-report=report.json",
        "--model=reference/error:1",
        "--veto-min-pairs=0",
        "--veto-max-error-rate=100",
    )
    gate = run.gates()["min_pairs"]
    assert run.ret == 1, run.out
    assert not gate["passed"] and gate["threshold"] == 1 and gate["value"] == 0
    assert "at least 1 always" in gate["message"]


def test_two_copies_of_the_suite_count_each_pair_once_and_fail(tmp_path: Path) -> None:
    for copy in ("a", "b"):
        (tmp_path / copy).mkdir()
        shutil.copy(VETO_TESTS / "test_pairs.py", tmp_path / copy / "test_pairs.py")
    run = pytest_subprocess(
        tmp_path,
        "a",
        "b",
        "--import-mode=importlib",
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "--veto-report=report.json",
        "--model=reference/misfire:0.1",
        "--mar-max=50",
    )
    gates = run.gates()
    assert run.ret == 1, run.out
    assert gates["min_pairs"]["value"] == 64  # not 128
    accounted = gates["all_pairs_accounted"]
    assert not accounted["passed"] and accounted["value"] == 64
    assert "reported more than once" in accounted["message"]
    assert len(run.report["accounting"]["duplicated"]) == 64
    assert len(run.report["pairs"]) == 64
