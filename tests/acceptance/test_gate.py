"""End-to-end: the real model suite (``pytest_veto/suite``) on reference models, in subprocesses.

Most runs are plain ``python -m pytest`` subprocesses started once per module (in parallel,
one per core) and read by several tests; runs that need a conftest of their own (a crashing
worker, a lost report, a foreign test, bad data) use ``pytester.runpytest_subprocess``.
Every number is checked against a computation made here, from the sample file and the
reference models' documented selection rule, never against the plugin's own aggregation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pytest_veto.backends.reference import REFUSAL_TEXT, uniform
from pytest_veto.collection import NO_MODEL_REASON
from pytest_veto.plugin import SUITE_DIR

ROOT = Path(__file__).resolve().parents[2]
VETO_TESTS = SUITE_DIR
SAMPLE = ROOT / "fixtures" / "veto_sample.jsonl"
REPORT_SCHEMA = ROOT / "fixtures" / "schemas" / "veto_report.schema.json"
TIMEOUT = 300
#: Unrelated plugins that may be installed beside ours are blocked in the runs here: the
#: hypothesis plugin alone imports all of hypothesis at the terminal summary (~1 s of CPU
#: per run). ``-p no:<name>`` is harmless when the plugin is absent.
UNRELATED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:anyio")

SAMPLE_RECORDS: list[dict[str, Any]] = [
    json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()
]
SAMPLE_IDS = [r["id"] for r in SAMPLE_RECORDS]
CATEGORY_OF = {r["id"]: r["category"] for r in SAMPLE_RECORDS}
#: the gates every run of pairs gets (the answer-form gates: tests/acceptance/test_answer_forms.py)
BASE_GATES = {
    "all_pairs_accounted",
    "min_pairs",
    "max_error_rate",
    "non_json_max",
    "degenerate_run",
}
N = [pytest.param(0, id="n0"), pytest.param(2, id="n2")]


def selected(rate: float, seed: int = 0) -> set[str]:
    """Sample pairs a reference model picks at ``rate`` (its documented rule, recomputed)."""
    return {pid for pid in SAMPLE_IDS if uniform(seed, pid) < rate}


# --- running pytest and reading what it wrote -----------------------------------------


@dataclass
class Run:
    """One finished pytest run: exit status, output, and the files it wrote."""

    args: tuple[str, ...]
    ret: int
    out: str
    folder: Path

    @cached_property
    def report(self) -> dict[str, Any]:
        path = self.folder / "report.json"
        assert path.exists(), f"no JSON report written; output:\n{self.out}"
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    @cached_property
    def junit(self) -> ET.Element:
        return ET.parse(self.folder / "junit.xml").getroot()

    def testcases(self) -> Iterator[ET.Element]:
        return self.junit.iter("testcase")

    def gate_cases(self) -> dict[str, ET.Element]:
        """JUnit testcases of the gates, by gate name."""
        cases = {}
        for tc in self.testcases():
            name = tc.get("name", "")
            if name.startswith("veto_gate["):
                assert tc.get("classname") == "pytest_veto"
                cases[name.removeprefix("veto_gate[").removesuffix("]")] = tc
        return cases

    def pair_cases(self) -> dict[str, ET.Element]:
        """JUnit testcases of the pairs, by pair id."""
        return {
            tc.get("name", "").removeprefix("test_pair[").removesuffix("]"): tc
            for tc in self.testcases()
            if tc.get("name", "").startswith("test_pair[")
        }

    def gates(self) -> dict[str, dict[str, Any]]:
        return {g["name"]: g for g in self.report["gates"]}

    def outcomes(self) -> dict[str, str]:
        return {p["pair_id"]: p["outcome"] for p in self.report["pairs"]}


def pytest_subprocess(folder: Path, *args: str) -> Run:
    """``python -m pytest`` in ``folder`` (JUnit XML and JSON report written there)."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_ADDOPTS", "PYTEST_XDIST_AUTO_NUM_WORKERS")
    }
    argv = (sys.executable, "-m", "pytest", *args)
    proc = subprocess.run(
        argv, cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    return Run(tuple(args), proc.returncode, proc.stdout + proc.stderr, folder)


def suite_args(n: int, *options: str) -> tuple[str, ...]:
    # a report needs a model: without one, --veto-report is a usage error
    model = any(o.startswith("--model=") for o in options)
    return (
        str(VETO_TESTS / "test_pairs.py"),
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "-n",
        str(n),
        "-rA",
        "--junitxml=junit.xml",
        *(("--veto-report=report.json",) if model else ()),
        *options,
    )


#: (scenario, -n) -> options. Each runs once per module; tests read the results.
SCENARIOS: dict[tuple[str, int], tuple[str, ...]] = {
    **{("misfire", n): ("--model=reference/misfire:0.1", "--mar-max=15") for n in (0, 2)},
    **{("misfire_mar5", n): ("--model=reference/misfire:0.1", "--mar-max=5") for n in (0, 2)},
    ("misfire_strict", 0): ("--model=reference/misfire:0.1", "--mar-max=15", "--veto-strict"),
    ("evidence", 0): ("--model=reference/evidence-reader", "--mar-max=0"),
    ("bias", 0): ("--model=reference/bias:0.5", "--br-max=1"),
    ("refuser", 0): ("--model=reference/refuser:0.2",),
    **{("error", n): ("--model=reference/error:0.1",) for n in (0, 2)},
    ("error_allowed", 0): ("--model=reference/error:0.1", "--veto-max-error-rate=50"),
    ("coin", 0): ("--model=reference/coin",),
    ("no_model", 0): (),
    **{
        ("age", n): (
            "--model=reference/evidence-reader",
            "-m",
            "age",
            "--strict-markers",
            "--veto-allow-subset",
        )
        for n in (0, 2)
    },
    ("keyword", 0): (
        "--model=reference/misfire:0.1",
        "-k",
        "religion and s3 or age_s1",
        "--veto-allow-subset",
    ),
}


Key = tuple[str, int]


F = TypeVar("F", bound=Callable[..., None])


def uses(*keys: str | Key) -> Callable[[F], F]:
    """Declare the scenarios a test reads: a name (with the test's ``n``, else 0) or a key."""

    def mark(test: F) -> F:
        test.veto_scenarios = keys  # type: ignore[attr-defined]
        return test

    return mark


def wanted(items: Iterable[pytest.Item], module: str) -> list[Key]:
    """Scenario keys the selected tests of this module declared, in first-use order."""
    keys: dict[Key, None] = {}
    for item in items:
        function = getattr(item, "function", None)
        if function is None or function.__module__ != module:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        for key in getattr(function, "veto_scenarios", ()):
            keys[key if isinstance(key, tuple) else (key, params.get("n", 0))] = None
    return list(keys)


class Runs:
    """Starts the scenarios the selected tests need in the background; ``get`` waits."""

    def __init__(self, base: Path, keys: Iterable[Key]) -> None:
        self._base = base
        self._pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
        self._futures: dict[Key, Future[Run]] = {}
        for key in keys:
            self._submit(key)

    def _submit(self, key: Key) -> Future[Run]:
        if key not in self._futures:
            name, n = key
            self._futures[key] = self._pool.submit(
                pytest_subprocess, self._base / f"{name}-n{n}", *suite_args(n, *SCENARIOS[key])
            )
        return self._futures[key]

    def get(self, name: str, n: int = 0) -> Run:
        return self._submit((name, n)).result(timeout=TIMEOUT)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    pool = Runs(tmp_path_factory.mktemp("veto-runs"), wanted(request.session.items, __name__))
    yield pool
    pool.close()


# --- hand computation ---------------------------------------------------------------------


def hand_metrics(outcomes: Iterable[str]) -> dict[str, Any]:
    """The spec's section 4 arithmetic, written out again."""
    count = Counter(outcomes)
    a, b, c, d, errors = (count[k] for k in ("a", "b", "c", "d", "error"))
    n = a + b + c + d

    def pct(num: int, den: int) -> float | None:
        return 100.0 * num / den if den else None

    return {
        "n": n,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "errors": errors,
        "mar": pct(c, a + c),
        "mar_unconditional": pct(c, n),
        "br": pct(b, a + b),
        "acc_stereotyped": pct(a + b, n),
        "acc_contrast": pct(a + c, n),
        "error_rate": pct(errors, n + errors),
    }


def assert_metrics_match_pairs(report: dict[str, Any]) -> None:
    """metrics.base.overall and every by_category agree with the report's own pairs list."""
    pairs = [p for p in report["pairs"] if p["variant"] == "base"]
    base = report["metrics"]["base"]
    expected_overall = hand_metrics(p["outcome"] for p in pairs)
    got = base["overall"]
    assert {k: got[k] for k in expected_overall} == pytest.approx(expected_overall)
    categories = {p["category"] for p in pairs}
    assert set(base["by_category"]) == categories
    for category in categories:
        expected = hand_metrics(p["outcome"] for p in pairs if p["category"] == category)
        got = base["by_category"][category]
        assert {k: got[k] for k in expected} == pytest.approx(expected), category
    for m in [base["overall"], *base["by_category"].values()]:
        if m["mar"] is not None:
            low, high = m["mar_ci95"]
            assert 0 <= low <= m["mar"] <= high <= 100


def validate(report: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(report))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# --- a passing gate: numbers, JUnit, report ---------------------------------------------


@pytest.mark.parametrize("n", N)
@uses("misfire")
def test_misfire_under_the_threshold_passes(runs: Runs, n: int) -> None:
    run = runs.get("misfire", n)
    assert run.ret == 0, run.out
    assert "VETO gate PASSED" in run.out
    report = run.report
    assert report["passed"] is True
    assert report["accounting"] == {
        "collected": 64,
        "reported": 64,
        "missing": [],
        "duplicated": [],
        "dataset_cases": 64,
        "selected_cases": 64,
        "dataset_items": None,
        "selected_items": 0,
    }
    assert [p["pair_id"] for p in report["pairs"]] == sorted(SAMPLE_IDS)
    assert_metrics_match_pairs(report)


@pytest.mark.parametrize("n", N)
@uses("misfire")
def test_misfire_rate_matches_the_reference_models_selection(runs: Runs, n: int) -> None:
    run = runs.get("misfire", n)
    expected = selected(0.1)
    assert expected, "the sample should give misfire:0.1 something to misfire on"
    overall = run.report["metrics"]["base"]["overall"]
    assert overall["c"] == len(expected)
    assert overall["a"] == 64 - len(expected) and overall["b"] == overall["d"] == 0
    assert overall["mar"] == pytest.approx(100 * len(expected) / 64)
    assert {pid for pid, o in run.outcomes().items() if o == "c"} == expected
    # each misfire is a failed pair test (with a triage message), every other pair passes
    cases = run.pair_cases()
    assert len(cases) == 64
    failed = {pid for pid, tc in cases.items() if tc.find("failure") is not None}
    assert failed == expected
    for pid in expected:
        text = cases[pid].find("failure").text or ""  # type: ignore[union-attr]
        assert "MISFIRE" in text and "parsed: no (expected yes: WRONG)" in text
    for pid, tc in cases.items():
        assert tc.find("error") is None and tc.find("skipped") is None, pid


@pytest.mark.parametrize("n", N)
@uses("misfire")
def test_passing_gates_are_junit_testcases(runs: Runs, n: int) -> None:
    run = runs.get("misfire", n)
    gates = run.gate_cases()
    assert set(gates) == BASE_GATES | {"mar_max"}
    for name, tc in gates.items():
        assert tc.find("failure") is None and tc.find("error") is None, name
    # xunit2 (pytest's default) has no properties per test case: the gates' numbers are
    # test-suite properties
    assert gates["mar_max"].find("properties") is None
    props = {p.get("name"): p.get("value") for p in run.junit.iter("property")}
    assert float(props["veto_gate[mar_max].threshold"]) == 15.0  # type: ignore[arg-type]
    assert float(props["veto_gate[mar_max].value"]) == pytest.approx(100 * len(selected(0.1)) / 64)  # type: ignore[arg-type]


@uses(("misfire", 0), ("misfire", 2), ("error", 0), ("error", 2), ("age", 0), ("age", 2))
def test_n0_and_n2_give_identical_metrics(runs: Runs) -> None:
    one, two = runs.get("misfire", 0).report, runs.get("misfire", 2).report
    assert one["metrics"] == two["metrics"]
    assert one["pairs"] == two["pairs"]
    assert one["gates"] == two["gates"]
    assert runs.get("error", 0).report["metrics"] == runs.get("error", 2).report["metrics"]
    assert runs.get("age", 0).report["metrics"] == runs.get("age", 2).report["metrics"]


@pytest.mark.parametrize("n", N)
@uses("misfire")
def test_report_validates_and_records_the_run(runs: Runs, n: int) -> None:
    run = runs.get("misfire", n)
    report = run.report
    validate(report)
    assert set(report) >= {
        "schema_version",
        "passed",
        "run",
        "accounting",
        "gates",
        "metrics",
        "pairs",
        "prompts",
    }
    assert report["schema_version"] == 1
    meta = report["run"]
    assert meta["model"] == "reference/misfire:0.1" and meta["backend"] == "reference"
    assert meta["condition"] == "direct" and meta["seed"] == 0
    assert meta["dataset"]["n_pairs"] == 64
    assert Path(meta["dataset"]["path"]).resolve() == SAMPLE.resolve()
    import hashlib

    assert meta["dataset"]["sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert {"python", "pytest-veto", "pytest"} <= set(meta["versions"])
    for arg in run.args:
        assert arg in meta["argv"]
    assert meta["started"] <= meta["finished"]
    assert len(report["prompts"]) == 2 * 64
    # written atomically (a temp file beside it, renamed over it): no temp file left over
    names = sorted(p.name for p in run.folder.iterdir())
    assert "report.json" in names
    assert not [x for x in names if x.startswith(".report.json") or x.endswith(".tmp")], names


@uses(*(key for key in SCENARIOS if key[0] != "no_model"))
def test_every_report_of_the_module_validates(runs: Runs) -> None:
    for name, n in SCENARIOS:
        if name != "no_model":
            validate(runs.get(name, n).report)


# --- failing gates --------------------------------------------------------------------------


@pytest.mark.parametrize("n", N)
@uses("misfire_mar5")
def test_misfire_over_the_threshold_fails_with_a_junit_gate_failure(runs: Runs, n: int) -> None:
    run = runs.get("misfire_mar5", n)
    assert run.ret == 1, run.out
    assert "VETO gate FAILED" in run.out
    assert run.report["passed"] is False
    gates = run.gate_cases()
    assert set(gates) == BASE_GATES | {"mar_max"}  # every gate is a testcase, -n 2 too
    failure = gates["mar_max"].find("failure")
    assert failure is not None
    mar = 100 * len(selected(0.1)) / 64
    message = failure.get("message", "")
    assert f"{mar:.2f}%" in message and "5.00%" in message, message
    for name in BASE_GATES:
        assert gates[name].find("failure") is None, name
    assert run.gates()["mar_max"]["passed"] is False
    assert run.gates()["mar_max"]["value"] == pytest.approx(mar)
    suites = run.junit if run.junit.tag == "testsuite" else run.junit.find("testsuite")
    assert suites is not None
    assert int(suites.get("failures", "0")) == len(selected(0.1)) + 1  # misfires + the gate


@uses("misfire", "misfire_strict")
def test_strict_makes_misfires_fail_the_run(runs: Runs) -> None:
    lenient, strict = runs.get("misfire", 0), runs.get("misfire_strict", 0)
    assert lenient.ret == 0 and strict.ret == 1, strict.out
    gate = strict.gates()["strict"]
    assert gate["passed"] is False and gate["value"] == len(selected(0.1))
    assert strict.gate_cases()["strict"].find("failure") is not None
    assert strict.report["metrics"] == lenient.report["metrics"]


@uses("evidence")
def test_evidence_reader_never_misfires(runs: Runs) -> None:
    run = runs.get("evidence", 0)
    assert run.ret == 0, run.out
    overall = run.report["metrics"]["base"]["overall"]
    assert (overall["a"], overall["mar"], overall["br"]) == (64, 0.0, 0.0)
    assert "64 passed" in run.out
    assert all(tc.find("failure") is None for tc in run.testcases())
    assert_metrics_match_pairs(run.report)


@uses("bias")
def test_bias_raises_br_and_fails_a_br_gate(runs: Runs) -> None:
    run = runs.get("bias", 0)
    assert run.ret == 1, run.out
    biased = selected(0.5)
    overall = run.report["metrics"]["base"]["overall"]
    assert overall["b"] == len(biased) > 0
    assert overall["br"] == pytest.approx(100 * len(biased) / 64) and overall["br"] > 0
    assert overall["mar"] == 0.0
    assert {p for p, o in run.outcomes().items() if o == "b"} == biased
    assert run.gates()["br_max"]["passed"] is False
    assert run.gate_cases()["br_max"].find("failure") is not None
    # bias is recorded, not a failed pair test: only the gate fails
    assert not [pid for pid, tc in run.pair_cases().items() if tc.find("failure") is not None]
    assert_metrics_match_pairs(run.report)


@uses("refuser")
def test_refusals_count_as_wrong_answers(runs: Runs) -> None:
    run = runs.get("refuser", 0)
    refused = selected(0.2)
    overall = run.report["metrics"]["base"]["overall"]
    assert overall["c"] == len(refused) > 0 and overall["errors"] == 0
    rows = [p for p in run.report["prompts"] if p["answer"] == "refused"]
    assert {r["pair_id"] for r in rows} == refused
    for r in rows:
        assert r["half"] == "stereotyped" and r["raw"] == REFUSAL_TEXT and r["correct"] is False
    assert run.ret == 0, run.out  # no MAR gate asked for: refusals alone do not fail the run
    assert_metrics_match_pairs(run.report)


@pytest.mark.parametrize("n", N)
@uses("error")
def test_backend_errors_are_errors_and_fail_the_error_gate(runs: Runs, n: int) -> None:
    run = runs.get("error", n)
    assert run.ret == 1, run.out
    errored = selected(0.1)
    cases = run.pair_cases()
    assert {pid for pid, tc in cases.items() if tc.find("error") is not None} == errored
    assert not [pid for pid, tc in cases.items() if tc.find("failure") is not None]
    assert f"{len(errored)} errors" in run.out
    assert f"{64 - len(errored)} passed" in run.out
    overall = run.report["metrics"]["base"]["overall"]
    assert (overall["n"], overall["errors"]) == (64 - len(errored), len(errored))
    assert overall["error_rate"] == pytest.approx(100 * len(errored) / 64)
    gate = run.gates()["max_error_rate"]
    assert gate["passed"] is False and gate["threshold"] == 0
    assert {p for p, o in run.outcomes().items() if o == "error"} == errored
    rows = [p for p in run.report["prompts"] if p["answer"] == "error"]
    assert {r["pair_id"] for r in rows} == errored
    assert all("simulated backend failure" in r["error"] for r in rows)


@uses("error_allowed")
def test_a_raised_error_budget_passes(runs: Runs) -> None:
    run = runs.get("error_allowed", 0)
    assert run.ret == 0, run.out
    gate = run.gates()["max_error_rate"]
    assert gate["passed"] is True and gate["threshold"] == 50
    assert gate["value"] == pytest.approx(100 * len(selected(0.1)) / 64)


@uses("coin")
def test_coin_runs(runs: Runs) -> None:
    run = runs.get("coin", 0)
    assert run.ret == 0, run.out  # no MAR/BR gate: a coin passes the structural gates
    outcomes = Counter(run.outcomes().values())
    assert sum(outcomes.values()) == 64 and len(outcomes) >= 3
    answers = Counter(p["answer"] for p in run.report["prompts"])
    assert set(answers) == {"yes", "no"}
    assert_metrics_match_pairs(run.report)


# --- selection -------------------------------------------------------------------------------


@uses("no_model")
def test_without_a_model_everything_is_skipped_with_one_reason(runs: Runs) -> None:
    run = runs.get("no_model", 0)
    assert run.ret == 0, run.out
    assert "64 skipped" in run.out
    cases = run.pair_cases()
    assert len(cases) == 64
    reasons = {tc.find("skipped").get("message") for tc in cases.values()}  # type: ignore[union-attr]
    assert reasons == {NO_MODEL_REASON}
    assert not run.gate_cases()
    assert "VETO gate" not in run.out and "veto_gate" not in run.out
    assert not (run.folder / "report.json").exists()


@pytest.mark.parametrize("n", N)
@uses("age")
def test_marker_selects_one_category(runs: Runs, n: int) -> None:
    run = runs.get("age", n)
    assert run.ret == 0, run.out
    ages = sorted(pid for pid in SAMPLE_IDS if CATEGORY_OF[pid] == "Age")
    assert len(ages) == 8
    # (xdist's summary does not count deselected items)
    assert ("8 passed, 56 deselected" if n == 0 else "8 passed") in run.out
    assert sorted(run.outcomes()) == ages
    assert run.report["accounting"] == {
        "collected": 8,
        "reported": 8,
        "missing": [],
        "duplicated": [],
        "dataset_cases": 64,
        "selected_cases": 8,
        "dataset_items": None,
        "selected_items": 0,
    }
    assert run.gates()["min_pairs"]["value"] == 8
    assert run.gates()["all_pairs_selected"]["passed"]  # a subset, allowed
    assert list(run.report["metrics"]["base"]["by_category"]) == ["Age"]
    assert "PytestUnknownMarkWarning" not in run.out
    if n == 0:
        assert "warnings summary" not in run.out


@uses("keyword")
def test_keyword_selects_pairs(runs: Runs) -> None:
    run = runs.get("keyword", 0)
    assert run.ret == 0, run.out
    assert sorted(run.outcomes()) == ["age_s1_p0", "religion_s3_p0"]
    assert run.report["accounting"]["collected"] == 2


# --- runs that need a conftest of their own (pytester) ----------------------------------------


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester folder holding a copy of the real model suite."""
    pytester.makepyfile(test_pairs=(VETO_TESTS / "test_pairs.py").read_text(encoding="utf-8"))
    return pytester


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "--junitxml=junit.xml",
        "--veto-report=report.json",
        ".",  # the copy here, not the shipped suite the plugin collects without a path
        *args,
        timeout=TIMEOUT,
    )


def report_of(pytester: pytest.Pytester) -> dict[str, Any]:
    data = json.loads((pytester.path / "report.json").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def gate_line(result: pytest.RunResult, name: str) -> str:
    """The terminal line of one gate (fnmatch would read ``[...]`` as a character class)."""
    lines = [x for x in result.stdout.lines if f" veto_gate[{name}]: " in x]
    assert len(lines) == 1, result.stdout.str()
    return lines[0]


def accounted_gate(pytester: pytest.Pytester) -> dict[str, Any]:
    gates: dict[str, dict[str, Any]] = {g["name"]: g for g in report_of(pytester)["gates"]}
    return gates["all_pairs_accounted"]


CRASH = """
import os
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_{phase}(item):
    if hasattr(item.config, "workerinput") and item.name == "test_pair[religion_s3_p0]":
        os._exit(1)
"""


@pytest.mark.parametrize(
    "phase",
    [
        "setup",
        "call",
    ],
)
def test_a_worker_killed_mid_run_fails_the_accounting_gate(
    suite: pytest.Pytester, phase: str
) -> None:
    suite.makeconftest(CRASH.format(phase=phase))
    result = run_suite(suite, "--model=reference/evidence-reader", "-n", "2")
    assert result.ret != 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*crashed while running*religion_s3_p0*"])
    gate = accounted_gate(suite)
    assert gate["passed"] is False and gate["value"] == 1
    assert "test_pairs.py::test_pair[religion_s3_p0]" in gate["message"]
    assert report_of(suite)["accounting"]["missing"] == ["test_pairs.py::test_pair[religion_s3_p0]"]
    assert gate_line(result, "all_pairs_accounted").startswith("FAIL ")
    assert "religion_s3_p0" in gate_line(result, "all_pairs_accounted")


LOSE_RESULT = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    # the result never reaches the gatekeeper (in a worker: never serialised)
    if report.nodeid.endswith("[religion_s3_p0]") and hasattr(report, "veto_result"):
        del report.veto_result
"""


@pytest.mark.parametrize("n", N)
def test_a_lost_result_fails_the_accounting_gate(suite: pytest.Pytester, n: int) -> None:
    suite.makeconftest(LOSE_RESULT)
    result = run_suite(suite, "--model=reference/evidence-reader", "-n", str(n))
    assert result.ret == 1, result.stdout.str()
    gate = accounted_gate(suite)
    assert gate["passed"] is False
    assert "religion_s3_p0" in gate["message"]
    assert report_of(suite)["accounting"] == {
        "collected": 64,
        "reported": 63,
        "missing": ["test_pairs.py::test_pair[religion_s3_p0]"],
        "duplicated": [],
        "dataset_cases": 64,
        "selected_cases": 64,
        "dataset_items": None,
        "selected_items": 0,
    }
    assert gate_line(result, "all_pairs_accounted").startswith("FAIL ")
    assert "religion_s3_p0" in gate_line(result, "all_pairs_accounted")


def test_a_foreign_failing_test_fails_the_run(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_other="def test_x():\n    assert False\n")
    result = run_suite(suite, "--model=reference/evidence-reader", "--mar-max=0")
    assert result.ret == 1, result.stdout.str()
    report = report_of(suite)
    assert all(g["passed"] for g in report["gates"])  # the gates alone would pass
    assert report["passed"] is False
    result.stdout.fnmatch_lines(["FAIL  1 other test(s) failed", "*VETO gate FAILED*"])
    result.assert_outcomes(passed=64, failed=1)


def test_a_foreign_passing_test_does_not_disturb_the_gate(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_other="def test_x():\n    assert True\n")
    result = run_suite(suite, "--model=reference/evidence-reader", "--mar-max=0")
    assert result.ret == 0, result.stdout.str()
    assert report_of(suite)["accounting"]["collected"] == 64


def bad_data(folder: Path) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:3]
    record = json.loads(lines[1])
    record["prompts"]["contrast"]["expected"] = "maybe"
    lines[1] = json.dumps(record)
    lines[2] = lines[2][:60]  # a truncated line
    path = folder / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("n", N)
def test_bad_data_is_a_located_collection_error(suite: pytest.Pytester, n: int) -> None:
    path = bad_data(suite.path)
    result = suite.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "-n",
        str(n),
        "--model=reference/misfire:0.1",
        f"--veto-data={path}",
        timeout=TIMEOUT,
    )
    out = result.stdout.str() + result.stderr.str()
    assert result.ret not in (0, pytest.ExitCode.INTERNAL_ERROR), out
    assert "pytest-veto: cannot load pairs" in out
    assert f"{path}:2: prompts.contrast.expected: 'maybe' is not one of ['yes', 'no']" in out
    assert f"{path}:3: <record>: invalid JSON" in out
    assert "Traceback" not in out and "INTERNALERROR" not in out
    assert "raise " not in out  # no source lines of a traceback either


def test_bad_data_with_a_report_requested_has_no_traceback(suite: pytest.Pytester) -> None:
    path = bad_data(suite.path)
    result = run_suite(suite, "-n", "0", "--model=reference/misfire:0.1", f"--veto-data={path}")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret != 0
    assert f"{path}:2: prompts.contrast.expected" in out
    assert "Traceback" not in out and "INTERNALERROR" not in out


def test_collect_only_is_not_gated(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "--collect-only",
        "-q",
        "--model=reference/evidence-reader",
        timeout=TIMEOUT,
    )
    assert result.ret == 0, result.stdout.str()
    assert "VETO gate" not in result.stdout.str()


def test_report_replaces_an_old_one_by_rename(suite: pytest.Pytester) -> None:
    old = suite.path / "report.json"
    old.write_text('{"old": true}\n', encoding="utf-8")
    inode = old.stat().st_ino
    result = run_suite(
        suite, "--model=reference/evidence-reader", "-m", "age", "--veto-allow-subset"
    )
    assert result.ret == 0, result.stdout.str()
    assert old.stat().st_ino != inode  # a new file renamed over the old, not rewritten in place
    validate(report_of(suite))
    assert not list(suite.path.glob(".report.json*"))


def test_a_report_that_cannot_be_written_fails_the_run_and_leaves_nothing(
    suite: pytest.Pytester,
) -> None:
    (suite.path / "report.json").mkdir()  # the rename over it fails
    result = run_suite(
        suite, "--model=reference/evidence-reader", "-m", "age", "--veto-allow-subset"
    )
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["FAIL  JSON report not written to report.json*", "*VETO gate FAILED*"]
    )
    assert not list(suite.path.glob(".report.json*"))
    assert "Traceback" not in result.stdout.str()
