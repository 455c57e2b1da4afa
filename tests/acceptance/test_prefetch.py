"""Through the real plugin, each test's prompts go out together with those of the tests
this process runs next (the runner's lookahead), so an API model has several requests in
flight even though pytest runs one test at a time. Without the lookahead a pair test
would have at most its two halves in flight, and a Mis-Align item test one request."""

from __future__ import annotations

import pytest

from pytest_veto.plugin import SUITE_DIR
from tests.support.openai_stub import OpenAIStub

VETO_TESTS = SUITE_DIR

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")


@pytest.mark.parametrize(
    ("suite", "per_test"), [("test_pairs.py", 2), ("test_misalign.py", 1)], ids=["pairs", "items"]
)
@pytest.mark.parametrize("workers", [0, 2], ids=["n0", "n2"])
def test_upcoming_prompts_are_sent_with_the_current_ones(
    pytester: pytest.Pytester, suite: str, per_test: int, workers: int
) -> None:
    pytester.makeini("[pytest]\n")
    with OpenAIStub(latency_s=0.05) as stub:
        result = pytester.runpytest_subprocess(
            str(VETO_TESTS / suite),
            "--model=openai/stub-model",
            f"--api-base={stub.base_url}",
            "--veto-no-preflight",  # counts and faults are per test request
            "--veto-no-cache",
            "--veto-concurrency=4",
            "--veto-timeout=5",
            "-p",
            "no:cacheprovider",
            "-n",
            str(workers),
        )
        in_flight = stub.max_in_flight
    out = result.stdout.str()
    assert " passed" in out or " failed" in out, out[-2000:]
    # every worker (at least one) runs one test at a time; only the lookahead adds more
    assert in_flight > per_test * max(workers, 1), (
        f"at most {in_flight} requests in flight: the upcoming tests' prompts were not sent "
        f"ahead\n{out[-2000:]}"
    )
