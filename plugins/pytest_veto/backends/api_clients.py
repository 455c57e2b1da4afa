"""The HTTP clients of the API backend: litellm, or the OpenAI client directly.

``--veto-api-client`` picks one (``BackendOptions.api_client``):

- ``litellm`` reaches any provider litellm knows (``anthropic/``, ``openrouter/``,
  ``ollama/``...);
- ``openai`` (``openai/`` models only, not OpenAI reasoning models: see
  ``forced_client_problem``) sends the same request body straight through the async
  OpenAI client that litellm itself uses for ``openai/`` models, without litellm's
  per-call work (logging objects, cost calculation, response conversion): about a fifth
  of the CPU per call over aiohttp (docs/performance.md), which is what bounds a run
  against a fast local server; ``openai_reply`` reads its answers as litellm would;
- ``auto`` (the default) takes ``openai`` for an ``openai/`` model at an ``--api-base``
  (an OpenAI-compatible server: vLLM, TGI, llama.cpp, Ollama, a proxy), where both
  clients send the same body (tests/unit/test_litellm_requests.py compares them for every
  OpenAI chat model litellm knows), and ``litellm`` for everything else. OpenAI reasoning
  models stay on litellm: for some of them (o3-mini, o4-mini) litellm rewrites the system
  turn as a user turn, which ``openai`` (forced) would not.

Both clients are used the same way by ``LiteLLMBackend``: ``await client.call(request)``
returns a response ``litellm_outcomes.interpret`` reads, or raises the OpenAI client's
(or litellm's) exception, which ``litellm_outcomes.classify`` sorts into retry, fail or
refusal. Neither client retries: the backend does, within bounds.

Connections are kept alive and pooled per backend, as many as ``--veto-concurrency``.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from typing import Any, Literal, Protocol

from pytest_veto.backends.families import openai_reasoning
from pytest_veto.backends.litellm_request import openai_body, request_kwargs
from pytest_veto.backends.openai_reply import reply_from_json
from pytest_veto.backends.protocol import BackendError, BackendOptions, PromptRequest

ClientName = Literal["litellm", "openai"]
#: The key sent to an ``--api-base`` server when the provider's key variable is unset: a
#: local llama.cpp or vLLM server needs none, but the OpenAI client refuses to send
#: a request without one. Never sent to a provider's default endpoint.
PLACEHOLDER_KEY = "pytest-veto-no-key"


class ApiClient(Protocol):
    """One way to send a chat request."""

    name: ClientName

    async def call(self, request: PromptRequest) -> Any:
        """The response to ``request``; raises the client's exception on failure."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def choose_client(model: str, options: BackendOptions) -> ClientName:
    """Which client serves ``model`` under ``options`` (see the module docstring)."""
    if options.api_client in ("litellm", "openai"):
        return options.api_client
    direct = options.api_base and model.startswith("openai/") and not openai_reasoning(model)
    if direct and find_spec("openai") is not None:
        return "openai"
    return "litellm"


def forced_client_problem(model: str, api_client: str) -> str | None:
    """Why ``--veto-api-client=openai`` cannot serve ``model`` (None: it can, or the
    client is not forced). The direct client sends litellm's body only for an ``openai/``
    model that is not an OpenAI reasoning model: another provider's model would get the
    OpenAI key and an unconverted request, a reasoning model a request litellm rewrites."""
    if api_client != "openai":
        return None
    if not model.startswith("openai/"):
        return (
            "the OpenAI client serves openai/ models only (an OpenAI-compatible server: "
            "--model=openai/<name> --api-base=URL); other providers go through litellm"
        )
    if openai_reasoning(model):
        return (
            "an OpenAI reasoning model goes through litellm, which rewrites some of their "
            "requests (o3-mini: the system turn as a user turn)"
        )
    return None


def open_client(model: str, options: BackendOptions) -> ApiClient:
    """The client ``choose_client`` picks; importing litellm only when it is litellm."""
    problem = forced_client_problem(model, options.api_client)
    if problem is not None:
        raise BackendError(f"--veto-api-client=openai with --model={model}: {problem}")
    if choose_client(model, options) == "openai":
        return OpenAIClient(model, options)
    return LiteLLMClient(model, options)


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


#: Prefer aiohttp under the OpenAI client when ``httpx-aiohttp`` is installed (the ``api``
#: extra installs it): 0.9 ms of CPU per call against httpx's 1.3 ms, whose connection
#: pool checks every kept-alive connection on each request (docs/performance.md).
PREFER_AIOHTTP = True


def http_client(limits: Any) -> Any:
    """The OpenAI client's HTTP client: aiohttp's transport when available (and
    ``PREFER_AIOHTTP``), else httpx's; both with ``limits``."""
    import openai

    if PREFER_AIOHTTP and find_spec("httpx_aiohttp") is not None:
        try:
            return openai.DefaultAioHttpClient(limits=limits)
        except RuntimeError:  # the OpenAI client could not import it after all
            pass
    return openai.DefaultAsyncHttpxClient(limits=limits)


class LiteLLMClient:
    """``litellm.acompletion`` with litellm's retries off."""

    name: ClientName = "litellm"

    def __init__(self, model: str, options: BackendOptions) -> None:
        self.model = model
        self.options = options
        self._litellm = import_litellm()
        self._placeholder_key = bool(options.api_base) and not self._litellm.validate_environment(
            model=model
        ).get("keys_in_environment", True)

    async def call(self, request: PromptRequest) -> Any:
        kwargs = request_kwargs(self.model, request, self.options)
        if self._placeholder_key:
            kwargs["api_key"] = PLACEHOLDER_KEY
        return await self._litellm.acompletion(**kwargs)

    async def aclose(self) -> None:
        """litellm keeps its clients cached per event loop; nothing to release here."""


class OpenAIClient:
    """``POST /chat/completions`` through ``openai.AsyncOpenAI``, the body as litellm
    builds it for an ``openai/`` model (``litellm_request.openai_body``)."""

    name: ClientName = "openai"

    def __init__(self, model: str, options: BackendOptions) -> None:
        self.model = model
        self.options = options
        self._client: Any = None  # opened on the first call, on the loop that uses it

    def _open(self) -> Any:
        import httpx
        import openai

        pool = max(1, self.options.concurrency)
        key = os.environ.get("OPENAI_API_KEY") or None
        if key is None and self.options.api_base:
            key = PLACEHOLDER_KEY
        # without a key nor an --api-base this raises "The api_key client option must be
        # set...", which the backend fails at once, as litellm's missing key
        client = openai.AsyncOpenAI(
            api_key=key,
            base_url=self.options.api_base,
            timeout=self.options.timeout_s,
            max_retries=0,
            http_client=http_client(
                httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
            ),
        )
        self._client = client
        return client

    async def call(self, request: PromptRequest) -> Any:
        client = self._client or self._open()
        # ``post`` with ``cast_to=object`` returns the decoded body: no typed request or
        # response models, whose validation is most of the OpenAI client's own CPU
        data = await client.post(
            "/chat/completions", cast_to=object, body=openai_body(self.model, request)
        )
        return reply_from_json(data)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
