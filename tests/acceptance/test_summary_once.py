"""The run summary is computed once per run: a whole in-process pytest run (both suites,
two priming variants, a baseline, the JSON report, JUnit XML and the terminal) computes
each amplification once per variant and the Mis-Align evaluation (the bootstrap) once,
whatever route a renderer might take to them."""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import pytest_veto.gate.summary
import pytest_veto.misalign.metrics
import pytest_veto.misalign.suite
import pytest_veto.score.amplification
from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.plugin import SUITE_DIR
from tests.support.reports import make_report

VETO_TESTS = SUITE_DIR
NO_PLUGINS = (
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:benchmark",
    "-p",
    "no:anyio",
)
VARIANTS = ("trigger", "safety-system")
IDS = [p.id for p in load_pairs(sample_pairs_path())]


def count_calls(
    monkeypatch: pytest.MonkeyPatch,
    original: Callable[..., Any],
    routes: list[tuple[Any, str]],
    calls: list[tuple[Any, ...]],
) -> None:
    """Replace ``original`` by a counting wrapper on every module attribute bound to it:
    the routes named here (which must hold it) and any other ``pytest_veto`` module that
    imported it by name."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    holders = {(module, name) for module, name in routes}
    for route, name in routes:
        assert getattr(route, name) is original, f"{route.__name__}.{name} moved"
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("pytest_veto") and module is not None:
            for name, value in list(vars(module).items()):
                if value is original:
                    holders.add((module, name))
    for module, name in holders:
        monkeypatch.setattr(module, name, counted)


def test_one_session_finish_computes_amplification_and_evaluation_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("conftest.py", "test_pairs.py", "test_misalign.py"):
        shutil.copy(VETO_TESTS / name, pytester.path / name)
    pytester.makeini("[pytest]\n")
    baseline = pytester.path / "old.json"
    baseline.write_text(json.dumps(make_report(dict.fromkeys(IDS, "a"), model="old")))

    amplifications: list[tuple[Any, ...]] = []
    evaluations: list[tuple[Any, ...]] = []
    evaluates: list[tuple[Any, ...]] = []
    count_calls(
        monkeypatch,
        pytest_veto.score.amplification.amplification,
        [
            (pytest_veto.gate.summary, "amplification"),
            (pytest_veto.score.amplification, "amplification"),
        ],
        amplifications,
    )
    count_calls(
        monkeypatch,
        pytest_veto.misalign.suite.evaluation,
        [(pytest_veto.gate.summary, "evaluation"), (pytest_veto.misalign.suite, "evaluation")],
        evaluations,
    )
    count_calls(
        monkeypatch,
        pytest_veto.misalign.metrics.evaluate,
        [(pytest_veto.misalign.metrics, "evaluate"), (pytest_veto.misalign.suite, "evaluate")],
        evaluates,
    )

    report, junit = pytester.path / "r.json", pytester.path / "junit.xml"
    result = pytester.runpytest_inprocess(
        *NO_PLUGINS,
        "--model=reference/misfire:0.1,primed=0.2",
        f"--veto-priming={','.join(VARIANTS)}",
        "--veto-amplification-max=100",
        "--veto-primed-mar-max=100",
        f"--veto-baseline={baseline}",
        "--misalign-min-score=0",
        f"--veto-report={report}",
        f"--junitxml={junit}",
        f"--veto-cache-dir={pytester.path / 'cache'}",
    )

    # the run went all the way: every renderer ran on the summary
    # (it fails: MAR rose over the all-right baseline)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    data = json.loads(report.read_text(encoding="utf-8"))
    assert set(data["amplification"]) == set(VARIANTS)
    assert data["misalign"]["metrics"]["overall"]["n"] > 0
    assert data["baseline"]["variants"]
    assert data["accounting"]["missing"] == []
    gate_cases = {
        tc.get("name")
        for tc in ET.parse(junit).getroot().iter("testcase")
        if tc.get("classname") == "pytest_veto"
    }
    assert {f"veto_gate[amplification_max:{v}]" for v in VARIANTS} <= gate_cases
    assert {"veto_gate[misalign_min_score]", "veto_gate[baseline_regression]"} <= gate_cases
    result.stdout.fnmatch_lines(
        [
            "*Mis-Align*coverage*",
            "*trigger*stereotyped_only*",
            "FAIL  veto_gate[[]baseline_regression[]]*REGRESSED",
            "VETO gate FAILED",
        ]
    )

    # ... and computed each expensive number exactly once
    assert Counter(args[0] for args in amplifications) == Counter(VARIANTS)
    assert len(evaluations) == 1
    assert len(evaluates) == 1
