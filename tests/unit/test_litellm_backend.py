"""The API backend against the loopback OpenAI stub (never the network), through each of
its clients: every test here runs once through litellm and once through the OpenAI client
(``--veto-api-client``), which must behave the same."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import pytest

from pytest_veto.backends import (
    Backend,
    BackendError,
    BackendOptions,
    PromptRequest,
    api_clients,
    create_backend,
)
from pytest_veto.backends.litellm_backend import (
    MAX_ERROR_CHARS,
    MAX_RESPONSE_CHARS,
    PLACEHOLDER_KEY,
    LiteLLMBackend,
    RetryPolicy,
)
from pytest_veto.run.prompts import build_messages
from tests.support.openai_stub import Fault, OpenAIStub, StubRequest
from tests.support.scripted_server import ScriptedServer, chat_completion, error_body

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-test-dummy"
#: a 32-character key of no known shape: only its environment variable makes it a secret
ECHO_KEY = "vtk-Qm2Xr9Lw4Tz8Nb3Hc6Yd1Fs7JaGu"
FAST = RetryPolicy(base_delay_s=0.01, max_delay_s=0.05, retry_after_cap_s=5.0)


#: the client of the running test (set by ``api_client``)
CLIENT: Literal["litellm", "openai"] = "litellm"


@pytest.fixture(autouse=True, params=["litellm", "openai", "openai-httpx"])
def api_client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test once per client (the OpenAI client over aiohttp, its default, and over
    httpx, its fallback); ``api()`` builds the backend with it."""
    global CLIENT
    CLIENT = "litellm" if request.param == "litellm" else "openai"
    monkeypatch.setattr(api_clients, "PREFER_AIOHTTP", request.param == "openai")
    yield CLIENT
    CLIENT = "litellm"


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def api(model: str = "openai/stub", policy: RetryPolicy = FAST, **options: Any) -> LiteLLMBackend:
    """The backend of ``model`` through the running test's client."""
    backend = LiteLLMBackend(model, BackendOptions(api_client=CLIENT, **options), policy=policy)
    assert backend.api_client == CLIENT
    return backend


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as server:
        yield server


def make_backend(stub: OpenAIStub, policy: RetryPolicy = FAST, **options: Any) -> LiteLLMBackend:
    """A backend on the stub with fast backoff; ``options`` override ``BackendOptions``."""
    options.setdefault("timeout_s", 5.0)
    return api(policy=policy, api_base=stub.base_url, **options)


def req(name: str, text: str | None = None, max_new_tokens: int = 32) -> PromptRequest:
    """A request whose user text contains ``name`` (the stub's rules match on it)."""
    return PromptRequest(
        name,
        "contrast",
        "base",
        build_messages(text or f"Question {name}?"),
        max_new_tokens=max_new_tokens,
    )


def on(server: ScriptedServer | OpenAIStub, api_base: str | None = None, **options: Any) -> Any:
    """A backend on ``server`` (or on ``api_base``) with fast backoff."""
    options.setdefault("timeout_s", 5.0)
    base = api_base or server.base_url
    return api(api_base=base, **options)


def leaked(secret: str, text: str, window: int = 8) -> list[str]:
    """The pieces of ``secret`` (``window`` characters or more) found in ``text``."""
    pieces = (secret[i : i + window] for i in range(len(secret) - window + 1))
    return [piece for piece in pieces if piece in text]


def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def always(kind: str, marker: str = "", **fields: Any) -> Any:
    """A stub rule: fault ``kind`` on every request whose user text contains ``marker``."""

    def rule(request: StubRequest) -> Fault | None:
        return Fault(kind, **fields) if marker in request.user_text else None  # type: ignore[arg-type]

    return rule


# --- success, order, concurrency -------------------------------------------------------------


def test_batch_succeeds_in_request_order_with_spec_decoding() -> None:
    def slow_first(messages: Sequence[Any]) -> str:
        text = str(messages[-1]["content"])
        index = int(text.split("#")[1].split("?")[0])
        time.sleep(0.02 * (8 - index))  # earlier requests answer later
        return f'{{"answer": "yes", "echo": {index}}}'

    with OpenAIStub(answer=slow_first) as stub:
        backend = make_backend(stub, concurrency=8)
        batch = [req(f"p{i}", f"Question #{i}?", max_new_tokens=16 + i) for i in range(8)]
        out = backend.complete(batch)
    assert [json.loads(c.text)["echo"] for c in out] == list(range(8))
    assert {c.status for c in out} == {"ok"} and all(c.error is None for c in out)
    assert all(c.latency_s > 0 for c in out)
    assert backend.requests_sent == stub.requests_received == 8
    bodies = sorted((e.request.body for e in stub.log), key=lambda b: b["max_tokens"])
    assert [b["max_tokens"] for b in bodies] == [16 + i for i in range(8)]
    assert all(b["temperature"] == 0 and b["model"] == "stub" for b in bodies)
    assert bodies[0]["messages"] == [m.as_dict() for m in batch[0].messages]
    assert stub.log[0].request.authorization == f"Bearer {KEY}"


def test_default_answer_follows_the_marker(stub: OpenAIStub) -> None:
    out = make_backend(stub).complete([req("a"), req("b", "Is it? ANSWER_NO")])
    assert [c.text for c in out] == ['{"answer": "yes"}', '{"answer": "no"}']


def test_requests_really_run_concurrently_up_to_the_limit() -> None:
    with OpenAIStub(latency_s=0.2) as stub:
        out = make_backend(stub, concurrency=8).complete([req(f"p{i}") for i in range(16)])
    assert {c.status for c in out} == {"ok"}
    assert 4 <= stub.max_in_flight <= 8  # 8 when the machine is idle; never above the limit


def test_concurrency_one_is_sequential() -> None:
    with OpenAIStub(latency_s=0.02) as stub:
        make_backend(stub, concurrency=1).complete([req(f"p{i}") for i in range(5)])
    assert stub.max_in_flight == 1 and stub.requests_received == 5


def test_empty_batch_sends_nothing(stub: OpenAIStub) -> None:
    backend = make_backend(stub)
    assert backend.complete([]) == [] and backend.requests_sent == 0


# --- retries ------------------------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds() -> None:
    with OpenAIStub(faults=[Fault("rate_limit", retry_after=1)]) as stub:
        backend = make_backend(stub)
        [done] = backend.complete([req("p0")])
    assert done.status == "ok" and backend.requests_sent == 2
    first, second = (e.request.arrived for e in stub.log)
    assert second - first >= 1.0
    assert [e.fault for e in stub.log] == ["rate_limit", None]


def test_retry_after_is_capped() -> None:
    with OpenAIStub(faults=[Fault("rate_limit", retry_after=3600)]) as stub:
        policy = RetryPolicy(base_delay_s=0.01, retry_after_cap_s=0.2)
        started = time.monotonic()
        [done] = make_backend(stub, policy=policy).complete([req("p0")])
    assert done.status == "ok" and time.monotonic() - started < 5


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_then_success(status: int) -> None:
    with OpenAIStub(faults=[Fault("server_error", status=status)]) as stub:
        backend = make_backend(stub)
        [done] = backend.complete([req("p0")])
    assert done.status == "ok" and backend.requests_sent == stub.requests_received == 2


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_persistent_500_is_an_error_after_exactly_retries_plus_one(retries: int) -> None:
    with OpenAIStub(rule=always("server_error")) as stub:
        backend = make_backend(stub, retries=retries)
        [done] = backend.complete([req("p0")])
    assert done.status == "error" and done.text == ""
    assert done.error is not None and "500" in done.error and f"after {retries + 1}" in done.error
    assert backend.requests_sent == stub.requests_received == retries + 1


def test_a_hang_is_an_error_bounded_by_the_timeout() -> None:
    stub = OpenAIStub(rule=always("hang", hang_s=30)).start()
    try:
        backend = make_backend(stub, timeout_s=0.5, retries=1)
        started = time.monotonic()
        [done] = backend.complete([req("p0")])
        elapsed = time.monotonic() - started
    finally:
        stopping = time.monotonic()
        stub.stop()
    assert done.status == "error" and done.error is not None
    assert done.error == f"timeout after 0.5 s ({stub.base_url}) (after 2 attempts)"
    assert stub.requests_received == 2 and 1.0 <= elapsed < 4.0
    assert time.monotonic() - stopping < 2.0  # hanging handlers do not hold the server up


def test_a_hang_then_success() -> None:
    with OpenAIStub(faults=[Fault("hang", hang_s=30)]) as stub:
        [done] = make_backend(stub, timeout_s=0.5).complete([req("p0")])
    assert done.status == "ok" and stub.requests_received == 2


def test_a_dropped_connection_is_retried() -> None:
    with OpenAIStub(faults=[Fault("disconnect")]) as stub:
        [done] = make_backend(stub).complete([req("p0")])
    assert done.status == "ok" and stub.requests_received == 2


# --- malformed responses: retried, and an error when they persist -----------------------


@pytest.mark.parametrize("kind", ["malformed", "empty_choices", "no_content"])
def test_transient_malformed_response_is_retried(kind: str) -> None:
    with OpenAIStub(faults=[Fault(kind)]) as stub:  # type: ignore[arg-type]
        [done] = make_backend(stub).complete([req("p0")])
    assert done.status == "ok" and done.text == '{"answer": "yes"}'
    assert stub.requests_received == 2


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("malformed", "not JSON"), ("empty_choices", "empty choices"), ("no_content", "no content")],
)
def test_persistent_malformed_response_is_an_error(kind: str, reason: str) -> None:
    with OpenAIStub(rule=always(kind)) as stub:
        backend = make_backend(stub, retries=2)
        [done] = backend.complete([req("p0")])
    assert done.status == "error" and done.text == ""
    assert done.error is not None and reason in done.error
    assert stub.requests_received == 3


# --- refusals and non-retryable errors ------------------------------------------------------


@pytest.mark.parametrize("kind", ["content_filter", "refusal", "policy_400"])
def test_content_filter_and_refusal_are_refused_at_once(kind: str) -> None:
    with OpenAIStub(faults=[Fault(kind)]) as stub:  # type: ignore[arg-type]
        [done] = make_backend(stub).complete([req("p0")])
    assert done.status == "refused" and done.error is None
    assert stub.requests_received == 1
    if kind == "refusal":
        assert "can't help" in done.text


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("content_policy_violation", "refused"),
        ("content_filter", "refused"),
        (None, "error"),
        ("invalid_request_error", "error"),
    ],
)
def test_only_a_policy_error_code_is_a_refusal(code: str | None, status: str) -> None:
    """The message mentions both policy words (litellm even raises its
    ContentPolicyViolationError for it): only the error's code decides."""
    message = (
        "Unrecognized request argument supplied: content_filter_mode (content_policy_violation)"
    )
    with ScriptedServer(lambda body: (400, error_body(message, code))) as server:
        [done] = on(server).complete([req("p0")])
    assert done.status == status and server.requests_received == 1
    if status == "error":
        assert done.error is not None and done.error.startswith("HTTP 400 ")
        assert done.error.endswith("(not retried)") and "content_filter_mode" in done.error
    else:
        assert done.error is None and "content_filter_mode" in done.text


@pytest.mark.parametrize("content", ["", " ", "\n\t "])
def test_an_empty_answer_is_retried_then_an_error(content: str) -> None:
    with OpenAIStub(answer=lambda messages: content) as stub:
        [done] = make_backend(stub, retries=2).complete([req("p0")])
    assert done.status == "error" and done.text == "" and stub.requests_received == 3
    assert done.error == f"empty answer: content {content!r} (finish stop) (after 3 attempts)"


def test_an_empty_answer_then_a_real_one() -> None:
    answers = iter(["", '{"answer": "yes"}'])
    with OpenAIStub(answer=lambda messages: next(answers)) as stub:
        [done] = make_backend(stub).complete([req("p0")])
    assert done.status == "ok" and done.text == '{"answer": "yes"}'
    assert stub.requests_received == 2


def test_no_content_because_the_token_budget_ran_out_is_an_error() -> None:
    with ScriptedServer(lambda body: (200, chat_completion(None, "length"))) as server:
        [done] = on(server, retries=1).complete([req("p0")])
    assert done.status == "error" and done.error is not None
    assert "no content (finish length)" in done.error and server.requests_received == 2


def test_a_content_filter_finish_with_empty_content_is_refused() -> None:
    with ScriptedServer(lambda body: (200, chat_completion("", "content_filter"))) as server:
        [done] = on(server).complete([req("p0")])
    assert done.status == "refused" and server.requests_received == 1


# --- one reading of a server's answer, whichever client asked ------------------------------


@pytest.mark.parametrize(
    ("content", "status", "text"),
    [
        ('<think>yes or no?</think>{"answer": "no"}', "ok", '{"answer": "no"}'),
        ("<thinking>yes?</thinking> no", "ok", " no"),
        ("<budget:thinking>hm</think>yes", "ok", "yes"),
        ("<think>yes or no?</think>", "error", ""),  # nothing after the reasoning
        ("Answer: <think>x</think> yes", "ok", "Answer: <think>x</think> yes"),  # not leading
    ],
)
def test_a_leading_reasoning_block_is_not_the_answer(content: str, status: str, text: str) -> None:
    with ScriptedServer(lambda body: (200, chat_completion(content))) as server:
        [done] = on(server, retries=1).complete([req("p0")])
    assert (done.status, done.text) == (status, text), done.error


def test_with_a_reasoning_field_the_content_is_the_answer_whole() -> None:
    content = "<think>a</think>yes"
    reply = chat_completion(content, reasoning_content="thought")
    with ScriptedServer(lambda body: (200, reply)) as server:
        [done] = on(server).complete([req("p0")])
    assert (done.status, done.text) == ("ok", content)


@pytest.mark.parametrize(
    ("finish", "status"),
    [("SAFETY", "refused"), ("guardrail_intervened", "refused"), ("stop", "ok"), ("eos", "ok")],
)
def test_a_providers_filter_finish_reason_is_a_refusal(finish: str, status: str) -> None:
    with ScriptedServer(lambda body: (200, chat_completion("yes", finish))) as server:
        [done] = on(server).complete([req("p0")])
    assert done.status == status and server.requests_received == 1


def test_an_error_object_in_a_200_fails_at_once() -> None:
    with ScriptedServer(lambda body: (200, error_body("upstream model crashed", None))) as server:
        [done] = on(server, retries=2).complete([req("p0")])
    assert done.status == "error" and done.error is not None
    assert "upstream model crashed" in done.error and "not retried" in done.error
    assert server.requests_received == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_fail_at_once(status: int) -> None:
    with OpenAIStub(rule=always("status", status=status)) as stub:
        backend = make_backend(stub)
        [done] = backend.complete([req("p0")])
    assert done.status == "error" and done.error is not None
    assert str(status) in done.error and "not retried" in done.error
    # the provider's message, said the same way by both clients
    message = "Incorrect API key provided: ***" if status == 401 else f"stub error {status}"
    assert done.error.startswith(f"HTTP {status} ") and f"Error: {message} (" in done.error
    assert backend.requests_sent == stub.requests_received == 1


def test_a_missing_key_fails_at_once_without_a_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``--api-base``: the provider's own endpoint needs its key; the client refuses
    before connecting, so nothing reaches the network."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    backend = api("openai/gpt-4o-mini", retries=2)
    [done] = backend.complete([req("p0")])
    assert done.status == "error" and done.error is not None
    assert "OPENAI_API_KEY" in done.error and "not retried" in done.error


def test_a_keyless_api_base_gets_a_placeholder_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local server needs no key: without ``OPENAI_API_KEY`` the named server gets a
    placeholder (it failed before as "Missing credentials"); with one, the real key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with OpenAIStub(require_key=PLACEHOLDER_KEY) as stub:
        [done] = make_backend(stub).complete([req("p0")])
    assert done.status == "ok", done.error
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-one")
    with OpenAIStub(require_key="sk-real-one") as stub:
        [done] = make_backend(stub).complete([req("p0")])
    assert done.status == "ok", done.error


def test_one_bad_request_does_not_spoil_the_batch() -> None:
    def rule(request: StubRequest) -> Fault | None:
        if "BROKEN" in request.user_text:
            return Fault("server_error")
        return Fault("content_filter") if "BLOCKED" in request.user_text else None

    with OpenAIStub(rule=rule) as stub:
        batch = [req("a"), req("b", "BROKEN?"), req("c", "BLOCKED?"), req("d", "x ANSWER_NO")]
        out = make_backend(stub, retries=1).complete(batch)
    assert [c.status for c in out] == ["ok", "error", "refused", "ok"]
    assert out[3].text == '{"answer": "no"}'


def test_an_unexpected_exception_becomes_an_error(stub: OpenAIStub) -> None:
    backend = make_backend(stub)

    async def explode(request: PromptRequest) -> Any:
        raise ValueError(f"boom with {KEY}")

    backend._client = SimpleNamespace(name=CLIENT, call=explode)  # type: ignore[assignment]
    [done] = backend.complete([req("p0")])
    assert done.status == "error" and done.error is not None
    assert "ValueError" in done.error and KEY not in done.error and backend.requests_sent == 1


# --- secrets ------------------------------------------------------------------------------


def test_the_key_never_leaks_into_errors_or_the_cache_identity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ant-secret-value-123")
    # The stub's 401 echoes the presented key, as real providers do.
    with OpenAIStub(require_key="another-key") as stub:
        backend = make_backend(stub)
        [done] = backend.complete([req("p0")])
    assert done.status == "error" and done.error is not None and "401" in done.error
    assert KEY not in done.error and "***" in done.error
    identity = json.dumps(
        LiteLLMBackend(
            "openai/stub", BackendOptions(api_base="http://user:ant-secret-value-123@h:1/v1?t=x")
        ).cache_identity()
    )
    assert KEY not in identity and "ant-secret-value-123" not in identity and "t=x" not in identity


def test_a_key_echoed_in_an_answer_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ECHO_KEY)
    with OpenAIStub(answer=lambda messages: f'{{"answer": "yes"}} (key {ECHO_KEY})') as stub:
        [done] = make_backend(stub).complete([req("p0")])
    assert done.status == "ok" and done.text == '{"answer": "yes"} (key ***)'


def test_a_key_in_a_long_error_is_scrubbed_before_the_message_is_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The key sits across the 160-character cut: cut first, 24 of its 32 characters leaked."""
    monkeypatch.setenv("OPENAI_API_KEY", ECHO_KEY)
    message = ("The gateway rejected this request. " * 4)[:136] + ECHO_KEY + " was refused."
    with ScriptedServer(lambda body: (400, error_body(message, "bad_key"))) as server:
        [done] = on(server).complete([req("p0")])
    assert done.status == "error" and done.error is not None
    assert leaked(ECHO_KEY, done.error) == []
    assert len(done.error) <= MAX_ERROR_CHARS + len(" (not retried)")


def test_api_base_credentials_never_leave_the_backend() -> None:
    query_key, password = "qk-5Rt8Wq2Zp6Lm", "pw-Hx4Nd9Kc3Vb"
    with OpenAIStub(answer=lambda messages: f'{{"answer": "no"}} {query_key}') as stub:
        [done] = on(stub, api_base=f"{stub.base_url}?api_key={query_key}").complete([req("a")])
    # no server at that port: the error names the URL, never its password
    userinfo = f"http://veto:{password}@127.0.0.1:{closed_port()}/v1"
    [failed] = api(api_base=userinfo, retries=0).complete([req("b")])
    assert done.status == "ok" and done.text == '{"answer": "no"} ***'
    assert failed.status == "error" and failed.error is not None
    assert leaked(password, failed.error) == [] and "//***@127.0.0.1:" in failed.error


def test_a_huge_answer_is_scrubbed_then_cut_and_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ECHO_KEY)
    head = '{"answer": "yes"} '
    answer = head + "." * (MAX_RESPONSE_CHARS - len(head) - 10) + ECHO_KEY + "." * 300_000
    with OpenAIStub(answer=lambda messages: answer) as stub:
        [done] = make_backend(stub).complete([req("p0")])
    scrubbed = len(answer) - len(ECHO_KEY) + len("***")
    assert done.status == "ok" and done.text.startswith(head)
    body, note = done.text[:MAX_RESPONSE_CHARS], done.text[MAX_RESPONSE_CHARS:]
    assert body == head + "." * (MAX_RESPONSE_CHARS - len(head) - 10) + "***" + "." * 7
    assert note == f"\n[pytest-veto: response cut to its first 65,536 of {scrubbed:,} characters]"
    assert leaked(ECHO_KEY, done.text, window=4) == []
    assert done.extra == {"truncated_from_chars": float(scrubbed)}


def test_an_answer_at_the_limit_is_kept_whole() -> None:
    answer = '{"answer": "yes"}'.ljust(MAX_RESPONSE_CHARS, ".")
    with OpenAIStub(answer=lambda messages: answer) as stub:
        [done] = make_backend(stub).complete([req("p0")])
    assert done.text == answer and done.extra == {}


# --- error labels: what happened, where -------------------------------------------------


def test_a_closed_port_is_connection_refused() -> None:
    base = f"http://127.0.0.1:{closed_port()}/v1"
    backend = api(api_base=base, retries=0)
    [done] = backend.complete([req("p0")])
    assert done.status == "error"
    assert done.error == f"connection refused ({base}) (after 1 attempts)"


def test_tls_to_a_plain_http_server_is_a_tls_error(stub: OpenAIStub) -> None:
    base = stub.base_url.replace("http://", "https://")
    [done] = on(stub, api_base=base, retries=0).complete([req("p0")])
    assert done.status == "error" and done.error is not None
    assert done.error.startswith(f"TLS error ({base}): ") and "SSL" in done.error


def test_cache_identity(stub: OpenAIStub) -> None:
    assert make_backend(stub).cache_identity() == {
        "backend": "litellm",
        "model": "openai/stub",
        "api_base": stub.base_url,
        "temperature": 0,
        "max_tokens": "request.max_new_tokens",
    }


# --- the protocol, lazy import, no network ---------------------------------------------------


def test_create_backend_returns_a_protocol_conforming_backend(stub: OpenAIStub) -> None:
    backend = create_backend("openai/stub", BackendOptions(api_base=stub.base_url))
    assert isinstance(backend, LiteLLMBackend) and isinstance(backend, Backend)
    assert backend.kind == "litellm" and backend.model == "openai/stub"
    assert backend.capabilities == frozenset()
    backend.close()
    with pytest.raises(BackendError):
        backend.complete([req("p0")])


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_importing_the_module_does_not_import_litellm() -> None:
    done = _run_python("""
        import sys
        import pytest_veto.backends
        import pytest_veto.backends.litellm_backend
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("litellm", "openai")))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_no_connection_but_to_the_api_base() -> None:
    done = _run_python(f"""
        import os, socket
        seen = []
        real_connect, real_gai = socket.socket.connect, socket.getaddrinfo
        def connect(sock, address):
            seen.append(address[0])
            return real_connect(sock, address)
        def getaddrinfo(host, *args, **kwargs):
            seen.append(host)
            return real_gai(host, *args, **kwargs)
        socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
        os.environ["OPENAI_API_KEY"] = "sk-test-dummy"
        os.environ.pop("LITELLM_LOCAL_MODEL_COST_MAP", None)
        from pytest_veto.backends import BackendOptions, PromptRequest, api_clients
        from pytest_veto.backends.litellm_backend import LiteLLMBackend
        from pytest_veto.run.prompts import build_messages
        from tests.support.openai_stub import OpenAIStub
        with OpenAIStub() as stub:
            api_clients.PREFER_AIOHTTP = {api_clients.PREFER_AIOHTTP!r}
            options = BackendOptions(api_base=stub.base_url, api_client={CLIENT!r})
            backend = LiteLLMBackend("openai/stub", options)
            request = PromptRequest("p", "contrast", "base", build_messages("Q?"))
            print(backend.complete([request])[0].status)
        print(sorted(set(seen)))
    """)
    assert done.returncode == 0, done.stderr
    status, hosts = done.stdout.strip().splitlines()[-2:]
    assert status == "ok"
    assert hosts == "['127.0.0.1']"  # the patch saw the stub call, and nothing else


# --- backoff, Retry-After parsing ------------------------------------------------------------


# --- the stub as a script (benchmarks and pytester runs start it this way) -------------------
