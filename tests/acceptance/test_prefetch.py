"""Through the real plugin, each test's prompts go out together with those of the tests
this process runs next (the runner's lookahead), so an API model has several requests in
flight even though pytest runs one test at a time. Without the lookahead a pair test
would have at most its two halves in flight, and a Mis-Align item test one request."""

from __future__ import annotations

import json
import os

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


@pytest.mark.parametrize("workers", [0, 2], ids=["n0", "n2"])
def test_requests_sent_ahead_are_each_sent_once_and_all_counted(
    pytester: pytest.Pytester, workers: int
) -> None:
    """The next tests' requests travel in the background while tests are judged: the
    server still gets each prompt of the run once, and the report counts every one."""
    pytester.makeini("[pytest]\n")
    with OpenAIStub(latency_s=0.02) as stub:
        result = pytester.runpytest_subprocess(
            str(VETO_TESTS / "test_pairs.py"),
            "--model=openai/stub-model",
            f"--api-base={stub.base_url}",
            "--veto-no-preflight",
            "--veto-no-cache",
            "--veto-concurrency=3",
            "--veto-report=r.json",
            "-p",
            "no:cacheprovider",
            "-n",
            str(workers),
        )
        received = [(r.request.user_text, r.request.body.get("messages")) for r in stub.log]
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["accounting"]["reported"] == 64, result.stdout.str()[-2000:]
    prompts = {json.dumps(m) for _, m in received}
    assert len(received) == len(prompts)  # nothing sent twice
    assert report["requests"]["sent"] == len(received) == 128


@pytest.mark.parametrize("ours", [True, False], ids=["veto", "other"])
def test_collected_objects_leave_the_garbage_collectors_sight_in_our_sessions_only(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ours: bool
) -> None:
    """``gc.freeze`` after collection spares the full collections (pytest's five at exit)
    a walk over thousands of items; a session without our tests is left alone."""
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        freeze_probe=(
            "import gc\n"
            "def pytest_sessionfinish(session):\n"
            "    open('frozen.txt', 'w').write(str(gc.get_freeze_count()))\n"
        ),
        test_plain="def test_plain():\n    assert True\n",
    )
    monkeypatch.setenv("PYTHONPATH", str(pytester.path), prepend=os.pathsep)
    args = [str(VETO_TESTS / "test_pairs.py"), "--model=reference/evidence-reader"]
    result = pytester.runpytest_subprocess(
        *(args if ours else ["test_plain.py"]), "-p", "freeze_probe", "-p", "no:cacheprovider"
    )
    assert result.ret == 0, result.stdout.str()[-2000:]
    frozen = int((pytester.path / "frozen.txt").read_text())
    assert (frozen > 10_000) if ours else (frozen == 0)
