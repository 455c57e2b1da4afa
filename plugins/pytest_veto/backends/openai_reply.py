"""An OpenAI chat-completion body (decoded JSON) as the typed reply the backend reads.

The direct OpenAI client (``backends/api_clients.py``) receives the server's JSON as plain
data. ``reply_from_json`` turns it into frozen dataclasses with the attribute names of a
litellm ``ModelResponse`` (``choices[0].message.content``, ``.refusal``,
``.finish_reason``, ``model``, ``system_fingerprint``), so ``litellm_outcomes.interpret``
and ``served_model`` judge both clients' answers by one rule.

Nothing is invented: a field of the wrong type is absent (``None``), and ``interpret``
turns a reply without usable content into ``MalformedResponse``, retried then an error.
A body that is not a JSON object raises ``MalformedResponse`` here; a 200 whose body is
an error object (``{"error": ...}`` and no ``choices``) raises ``ErrorBody``, not retried.

Two normalisations make the direct client read an answer as litellm's response
conversion does (the same server answer must give the same result, and the same cache
entry, whichever client asked; ``tests/unit/test_litellm_backend.py`` runs both):

- a finish reason a provider uses for filtered output (``FILTER_FINISH_REASONS``) reads
  as ``content_filter``, hence a refusal;
- a reasoning block at the very start of the content (``<think>...</think>``, also
  ``<thinking>`` or ``<budget:thinking>``) is not part of the answer when the message has
  no separate ``reasoning_content`` or ``reasoning`` field: the answer is what follows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_veto.backends.litellm_outcomes import MalformedResponse

#: Finish reasons providers give for output their filters stopped, which litellm 1.106.2
#: maps to ``content_filter`` (``litellm_core_utils.core_helpers``; a test compares the
#: two where litellm is installed): Anthropic, Cohere, Gemini/Vertex, Zhipu, Bedrock.
FILTER_FINISH_REASONS = frozenset(
    {
        "content_filter",
        "content_filtered",
        "guardrail_intervened",
        "refusal",
        "sensitive",
        "ERROR_TOXIC",
        "SAFETY",
        "RECITATION",
        "LANGUAGE",
        "OTHER",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "IMAGE_OTHER",
        "NO_IMAGE",
        "ESCALATION",
    }
)
_REASONING_TAGS = "think|thinking|budget:thinking"
#: a reasoning block opening the content; what follows it is the answer
_LEADING_REASONING = re.compile(rf"<(?:{_REASONING_TAGS})>.*?</(?:{_REASONING_TAGS})>", re.DOTALL)


class ErrorBody(Exception):
    """A 200 response whose body is an error object: the server failed the request."""


@dataclass(frozen=True)
class ReplyMessage:
    """The assistant message of a choice."""

    content: str | None = None
    refusal: str | None = None
    provider_specific_fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyChoice:
    """One choice (the backend reads the first)."""

    message: ReplyMessage | None
    finish_reason: str | None


@dataclass(frozen=True)
class ChatReply:
    """A chat completion as the backend reads it."""

    choices: tuple[ReplyChoice, ...]
    model: str | None = None
    system_fingerprint: str | None = None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def answer_content(message: Mapping[str, Any]) -> str | None:
    """The message's content without a leading reasoning block (see the module
    docstring); None when the content is not text."""
    content = _text(message.get("content"))
    if content is None or "reasoning_content" in message or "reasoning" in message:
        return content
    block = _LEADING_REASONING.match(content)
    return content[block.end() :] if block else content


def _choice(raw: object) -> ReplyChoice:
    if not isinstance(raw, Mapping):
        return ReplyChoice(message=None, finish_reason=None)
    message = raw.get("message")
    parsed = (
        ReplyMessage(content=answer_content(message), refusal=_text(message.get("refusal")))
        if isinstance(message, Mapping)
        else None
    )
    finish = _text(raw.get("finish_reason"))
    if finish in FILTER_FINISH_REASONS:
        finish = "content_filter"
    return ReplyChoice(message=parsed, finish_reason=finish)


def reply_from_json(data: object) -> ChatReply:
    """The reply in ``data`` (a decoded response body); raises ``MalformedResponse`` when
    it is not a JSON object, ``ErrorBody`` when it is an error object."""
    if not isinstance(data, Mapping):
        shown = " ".join(str(data).split())[:60]
        raise MalformedResponse(f"malformed response, not a JSON object: {shown!r}")
    if "choices" not in data and "error" in data:
        error = data["error"]
        message = error.get("message") if isinstance(error, Mapping) else error
        raise ErrorBody(f"error in a 200 response: {message}")
    choices = data.get("choices")
    return ChatReply(
        choices=tuple(_choice(c) for c in choices) if isinstance(choices, list) else (),
        model=_text(data.get("model")),
        system_fingerprint=_text(data.get("system_fingerprint")),
    )
