"""What one litellm request carries, as the published protocol sends it (veto-spec 3).

An ordinary chat model gets ``temperature=0`` and ``max_tokens``; an OpenAI reasoning
model (``families.openai_reasoning``: o1/o3/o4, gpt-5 and later) gets
``max_completion_tokens`` and no temperature, which it would reject (litellm refuses
``temperature=0`` for them before sending anything). The request's ``extra_body`` (e.g.
``{"chat_template_kwargs": {"enable_thinking": false}}`` for a Qwen3 behind an
OpenAI-compatible server, or the user's ``--veto-extra-body``) is merged into the JSON
body by litellm's ``extra_body``.

``openai_body`` is the JSON body litellm sends for an ``openai/`` model at an
``--api-base``, built here for the direct OpenAI client (``backends/api_clients.py``):
the model name without ``openai/``, the same fields, ``extra_body`` merged in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_veto.backends.families import openai_reasoning
from pytest_veto.backends.protocol import BackendOptions, PromptRequest


@dataclass(frozen=True)
class RequestShape:
    """Which budget parameter a model takes and whether it is sent a temperature."""

    reasoning: bool

    @property
    def temperature(self) -> float | None:
        """The temperature sent (None: none)."""
        return None if self.reasoning else 0.0

    @property
    def budget_parameter(self) -> str:
        """``max_completion_tokens`` for reasoning models, else ``max_tokens``."""
        return "max_completion_tokens" if self.reasoning else "max_tokens"

    def identity(self) -> dict[str, object]:
        """What the shape adds to the backend's cache identity (nothing when ordinary)."""
        if not self.reasoning:
            return {}
        return {"temperature": None, "max_tokens": None, self.budget_parameter: "request"}


def request_shape(model: str) -> RequestShape:
    """The shape of ``model``'s requests."""
    return RequestShape(reasoning=openai_reasoning(model))


def request_kwargs(model: str, request: PromptRequest, options: BackendOptions) -> dict[str, Any]:
    """The keyword arguments of ``litellm.acompletion`` for one request (litellm's own
    retries off; ``options.timeout_s`` as its timeout)."""
    shape = request_shape(model)
    kwargs: dict[str, Any] = {
        "model": model,
        "messages": [m.as_dict() for m in request.messages],
        shape.budget_parameter: request.max_new_tokens,
        "timeout": options.timeout_s,
        "num_retries": 0,
        "max_retries": 0,
    }
    if shape.temperature is not None:
        kwargs["temperature"] = shape.temperature
    if request.extra_body:
        kwargs["extra_body"] = dict(request.extra_body)
    if options.api_base:
        kwargs["api_base"] = options.api_base
    return kwargs


def openai_body(model: str, request: PromptRequest) -> dict[str, Any]:
    """The JSON body of one chat request to an OpenAI-compatible server, as litellm sends
    it for ``model`` (tests/unit/test_litellm_requests.py captures both and compares)."""
    shape = request_shape(model)
    body: dict[str, Any] = {
        "model": model.removeprefix("openai/"),
        "messages": [m.as_dict() for m in request.messages],
    }
    if shape.temperature is not None:
        body["temperature"] = shape.temperature
    body[shape.budget_parameter] = request.max_new_tokens
    body.update(request.extra_body)
    return body
