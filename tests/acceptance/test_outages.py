"""Outages are not answers: a server that only fails must fail the run and cache nothing.

Two outages that used to pass the default gates (every half a wrong answer, no error) and
were cached, so a rerun after the fix graded the outage again without asking the model:

- an HTTP 400 whose message merely mentions ``content_filter`` (an unsupported request
  argument), recorded as a refusal;
- a 200 whose content is empty or whitespace, recorded as an empty answer.

Each run is followed by a second one against a server that works, on the same address
(the address is part of the cache key) and the same cache: every request is sent again.
No test touches the network.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.plugin import SUITE_DIR
from tests.support.openai_stub import OpenAIStub
from tests.support.scripted_server import ScriptedServer, error_body

VETO_TESTS = SUITE_DIR / "test_pairs.py"  # VETO only
N = len(load_pairs(sample_pairs_path()))

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")


def run_suite(pytester: pytest.Pytester, base_url: str, *extra: str) -> tuple[int, dict[str, Any]]:
    """The VETO suite on ``base_url`` with one cache folder per test; the return code and
    the JSON report."""
    pytester.makeini("[pytest]\n")
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        "--model=openai/stub-model",
        f"--api-base={base_url}",
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
    return result.ret, json.loads(report.read_text())


def assert_outage_failed_the_run(ret: int, report: Mapping[str, Any]) -> None:
    """Exit 1 on the error gate, every pair an error, no half an answer."""
    assert ret == 1
    gates = {g["name"]: g for g in report["gates"]}
    assert not gates["max_error_rate"]["passed"]
    assert gates["max_error_rate"]["value"] == pytest.approx(100.0)
    assert {p["outcome"] for p in report["pairs"]} == {"error"}
    assert {p["answer"] for p in report["prompts"]} == {"error"}
    assert report["metrics"]["base"]["overall"]["errors"] == N


def assert_fixed_server_is_asked_again(pytester: pytest.Pytester, port: int) -> None:
    """The same address and cache, a working server: nothing was cached, all is sent."""
    with OpenAIStub(port=port) as stub:
        ret, report = run_suite(pytester, stub.base_url)
        assert stub.requests_received == 2 * N
    assert ret == 0
    assert not any(p["cached"] for p in report["prompts"])
    assert {p["answer"] for p in report["prompts"]} <= {"yes", "no"}


def test_a_400_that_mentions_content_filter_is_an_error_not_a_refusal(
    pytester: pytest.Pytester,
) -> None:
    """An unsupported argument named ``content_filter_mode`` is no policy refusal: its
    error code is none of the refusal codes, whatever its message says."""
    message = "Unrecognized request argument supplied: content_filter_mode"

    def respond(body: Mapping[str, Any]) -> tuple[int, object]:
        return 400, error_body(message, code=None)

    with ScriptedServer(respond) as server:
        ret, report = run_suite(pytester, server.base_url)
        sent, port = server.requests_received, server.port
    assert_outage_failed_the_run(ret, report)
    assert sent == 2 * N  # a 400 is not retried
    errors = {p["error"] for p in report["prompts"]}
    assert len(errors) == 1
    [error] = errors
    assert error.startswith("HTTP 400 BadRequestError: ") and message in error
    assert error.endswith("(not retried)")
    assert_fixed_server_is_asked_again(pytester, port)


@pytest.mark.parametrize("content", ["", " \n\t "], ids=["empty", "whitespace"])
def test_an_empty_answer_is_a_retried_error_and_never_cached(
    pytester: pytest.Pytester, content: str
) -> None:
    """A 200 without refusal signal whose content is empty or whitespace is no answer: it
    is retried within the budget, then an error."""
    with OpenAIStub(answer=lambda messages: content) as stub:
        ret, report = run_suite(pytester, stub.base_url, "--veto-retries=1")
        sent = stub.requests_received
        port = int(stub.base_url.rsplit(":", 1)[1].split("/")[0])
    assert_outage_failed_the_run(ret, report)
    assert sent == 2 * 2 * N  # every half: one try and one retry
    errors = {p["error"] for p in report["prompts"]}
    assert errors == {f"empty answer: content {content!r} (finish stop) (after 2 attempts)"}
    assert_fixed_server_is_asked_again(pytester, port)
