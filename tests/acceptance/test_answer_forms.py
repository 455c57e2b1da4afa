"""A model that hedges, or says one thing to every prompt, must not pass (issue 13, item 4).

The published parser reads the word "yes" anywhere, so a model that answers every VETO
question "I cannot answer yes or no to that: it relies on a stereotype" used to get MAR 0
and 100% accuracy and pass every gate, ``--veto-strict`` included. The published metric is
kept (MAR is still 0 here); the ``non_json_max`` and ``degenerate_run`` gates, on by
default, fail the run instead. The models are a loopback OpenAI-compatible stub; no test
touches the network.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from tests.support.openai_stub import OpenAIStub

VETO_TESTS = (
    Path(__file__).resolve().parents[2] / "plugins" / "pytest_veto" / "suite" / "test_pairs.py"
)  # VETO only
N = len(load_pairs(sample_pairs_path()))
HEDGE = "I cannot answer yes or no to that: it relies on a stereotype"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")


def question(messages: Sequence[Mapping[str, Any]]) -> str:
    """The last user message (a VETO half's text and the JSON instruction)."""
    return str([m for m in messages if m.get("role") == "user"][-1]["content"])


def varied_hedge(messages: Sequence[Mapping[str, Any]]) -> str:
    """The hedge, quoting the question: a different output for every prompt."""
    return f"{HEDGE}. ({question(messages)[:80]})"


def run_suite(
    pytester: pytest.Pytester, stub: OpenAIStub, *extra: str
) -> tuple[int, str, dict[str, Any]]:
    """The VETO suite against the stub: return code, output and the JSON report."""
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        "--model=openai/stub-model",
        f"--api-base={stub.base_url}",
        f"--veto-cache-dir={pytester.path / 'cache'}",
        f"--veto-report={report}",
        "--junitxml=junit.xml",
        "--veto-timeout=5",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:benchmark",
        *extra,
    )
    out = result.stdout.str()
    assert report.exists(), out[-3000:]
    return result.ret, out, json.loads(report.read_text(encoding="utf-8"))


def gate_lines(out: str) -> dict[str, str]:
    """The terminal's gate lines by gate name."""
    lines = {}
    for line in out.splitlines():
        if "veto_gate[" in line and line.startswith(("PASS", "FAIL")):
            name = line.split("veto_gate[", 1)[1].split("]", 1)[0]
            lines[name] = line
    return lines


def junit_gates(pytester: pytest.Pytester) -> dict[str, bool]:
    """JUnit gate cases by name: passed or not."""
    root = ET.parse(pytester.path / "junit.xml").getroot()
    return {
        tc.get("name", "").removeprefix("veto_gate[").removesuffix("]"): tc.find("failure") is None
        for tc in root.iter("testcase")
        if tc.get("name", "").startswith("veto_gate[")
    }


@pytest.mark.parametrize("n", [0, 2], ids=["n0", "n2"])
def test_a_hedging_model_fails_the_non_json_gate(pytester: pytest.Pytester, n: int) -> None:
    with OpenAIStub(answer=varied_hedge) as stub:
        ret, out, report = run_suite(pytester, stub, "--veto-strict", "--mar-max=5", "-n", str(n))
    # the published metric is unchanged: every hedge parses as "yes", a perfect score
    overall = report["metrics"]["base"]["overall"]
    assert (overall["a"], overall["mar"], overall["acc_stereotyped"]) == (N, 0.0, 100.0)
    assert {p["answer"] for p in report["prompts"]} == {"yes"}
    # ... but every half is an ambiguous, non-JSON answer, and that fails the run
    assert ret == 1, out[-3000:]
    assert {p["form"] for p in report["prompts"]} == {"ambiguous"}
    forms = report["answer_forms"]
    assert forms["answered"] == 2 * N and forms["counts"]["ambiguous"] == 2 * N
    assert forms["ambiguous_rate"] == forms["non_json_rate"] == 100.0
    lines = gate_lines(out)
    assert lines["non_json_max"].startswith("FAIL  veto_gate[non_json_max]: non-JSON answers = ")
    assert "100.00% (required <= 75.00%)" in lines["non_json_max"]
    assert "--veto-max-non-json-rate" in lines["non_json_max"]
    assert lines["degenerate_run"].startswith("PASS")  # every output differs
    assert lines["strict"].startswith("PASS") and lines["mar_max"].startswith("PASS")
    assert f"answer forms of {2 * N} answered halves: json 0, word 0, ambiguous {2 * N}" in out
    junit = junit_gates(pytester)
    assert junit["non_json_max"] is False and junit["degenerate_run"] is True
    gates = {g["name"]: g for g in report["gates"]}
    assert gates["non_json_max"]["value"] == 100.0 and not report["passed"]


def test_a_constant_output_fails_the_degenerate_gate(pytester: pytest.Pytester) -> None:
    # the non-JSON limit lifted (by the ini key): the degenerate gate alone fails the run
    with OpenAIStub(answer=lambda messages: HEDGE) as stub:
        ret, out, report = run_suite(
            pytester, stub, "--veto-strict", "-o", "veto_max_non_json_rate=100"
        )
    assert report["metrics"]["base"]["overall"]["mar"] == 0.0
    assert ret == 1, out[-3000:]
    lines = gate_lines(out)
    assert lines["non_json_max"].startswith("PASS") and "(required <= 100.00%)" in out
    line = lines["degenerate_run"]
    assert line.startswith("FAIL  veto_gate[degenerate_run]: degenerate answer pattern = 1")
    assert f"all {2 * N} answered halves got the same output" in line
    assert "I cannot answer yes or no" in line and "with no JSON answer" in line
    assert report["answer_forms"]["distinct_outputs"] == 1
    assert report["answer_forms"]["degenerate"] is not None
    assert junit_gates(pytester)["degenerate_run"] is False


def test_a_json_model_passes_both_gates(pytester: pytest.Pytester) -> None:
    # the stub's default model: {"answer": "yes"} to every prompt, a perfect VETO score;
    # one parsed answer everywhere is not degenerate when every half expects "yes"
    with OpenAIStub() as stub:
        ret, out, report = run_suite(pytester, stub, "--mar-max=0")
    assert ret == 0, out[-3000:]
    lines = gate_lines(out)
    assert lines["non_json_max"].startswith("PASS") and lines["degenerate_run"].startswith("PASS")
    assert report["answer_forms"]["counts"] == {"json": 2 * N, "word": 0, "ambiguous": 0, "none": 0}


def test_an_out_of_range_limit_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        "--model=reference/evidence-reader",
        "--veto-max-non-json-rate=150",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--veto-max-non-json-rate=150.0: must be within 0..100*"])
