"""The preflight: a model that cannot answer stops the run once, before any test, with
one message (what failed, where, the likely fix) and exit 4; a keyless ``--api-base``
server works without ``OPENAI_API_KEY``. Every server is a loopback stub; nothing here
reaches the network.
"""

from __future__ import annotations

import json

import pytest

from pytest_veto.backends.litellm_backend import PLACEHOLDER_KEY
from pytest_veto.plugin import SUITE_DIR
from tests.support.openai_stub import Fault, OpenAIStub, StubRequest

VETO_TESTS = SUITE_DIR / "test_pairs.py"
TIMEOUT = 300
UNRELATED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:anyio")
N = [pytest.param(0, id="n0"), pytest.param(2, id="n2")]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str, key: bool = False
) -> tuple[pytest.RunResult, str]:
    """The VETO suite in a subprocess, ``OPENAI_API_KEY`` set only when ``key``."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    if key:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        f"--veto-cache-dir={pytester.path / 'cache'}",
        "--veto-backoff=0.01",
        *args,
        timeout=TIMEOUT,
    )
    return result, result.stdout.str() + result.stderr.str()


def assert_stopped(result: pytest.RunResult, out: str, *expected: str) -> None:
    """Exit 4, one preflight message holding ``expected``, no test and no traceback."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out
    assert out.count("pytest-veto preflight:") == 1, out
    (line,) = [x for x in out.splitlines() if "pytest-veto preflight:" in x]
    for text in (*expected, "Likely fix: ", "--veto-no-preflight"):
        assert text in line, line
    assert "Traceback" not in out and "passed" not in out and "VETO gate" not in out, out


def only_stub_model(request: StubRequest) -> Fault | None:
    """A server that serves one model: any other name is a 404, as real servers answer."""
    return None if request.body.get("model") == "stub-model" else Fault("status", status=404)


@pytest.mark.parametrize("n", N)
def test_a_wrong_model_name_stops_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    with OpenAIStub(rule=only_stub_model) as stub:
        result, out = run(
            pytester, monkeypatch, "--model=openai/no-such-model", f"--api-base={stub.base_url}",
            "-n", str(n),
        )  # fmt: skip
        sent = stub.requests_received
    assert_stopped(result, out, "--model=openai/no-such-model", "HTTP 404", "model name")
    assert sent == 1  # the preflight's one request (a 404 is not retried), no test's


def test_a_missing_key_stops_the_run_without_a_request(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, out = run(pytester, monkeypatch, "--model=openai/gpt-4o-mini", "-n", "2")
    assert_stopped(result, out, "OPENAI_API_KEY is not set", "export OPENAI_API_KEY")


def test_a_closed_port_stops_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, out = run(
        pytester, monkeypatch, "--model=openai/stub-model", "--api-base=http://127.0.0.1:9/v1",
        key=True,
    )  # fmt: skip
    assert_stopped(result, out, "connection refused (http://127.0.0.1:9/v1)", "start the server")


def test_a_local_model_that_is_nowhere_stops_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(pytester.path / "hf-home"))  # an empty hub cache
    result, out = run(pytester, monkeypatch, "--model=hf/does-not-exist")
    assert_stopped(result, out, "--model=hf/does-not-exist", "not in the Hugging Face cache")


def test_no_preflight_sends_every_test_to_the_broken_model(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub(rule=only_stub_model) as stub:
        result, out = run(
            pytester, monkeypatch, "--model=openai/no-such-model", f"--api-base={stub.base_url}",
            "--veto-no-preflight", "-m", "age", "--veto-allow-subset",
        )  # fmt: skip
        sent = stub.requests_received
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    assert "pytest-veto preflight" not in out
    assert sent > 1


@pytest.mark.parametrize("n", N)
def test_a_keyless_server_needs_no_api_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    """A local llama.cpp or vLLM server: no ``OPENAI_API_KEY``, a placeholder key sent to
    the named server only; the preflight's request and every test's are answered."""
    with OpenAIStub(require_key=PLACEHOLDER_KEY) as stub:
        result, out = run(
            pytester, monkeypatch, "--model=openai/stub-model", f"--api-base={stub.base_url}",
            "-m", "age", "--veto-allow-subset", "-n", str(n), "--veto-report=r.json",
        )  # fmt: skip
        keys = {e.request.authorization for e in stub.log}
        sent = stub.requests_received
    assert result.ret == pytest.ExitCode.OK, out
    assert keys == {f"Bearer {PLACEHOLDER_KEY}"}
    assert sent == 1 + 2 * 8  # the preflight, then both halves of the 8 age pairs
    # what the run asked, in the terminal and the report (the preflight not among them)
    assert "requests: 16 sent (0 errors), 0 from the response cache; latency mean " in out
    block = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))["requests"]
    assert (block["sent"], block["from_cache"], block["errors"]) == (16, 0, 0)
    assert block["latency_p95_s"] >= block["latency_mean_s"] > 0


def thinks_first(request: StubRequest) -> Fault | None:
    """A reasoning model: a small budget is spent thinking, and no text comes back."""
    budget = request.body.get("max_completion_tokens", request.body.get("max_tokens", 0))
    return Fault("no_content") if budget < 256 else None


def test_the_probe_is_asked_under_the_runs_budget(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reasoning model given the probe's old 8 tokens answered nothing, and the preflight
    stopped a run that would have worked; the probe now gets the run's budget (1,024 for
    an OpenAI reasoning model, as published) and its decoding parameters."""
    with OpenAIStub(rule=thinks_first) as stub:
        result, out = run(
            pytester, monkeypatch, "--model=openai/o3-mini", f"--api-base={stub.base_url}",
            "-m", "age", "--veto-allow-subset", key=True,
        )  # fmt: skip
        probe = stub.log[0].request.body
    assert result.ret == pytest.ExitCode.OK, out
    assert "pytest-veto preflight:" not in out
    assert probe["max_completion_tokens"] == 1024 and "temperature" not in probe
