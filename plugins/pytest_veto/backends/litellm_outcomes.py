"""What a litellm call's outcome means: retried, failed, refused or an answer.

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

Error texts are scrubbed of secrets (``pytest_veto.backends.secrets``) and cut to
``MAX_ERROR_CHARS``; answers are cut to ``MAX_RESPONSE_CHARS`` with a note appended.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Literal

from pytest_veto.backends.secrets import scrub_secrets, scrub_url

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


class MalformedResponse(Exception):
    """A 200 response without a usable answer (empty ``choices``, no or empty content)."""


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


def _body_message(exc: BaseException) -> str | None:
    """The ``message`` of an OpenAI-style error body (``{"error": {"message": ...}}``), the
    words a provider meant for people; None without one. The OpenAI client's own text
    wraps the whole body ("Error code: 400 - {'error': ...}")."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) and message.strip() else None


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
        message = _NOISE.sub("", " ".join((_body_message(exc) or str(exc)).split()))
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
