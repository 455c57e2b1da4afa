"""The backend interface: a batch of prompt requests in, one completion per request out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

#: What a backend can do beyond text completion; checks needing one are skipped without it.
Capability = Literal["logits", "hidden_states", "head_ablation"]

CompletionStatus = Literal["ok", "refused", "error"]

Role = Literal["system", "user", "assistant"]


#: the ``half`` of a control question's request (a pair's halves are ``stereotyped`` and
#: ``contrast``; Mis-Align items are ``item``)
CONTROL_HALF = "control"


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        """The OpenAI-style ``{"role": ..., "content": ...}`` mapping."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class PromptRequest:
    """One prompt to complete, with the identity that makes reference models deterministic.

    ``expected`` is the evidence-supported answer; only the reference models read it.
    ``chat_template_kwargs`` go to a local model's chat template, ``extra_body`` into an
    API request's body; with ``stop_at_answer`` a local model may stop generating once
    the first JSON answer is out (``backends/answer_text.py``). All of them are part of
    the response-cache key when set.
    """

    pair_id: str
    half: str
    variant: str
    messages: tuple[Message, ...]
    expected: str = "yes"
    max_new_tokens: int = 32
    chat_template_kwargs: Mapping[str, Any] = field(default_factory=dict)
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    stop_at_answer: bool = False

    @property
    def key(self) -> str:
        """``pair_id/half/variant``: unique within a run."""
        return f"{self.pair_id}/{self.half}/{self.variant}"


@dataclass(frozen=True)
class Completion:
    """A backend's answer to one request.

    ``status`` is ``ok`` with ``text`` set, ``refused`` (a provider refusal or content
    filter: a wrong answer), or ``error`` (no answer after retries: excluded and counted).
    """

    status: CompletionStatus
    text: str = ""
    error: str | None = None
    latency_s: float = 0.0
    cached: bool = False
    logit_diff: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
    #: the model the API said answered (its ``model``, with ``system_fingerprint`` when
    #: given); None when the backend does not say, and for cached answers
    served: str | None = None


class BackendError(RuntimeError):
    """A backend could not answer a request (after its own retries)."""


#: ``--veto-api-client``
ApiClientChoice = Literal["auto", "litellm", "openai"]


@dataclass(frozen=True)
class BackendOptions:
    """Options common to all backends, from the command line."""

    seed: int = 0
    timeout_s: float = 60.0
    retries: int = 3
    backoff_base_s: float = 0.5
    concurrency: int = 8
    api_base: str | None = None
    #: ``--veto-api-client``: which HTTP client an API model goes through
    #: (``backends/api_clients.py``; ``auto`` picks the OpenAI client for an ``openai/``
    #: model at an ``api_base``, else litellm)
    api_client: ApiClientChoice = "auto"
    batch_size: int = 16
    scoring: Literal["generate", "logits"] = "generate"
    dtype: str = "auto"
    device: str = "auto"
    #: the response-cache root (``--veto-cache-dir``); local backends keep converted models
    #: under ``<cache_dir>/models``
    cache_dir: str | None = None


@runtime_checkable
class Backend(Protocol):
    """A model behind the gate. Implementations load heavy libraries lazily."""

    # Read-only properties, not plain attributes: the gate only reads them, and an
    # implementation may compute them (a plain ``x: T`` member would demand a setter).

    @property
    def kind(self) -> str:
        """``reference``, ``litellm`` or ``hf``."""
        ...

    @property
    def model(self) -> str:
        """The resolved model name (recorded in the report and in cache keys)."""
        ...

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the backend can do beyond text completion."""
        ...

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        """Complete every request; never raise for one request's failure (return an error)."""
        ...

    def cache_identity(self) -> dict[str, object]:
        """Everything besides the messages that determines an answer (resolved model name,
        generation parameters, scoring mode); it goes into response-cache keys. Never secrets."""
        ...

    def close(self) -> None:
        """Release resources (connections, models)."""
        ...


@runtime_checkable
class SubmitsBatches(Protocol):
    """A backend that can work on a batch in the background (API models, whose requests
    wait on the network): the runner sends the next tests' requests while the current
    tests are judged."""

    def submit(self, requests: Sequence[PromptRequest]) -> Future[list[Completion]]:
        """Start completing ``requests``; the future holds what ``complete`` returns."""
        ...
