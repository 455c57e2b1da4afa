"""The real suite against a real OpenAI-compatible server on 127.0.0.1, with faults.

Every fault must end as a retried success or as a counted error: no pair is lost and no
fault passes as an answer. No test touches the network.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.plugin import SUITE_DIR
from tests.support.openai_stub import Fault, OpenAIStub, StubRequest

VETO_TESTS = SUITE_DIR / "test_pairs.py"  # VETO only
PAIRS = load_pairs(sample_pairs_path())
N = len(PAIRS)
BROKEN = {PAIRS[5].stereotyped.text, PAIRS[40].contrast.text}  # fail on every attempt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def transient(req: StubRequest) -> Fault | None:
    """A different fault on the first attempt of every third prompt; retries succeed."""
    if req.attempt > 1 or req.index % 3:  # attempts count from 1
        return None
    kinds = ["server_error", "rate_limit", "malformed", "empty_choices", "disconnect"]
    kind = kinds[(req.index // 3) % len(kinds)]
    return Fault(kind, retry_after=0.05)  # type: ignore[arg-type]


def persistent(req: StubRequest) -> Fault | None:
    return Fault("server_error", status=503) if any(t in req.user_text for t in BROKEN) else None


def run_suite(
    pytester: pytest.Pytester, stub: OpenAIStub, *extra: str
) -> tuple[int, dict[str, Any]]:
    pytester.makeini("[pytest]\n")
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        "--model=openai/stub-model",
        f"--api-base={stub.base_url}",
        "--veto-no-preflight",  # counts and faults are per test request
        f"--veto-cache-dir={pytester.path / 'cache'}",
        f"--veto-report={report}",
        "--veto-backoff=0.01",
        "--veto-timeout=5",
        "-p",
        "no:cacheprovider",
        *extra,
    )
    assert report.exists(), result.stdout.str()[-3000:]
    LAST_OUTPUT[:] = result.outlines
    return result.ret, json.loads(report.read_text())


#: the terminal output of the last ``run_suite``
LAST_OUTPUT: list[str] = []


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["n0", "n2"])
def test_transient_faults_are_retried_and_no_pair_is_lost(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    with OpenAIStub(rule=transient) as stub:
        ret, report = run_suite(pytester, stub, "--mar-max=0", *workers)
        faulted = sum(1 for e in stub.log if e.fault is not None)
        received = stub.requests_received
    assert ret == 0
    assert report["accounting"] == {
        "collected": N,
        "reported": N,
        "missing": [],
        "duplicated": [],
        "dataset_cases": N,
        "selected_cases": N,
        "dataset_items": None,
        "selected_items": 0,
    }
    overall = report["metrics"]["base"]["overall"]
    assert (overall["a"], overall["errors"]) == (N, 0)
    assert faulted > 0 and received == 2 * N + faulted  # exactly one retry per fault
    assert "sk-test-not-a-real-key" not in json.dumps(report)


def test_persistent_failures_are_counted_errors_that_fail_the_gate(
    pytester: pytest.Pytester,
) -> None:
    with OpenAIStub(rule=persistent) as stub:
        ret, report = run_suite(pytester, stub, "--veto-retries=2")
        received = stub.requests_received
    assert ret == 1
    errors = sorted(p["pair_id"] for p in report["pairs"] if p["outcome"] == "error")
    assert errors == sorted([PAIRS[5].id, PAIRS[40].id])
    assert report["accounting"]["missing"] == []
    gate = {g["name"]: g for g in report["gates"]}["max_error_rate"]
    assert not gate["passed"] and gate["value"] == pytest.approx(100 * 2 / N)
    assert received == 2 * N + 2 * 2  # each broken prompt: 1 try + 2 retries
    bad = [p for p in report["prompts"] if p["answer"] == "error"]
    assert len(bad) == 2 and all("503" in p["error"] for p in bad)


def test_error_budget_and_cached_rerun_sends_nothing(pytester: pytest.Pytester) -> None:
    with OpenAIStub(rule=persistent) as stub:
        ret, _ = run_suite(pytester, stub, "--veto-retries=0", "--veto-max-error-rate=5")
        assert ret == 0 and stub.requests_received == 2 * N
        port = int(stub.base_url.rsplit(":", 1)[1].split("/")[0])
    # second run, same server address and cache: only the two errored prompts are asked again
    # (the api_base is part of the cache key: another server may serve another model)
    with OpenAIStub(port=port) as stub:
        ret, report = run_suite(pytester, stub, "-n", "2")
        assert stub.requests_received == 2
    assert ret == 0
    cached = [p["cached"] for p in report["prompts"]]
    assert cached.count(True) == 2 * N - 2
    # the terminal says the grade rests on earlier answers, and how to avoid that
    said = [line for line in LAST_OUTPUT if line.startswith("answers: ")]
    assert said and said[0].startswith(
        f"answers: 2 from the model in this run, {2 * N - 2} from the response cache"
    ), LAST_OUTPUT[-30:]
    assert "--veto-no-cache" in said[0]
    # third run: everything is cached now
    with OpenAIStub(port=port) as stub:
        ret, _ = run_suite(pytester, stub)
        assert stub.requests_received == 0 and ret == 0
    assert any(
        line.startswith(f"answers: 0 from the model in this run, {2 * N} from")
        for line in LAST_OUTPUT
    )


def test_a_no_answer_is_a_misfire_the_gate_sees(pytester: pytest.Pytester) -> None:
    marker = PAIRS[3].stereotyped.text

    def answer(messages: Any) -> str:
        return '{"answer": "no"}' if marker in messages[-1]["content"] else '{"answer": "yes"}'

    with OpenAIStub(answer=answer) as stub:
        ret, report = run_suite(pytester, stub, "--veto-no-cache", "--mar-max=1")
    assert ret == 1
    assert [p["pair_id"] for p in report["pairs"] if p["outcome"] == "c"] == [PAIRS[3].id]
