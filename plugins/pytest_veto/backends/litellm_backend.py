"""The API backend (kind ``litellm``): any ``--model`` that is neither ``reference/`` nor
``hf/``.

``openai/...``, ``anthropic/...``, ``openrouter/...``, ``ollama/...``, ``hosted_vllm/...``
or any other litellm model string; ``--api-base`` points it at an OpenAI-compatible server.
API keys come only from the provider's usual environment variables (``OPENAI_API_KEY``...)
and are scrubbed from every message this module returns or logs.

Requests go through litellm, or, for an ``openai/`` model at an ``--api-base``, straight
through the OpenAI client with the same body (``api_clients.py``, ``--veto-api-client``).
Either is imported on the first ``complete()`` call, never at module import; litellm after
forcing its bundled price list (``LITELLM_LOCAL_MODEL_COST_MAP``) so the import makes no
network call. The clients' own retries are off: retries happen here, so they are bounded,
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
from concurrent.futures import Future
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pytest_veto.backends.api_clients import (
    PLACEHOLDER_KEY,
    ApiClient,
    choose_client,
    import_litellm,
    open_client,
)
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
from pytest_veto.backends.litellm_request import request_shape
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
    "PLACEHOLDER_KEY",
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
T = TypeVar("T")


class _LoopThread:
    """One event loop on a daemon thread, shared by all API backends of the process.

    litellm caches its HTTP clients per event loop and the OpenAI client's pool is bound
    to the loop it first ran on; one long-lived loop keeps connections alive across
    batches and works whether or not the caller is inside a running loop.
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

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Start ``coro`` on the loop; its future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait; an interrupt cancels it."""
        future = self.submit(coro)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise


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
        #: the HTTP client (``api_clients``), opened on the first call: a fully cached run
        #: never imports litellm nor the OpenAI client
        self._client: ApiClient | None = None
        self._closed = False
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
        future = self.submit(requests)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # an interrupt stops the batch's requests
            raise

    def submit(self, requests: Sequence[PromptRequest]) -> Future[list[Completion]]:
        """Start completing the batch on the backends' event loop; ``complete`` waits for
        it. The runner uses this to send the next tests' requests while it judges."""
        if self._closed:
            raise BackendError("the litellm backend is closed")
        if not requests:
            done: Future[list[Completion]] = Future()
            done.set_result([])
            return done
        if self._client is None:
            self._client = open_client(self.model, self.options)
        return _LoopThread.shared().submit(self._complete_all(requests))

    @property
    def api_client(self) -> str:
        """The HTTP client the requests go through: ``litellm`` or ``openai``."""
        return self._client.name if self._client else choose_client(self.model, self.options)

    def close(self) -> None:
        """Refuse further work and release the client's connections. The shared loop and
        litellm's cached clients live on."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            _LoopThread.shared().run(client.aclose())

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
        """One HTTP call, with the client's own retries off and a hard guard over its
        timeout."""
        assert self._client is not None  # opened by ``complete``
        self.requests_sent += 1
        # the client enforces ``timeout``; the guard only bounds a hang inside the client
        return await asyncio.wait_for(self._client.call(request), self.options.timeout_s + 5.0)
