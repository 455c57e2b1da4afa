"""The litellm backend: any ``--model`` that is neither ``reference/`` nor ``hf/``.

``openai/...``, ``anthropic/...``, ``openrouter/...``, ``ollama/...``, ``hosted_vllm/...``
or any other litellm model string; ``--api-base`` points it at an OpenAI-compatible server.
API keys come only from the provider's usual environment variables (``OPENAI_API_KEY``...)
and are scrubbed from every message this module returns or logs.

litellm is imported on the first ``complete()`` call, never at module import, after forcing its
bundled price list (``LITELLM_LOCAL_MODEL_COST_MAP``) so the import makes no network call.
Its retries and callbacks are switched off: retries happen here, so they are bounded,
honour ``Retry-After`` and are counted in ``requests_sent``.

Retry decisions (see ``classify``): 429, 408/409/425, 5xx, timeouts and connection errors
are retried; other HTTP errors (400, 401, 403, 404, 422...) fail at once. Malformed
responses (a body that is not JSON, empty ``choices``, a message without content, an empty
or whitespace-only answer) are retried too, since a truncated body is usually a transient
proxy fault; when they persist they end as ``error``, never as an answer (and errors are
never cached).

Only the provider's documented refusal signals are ``refused`` (not retried: at
temperature 0 it is the model's answer): ``finish_reason == "content_filter"``, an
OpenAI-style ``refusal`` field, or an error whose machine-readable *code* (litellm's
``exc.code``, from the provider's error body) is in ``POLICY_CODES``. Words in an error
message prove nothing: "Unrecognized request argument supplied: content_filter_mode" is a
plain HTTP 400 error.

Every string that leaves this backend (completion text, refusal text, error text) is
scrubbed of secrets first (``pytest_veto.backends.secrets``: key-like environment values,
the credentials of ``--api-base``, URL user info and key-like query values), then cut:
errors to ``MAX_ERROR_CHARS``, answers to ``MAX_RESPONSE_CHARS`` with a note appended
and the original length in ``Completion.extra["truncated_from_chars"]``.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pytest_veto.backends.protocol import (
    BackendError,
    BackendOptions,
    Capability,
    Completion,
    PromptRequest,
)
from pytest_veto.backends.secrets import scrub_secrets, scrub_url, url_secrets

__all__ = [
    "MAX_ERROR_CHARS",
    "MAX_RESPONSE_CHARS",
    "POLICY_CODES",
    "LiteLLMBackend",
    "RetryPolicy",
    "backoff_delay",
    "classify",
    "clip_response",
    "describe",
    "error_code",
    "import_litellm",
    "interpret",
    "scrub_secrets",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
Decision = Literal["retry", "fail", "refused"]

#: The error codes with which providers report a request their content policy blocked
#: (OpenAI: ``content_policy_violation``; Azure OpenAI: ``content_filter``).
POLICY_CODES = frozenset({"content_filter", "content_policy_violation"})
#: An answer longer than this many characters is cut (after scrubbing) and marked.
MAX_RESPONSE_CHARS = 65_536
#: Appended to a cut answer; it holds neither "yes" nor "no", so it cannot become an answer.
TRUNCATION_NOTE = "\n[pytest-veto: response cut to its first {kept:,} of {total:,} characters]"
#: Error messages are cut to this many characters (after scrubbing).
MAX_ERROR_CHARS = 160
_RETRY_STATUSES = frozenset({408, 409, 425, 429})
#: Failures litellm reports as 500 although no retry can help (no key in the environment).
_FATAL_MARKERS = ("missing credentials", "api_key client option must be set")
_NOISE = re.compile(r"^(litellm\.\w+:\s*|\w+Error:\s*|\w+Exception\s*-\s*)+")
#: Exception names (litellm, openai, httpx, aiohttp) that say what failed below HTTP.
_TIMEOUT_NAMES = frozenset(
    {"Timeout", "APITimeoutError", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout"}
)
_DNS_NAMES = frozenset({"ClientConnectorDNSError"})
_TLS_NAMES = frozenset(
    {"ClientConnectorSSLError", "ClientConnectorCertificateError", "ClientSSLError"}
)
#: base classes of failures to reach a server or to read its answer (httpx, aiohttp, openai)
_CONNECTION_BASES = frozenset(
    {"ConnectionError", "TransportError", "ClientConnectionError", "APIConnectionError"}
)
#: The key sent to an ``--api-base`` server when the provider's key variable is unset: a
#: local llama.cpp or vLLM server needs none, but the OpenAI client refuses to send
#: a request without one. Never sent to a provider's default endpoint.
PLACEHOLDER_KEY = "pytest-veto-no-key"
#: the ``_failure`` kind of a 200 whose body is not JSON
_MALFORMED = "malformed response, not JSON"


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff parameters: delay ``base * 2**attempt`` with jitter, capped; Retry-After wins."""

    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    retry_after_cap_s: float = 60.0


def backoff_delay(
    attempt: int, policy: RetryPolicy, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0).

    Exponential with "equal jitter" (between half and all of the step). A server's
    Retry-After is a floor (capped at ``retry_after_cap_s``), plus a little jitter so
    concurrent requests do not return in lock-step.
    """
    step = min(policy.max_delay_s, policy.base_delay_s * 2.0**attempt)
    delay = step * (0.5 + rng.random() / 2)
    if retry_after is not None:
        floor = min(max(retry_after, 0.0), policy.retry_after_cap_s)
        delay = max(delay, floor + rng.random() * policy.base_delay_s)
    return delay


def retry_after_s(exc: BaseException, now: float | None = None) -> float | None:
    """The Retry-After (or ``retry-after-ms``) of an error's response, in seconds, if any."""
    sources = (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
    )
    for headers in sources:
        if not headers:
            continue
        lowered = {str(k).lower(): str(v) for k, v in dict(headers).items()}
        try:
            if "retry-after-ms" in lowered:
                return float(lowered["retry-after-ms"]) / 1000
            if "retry-after" in lowered:
                value = lowered["retry-after"]
                try:
                    return float(value)
                except ValueError:
                    when = email.utils.parsedate_to_datetime(value).timestamp()
                    return max(0.0, when - (time.time() if now is None else now))
        except (TypeError, ValueError):
            continue  # an unparsable header is no instruction
    return None


def error_code(exc: BaseException) -> str | None:
    """The provider's machine-readable error code, as litellm exposes it: ``exc.code``
    (the OpenAI client fills it from the error body), else ``code`` in ``exc.body`` or in
    its nested ``error`` object."""
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code:
        return code
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) and code else None


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it, outermost first (at most 16, cycles cut)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 16 and all(current is not c for c in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _failure(exc: BaseException) -> tuple[str, BaseException] | None:
    """What failed below HTTP and the exception whose message says it best, or None (an
    HTTP error, or anything else). litellm reports all of these as ``InternalServerError``
    (HTTP 500) although no server answered, so they are looked for down the cause chain.
    """
    chain = _chain(exc)
    named = [(e, type(e).__name__) for e in chain]
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused", chain[-1]
    if any(isinstance(e, socket.gaierror) or name in _DNS_NAMES for e, name in named):
        return "DNS failure", chain[-1]
    if any(isinstance(e, ssl.SSLError) or name in _TLS_NAMES for e, name in named):
        return "TLS error", chain[-1]
    if any(isinstance(e, TimeoutError) or name in _TIMEOUT_NAMES for e, name in named):
        return "timeout", chain[-1]
    for e in chain:
        if isinstance(e, json.JSONDecodeError):
            return _MALFORMED, e
    if any(_CONNECTION_BASES.intersection(c.__name__ for c in type(e).__mro__) for e in chain):
        return "connection error", chain[-1]
    return None


def classify(exc: BaseException) -> tuple[Decision, int | None]:
    """Whether a failed call is retried, fails at once or is a refusal, and its HTTP status
    (None when no server answered).

    Only an error whose provider code is in ``POLICY_CODES`` is a refusal; litellm's
    ``ContentPolicyViolationError`` without such a code (litellm infers it from message
    words for some providers) is a plain HTTP error, not retried.
    """
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    if error_code(exc) in POLICY_CODES:
        return "refused", status
    if any(marker in str(exc).lower() for marker in _FATAL_MARKERS):
        return "fail", None
    failure = _failure(exc)
    if failure is not None:
        return "retry", None
    if status is not None and (status in _RETRY_STATUSES or status >= 500):
        return "retry", status
    if status is None and type(exc).__module__.split(".")[0] in ("httpx", "aiohttp"):
        return "retry", None  # transport errors that escaped litellm's mapping
    return "fail", status


def served_model(response: Any) -> str | None:
    """The model a response says answered: its ``model`` and, when the API gives one,
    its ``system_fingerprint`` (``gpt-4o-2024-08-06 (fp_abc123)``); None without either."""
    model, fingerprint = (
        value.strip() if isinstance(value, str) and value.strip() else None
        for value in (
            getattr(response, "model", None),
            getattr(response, "system_fingerprint", None),
        )
    )
    if fingerprint is None:
        return model
    return f"{model or '?'} ({fingerprint})"


class MalformedResponse(Exception):
    """A 200 response without a usable answer (empty ``choices``, no or empty content)."""


def interpret(response: Any) -> tuple[Literal["ok", "refused"], str]:
    """The status and text of a litellm ``ModelResponse``; raises ``MalformedResponse``.

    ``finish_reason == "content_filter"`` or an OpenAI-style ``refusal`` is a refusal.
    Anything else must carry an answer: a missing, empty or whitespace-only content is
    malformed, whatever the ``finish_reason`` (``length``: the token budget ran out before
    any text), since an outage graded as an answer would also be cached.
    """
    choices = getattr(response, "choices", None)
    if not choices:
        raise MalformedResponse("malformed response: empty choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    finish = getattr(choice, "finish_reason", None)
    content = getattr(message, "content", None)
    extra = getattr(message, "provider_specific_fields", None) or {}
    refusal = getattr(message, "refusal", None) or extra.get("refusal")
    if finish == "content_filter":
        return "refused", content if isinstance(content, str) else ""
    if isinstance(refusal, str) and refusal.strip():
        return "refused", refusal
    if not isinstance(content, str):
        raise MalformedResponse(f"malformed response: message has no content (finish {finish})")
    if not content.strip():
        raise MalformedResponse(f"empty answer: content {content[:20]!r} (finish {finish})")
    return "ok", content


def _request_url(exc: BaseException) -> str | None:
    """The URL the HTTP client asked (litellm's own exceptions carry placeholder requests)."""
    for e in _chain(exc):
        if type(e).__module__.split(".")[0] in ("openai", "httpx"):
            url = getattr(getattr(e, "request", None), "url", None)
            if url is not None:
                return str(url)
    return None


def describe(
    exc: BaseException,
    status: int | None,
    *,
    url: str | None = None,
    timeout_s: float | None = None,
    secrets: frozenset[str] = frozenset(),
) -> str:
    """A short, scrubbed reason that says what happened.

    ``connection refused (URL)``, ``DNS failure (URL): ...``, ``TLS error (URL): ...``,
    ``timeout after 60 s (URL)``, ``connection error (URL): ...``, ``malformed response,
    not JSON (URL): ...`` or ``HTTP 400 BadRequestError: <message>``. ``url`` is the server
    asked (else the client's request URL). The whole text is scrubbed of secrets
    (``secrets`` included) before it is cut to ``MAX_ERROR_CHARS``.
    """
    where = url or _request_url(exc)
    place = f" ({scrub_url(where)})" if where else ""
    failure = _failure(exc)
    if failure is None:
        message = _NOISE.sub("", " ".join(str(exc).split()))
        prefix = f"HTTP {status} " if status is not None else ""
        text = f"{prefix}{type(exc).__name__}: {message}".rstrip(": ")
    elif failure[0] == "timeout":
        after = f" after {timeout_s:g} s" if timeout_s is not None else ""
        text = f"timeout{after}{place}"
    elif failure[0] == "connection refused":
        text = f"connection refused{place}"
    else:
        detail = re.sub(r"^\[Errno -?\d+\]\s*", "", " ".join(str(failure[1]).split()))
        text = f"{failure[0]}{place}: {detail}".rstrip(": ")
    text = scrub_secrets(text, extra=secrets)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def clip_response(text: str) -> tuple[str, dict[str, float]]:
    """An answer cut to ``MAX_RESPONSE_CHARS`` with a note saying so, and the ``extra`` that
    records its original length (empty when nothing was cut)."""
    if len(text) <= MAX_RESPONSE_CHARS:
        return text, {}
    note = TRUNCATION_NOTE.format(kept=MAX_RESPONSE_CHARS, total=len(text))
    return text[:MAX_RESPONSE_CHARS] + note, {"truncated_from_chars": float(len(text))}


class _LoopThread:
    """One event loop on a daemon thread, shared by all litellm backends of the process.

    litellm caches its HTTP clients per event loop; one long-lived loop keeps connections
    alive across batches and works whether or not the caller is inside a running loop.
    """

    _instance: _LoopThread | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()
        thread = threading.Thread(target=self.loop.run_forever, name="veto-litellm", daemon=True)
        thread.start()

    @classmethod
    def shared(cls) -> _LoopThread:
        """The process-wide loop, started on first use."""
        with cls._lock:
            if cls._instance is None or cls._instance.pid != os.getpid():
                cls._instance = cls()  # (again after a fork: the thread did not survive it)
            return cls._instance

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait; an interrupt cancels it."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise


def import_litellm() -> Any:
    """Import litellm offline and quiet: local price list, no retries, no callbacks."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.num_retries = None
    litellm.disable_hf_tokenizer_download = True
    litellm.telemetry = False  # absent in recent releases; harmless there
    for name in (
        "callbacks",
        "success_callback",
        "failure_callback",
        "input_callback",
        "service_callback",
        "_async_success_callback",
        "_async_failure_callback",
    ):
        if isinstance(getattr(litellm, name, None), list):
            setattr(litellm, name, [])
    return litellm


def _safe_url(url: str | None) -> str | None:
    """``url`` without user info, query or fragment (where tokens sometimes hide)."""
    if url is None:
        return None
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return scrub_secrets(urlunsplit((parts.scheme, netloc, parts.path, "", "")))


class LiteLLMBackend:
    """A model served through litellm (see the module docstring)."""

    kind = "litellm"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(
        self,
        model: str,
        options: BackendOptions | None = None,
        *,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.model = model
        self.options = options or BackendOptions()
        self.policy = policy or RetryPolicy(base_delay_s=self.options.backoff_base_s)
        self.requests_sent = 0
        self._rng = rng or random.Random()
        self._litellm: Any = None  # imported on the first call: a fully cached run never pays
        self._closed = False
        self._placeholder_key = False  # decided with litellm imported (first call)
        #: the credentials written into ``api_base``, scrubbed wherever they turn up
        self._secrets = url_secrets(self.options.api_base)

    def cache_identity(self) -> dict[str, object]:
        """Model, server and decoding parameters; ``max_tokens`` is each request's own."""
        return {
            "backend": "litellm",
            "model": self.model,
            "api_base": _safe_url(self.options.api_base),
            "temperature": 0,
            "max_tokens": "request.max_new_tokens",
        }

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        """Complete the batch concurrently (``options.concurrency`` at once), in order."""
        if self._closed:
            raise BackendError("the litellm backend is closed")
        if not requests:
            return []
        if self._litellm is None:
            self._litellm = import_litellm()
            self._placeholder_key = self._needs_placeholder_key()
        return _LoopThread.shared().run(self._complete_all(requests))

    def _needs_placeholder_key(self) -> bool:
        """A keyless ``--api-base`` server: an explicit server URL and no key in the
        provider's environment variable (litellm's own check)."""
        if not self.options.api_base:
            return False
        found = self._litellm.validate_environment(model=self.model)
        return not found.get("keys_in_environment", True)

    def close(self) -> None:
        """Refuse further work. The shared loop and litellm's cached clients live on."""
        self._closed = True

    def _scrub(self, text: str) -> str:
        """``text`` without any secret: environment keys, ``api_base`` credentials, URLs."""
        return scrub_secrets(text, extra=self._secrets)

    async def _complete_all(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        gate = asyncio.Semaphore(max(1, self.options.concurrency))
        return list(await asyncio.gather(*(self._complete_one(r, gate) for r in requests)))

    async def _complete_one(self, request: PromptRequest, gate: asyncio.Semaphore) -> Completion:
        """One request with bounded retries; never raises (but for cancellation)."""
        attempts = max(0, self.options.retries) + 1
        reason = "no attempt made"
        for attempt in range(attempts):
            wait: float | None = None
            async with gate:  # the slot is held for the call only, not the backoff
                started = time.perf_counter()
                try:
                    response = await self._call(request)
                    status, text = interpret(response)
                    text, extra = clip_response(self._scrub(text))  # scrubbed before the cut
                    latency = time.perf_counter() - started
                    served = served_model(response)
                    return Completion(
                        status,
                        text=text,
                        latency_s=latency,
                        extra=extra,
                        served=None if served is None else self._scrub(served)[:200],
                    )
                except asyncio.CancelledError:
                    raise
                except MalformedResponse as exc:
                    reason = self._scrub(str(exc))
                except Exception as exc:  # every failure becomes a Completion
                    decision, code = classify(exc)
                    reason = describe(
                        exc,
                        code,
                        url=self.options.api_base,
                        timeout_s=self.options.timeout_s,
                        secrets=self._secrets,
                    )
                    if decision == "refused":
                        return Completion(
                            "refused", text=reason, latency_s=time.perf_counter() - started
                        )
                    if decision == "fail":
                        return Completion("error", error=f"{reason} (not retried)")
                    wait = retry_after_s(exc)
            if attempt + 1 < attempts:
                delay = backoff_delay(attempt, self.policy, wait, self._rng)
                log.debug(
                    "%s: attempt %d failed (%s); retrying in %.2fs",
                    request.key,
                    attempt + 1,
                    reason,
                    delay,
                )
                await asyncio.sleep(delay)
        return Completion("error", error=f"{reason} (after {attempts} attempts)")

    async def _call(self, request: PromptRequest) -> Any:
        """One HTTP call, with litellm's own retries off and a hard guard over its timeout."""
        timeout = self.options.timeout_s
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [m.as_dict() for m in request.messages],
            "temperature": 0,
            "max_tokens": request.max_new_tokens,
            "timeout": timeout,
            "num_retries": 0,
            "max_retries": 0,
        }
        if self.options.api_base:
            kwargs["api_base"] = self.options.api_base
        if self._placeholder_key:
            kwargs["api_key"] = PLACEHOLDER_KEY
        self.requests_sent += 1
        # litellm enforces ``timeout``; the guard only bounds a hang inside litellm itself.
        return await asyncio.wait_for(self._litellm.acompletion(**kwargs), timeout + 5.0)
