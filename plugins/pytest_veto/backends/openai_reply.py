"""An OpenAI chat-completion body (decoded JSON) as the typed reply the backend reads.

The direct OpenAI client (``backends/api_clients.py``) receives the server's JSON as plain
data. ``reply_from_json`` turns it into frozen dataclasses with the attribute names of a
litellm ``ModelResponse`` (``choices[0].message.content``, ``.refusal``,
``.finish_reason``, ``model``, ``system_fingerprint``), so ``litellm_outcomes.interpret``
and ``served_model`` judge both clients' answers by one rule.

Nothing is invented: a field of the wrong type is absent (``None``), and ``interpret``
turns a reply without usable content into ``MalformedResponse``, retried then an error.
A body that is not a JSON object raises ``MalformedResponse`` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_veto.backends.litellm_outcomes import MalformedResponse


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


def _choice(raw: object) -> ReplyChoice:
    if not isinstance(raw, Mapping):
        return ReplyChoice(message=None, finish_reason=None)
    message = raw.get("message")
    parsed = (
        ReplyMessage(content=_text(message.get("content")), refusal=_text(message.get("refusal")))
        if isinstance(message, Mapping)
        else None
    )
    return ReplyChoice(message=parsed, finish_reason=_text(raw.get("finish_reason")))


def reply_from_json(data: object) -> ChatReply:
    """The reply in ``data`` (a decoded response body); raises ``MalformedResponse`` when
    it is not a JSON object."""
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"malformed response: a JSON {type(data).__name__}, not an object")
    choices = data.get("choices")
    return ChatReply(
        choices=tuple(_choice(c) for c in choices) if isinstance(choices, list) else (),
        model=_text(data.get("model")),
        system_fingerprint=_text(data.get("system_fingerprint")),
    )
