"""The litellm backend: any ``--model`` that is neither ``reference/`` nor ``hf/``.

``openai/...``, ``anthropic/...``, ``openrouter/...``, ``ollama/...``, ``hosted_vllm/...``
or any other litellm model string; ``--api-base`` points it at an OpenAI-compatible server.
API keys come only from the provider's usual environment variables (``OPENAI_API_KEY``...)
and are scrubbed from every message this module returns or logs.

litellm is imported on the first ``complete()`` call, never at module import, after forcing its
bundled price list (``LITELLM_LOCAL_MODEL_COST_MAP``) so the import makes no network call.
Its retries and callbacks are switched off: retries happen here, so they are bounded,
honour ``Retry-After`` and are counted in ``requests_sent``.

What each request carries (budget parameter, temperature, extra body) is built in
``litellm_request.py``; what a failed or odd call means (retry, fail, refusal) is decided
in ``litellm_outcomes.py``.

Every string that leaves this backend (completion text, refusal text, error text) is
scrubbed of secrets first (``pytest_veto.backends.secrets``: key-like environment values,
the credentials of ``--api-base``, URL user info and key-like query values), then cut:
errors to ``MAX_ERROR_CHARS``, answers to ``MAX_RESPONSE_CHARS`` with a note appended
and the original length in ``Completion.extra["truncated_from_chars"]``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pytest_veto.backends.litellm_outcomes import (
    MAX_ERROR_CHARS,
    MAX_RESPONSE_CHARS,
    POLICY_CODES,
    MalformedResponse,
    RetryPolicy,
    backoff_delay,
    classify,
    clip_response,
    describe,
    error_code,
    interpret,
    retry_after_s,
    served_model,
)
from pytest_veto.backends.litellm_request import request_kwargs, request_shape
from pytest_veto.backends.protocol import (
    BackendError,
    BackendOptions,
    Capability,
    Completion,
    PromptRequest,
)
from pytest_veto.backends.secrets import scrub_secrets, url_secrets

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
    "retry_after_s",
    "scrub_secrets",
    "served_model",
]

log = logging.getLogger(__name__)
#: The key sent to an ``--api-base`` server when the provider's key variable is unset: a
#: local llama.cpp or vLLM server needs none, but the OpenAI client refuses to send
#: a request without one. Never sent to a provider's default endpoint.
PLACEHOLDER_KEY = "pytest-veto-no-key"
T = TypeVar("T")


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
        identity: dict[str, object] = {
            "backend": "litellm",
            "model": self.model,
            "api_base": _safe_url(self.options.api_base),
            "temperature": 0,
            "max_tokens": "request.max_new_tokens",
        }
        # a reasoning model's requests differ (no temperature, max_completion_tokens);
        # an ordinary model's identity is what it always was, so its cache stays valid
        identity.update(request_shape(self.model).identity())
        return identity

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
        kwargs = request_kwargs(self.model, request, self.options)
        if self._placeholder_key:
            kwargs["api_key"] = PLACEHOLDER_KEY
        self.requests_sent += 1
        # litellm enforces ``timeout``; the guard only bounds a hang inside litellm itself.
        return await asyncio.wait_for(self._litellm.acompletion(**kwargs), timeout + 5.0)
