"""The text rules of an answer that a backend needs as well as the parser: what counts as
thinking, and where the first JSON answer is (veto-spec section 3).

They live below ``run/answers.py`` (which parses) so that a local backend can stop
generating once the answer the parser would read is out: the parser and the early stop
use these same two functions, which is what makes an early-stopped answer the answer of
the full generation.

Thinking: every ``<think>...</think>`` block is removed, and an unterminated ``<think>``
removes everything after it (a model whose budget ran out while thinking has not
answered; what it considered on the way is not its answer). A ``</think>`` without an
opening tag is ordinary text: a backend whose chat template opens the think block in the
prompt puts that ``<think>`` in front of the text it returns, so the text says itself
where thinking ends.
"""

from __future__ import annotations

import re

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
_BLOCK = re.compile(r"<think>.*?</think>", re.IGNORECASE | re.DOTALL)
_OPEN = re.compile(r"<think>", re.IGNORECASE)
#: the spec's JSON-style answer (quotes and the word checked, spaces tolerated)
JSON_ANSWER = re.compile(r'"answer"\s*:\s*"\s*(yes|no)\s*"', re.IGNORECASE)


def strip_think(text: str) -> str:
    """``text`` without its thinking: closed blocks removed, an unclosed one cut off.

    For a prefix ``p`` of a text ``t``, ``strip_think(p)`` is a prefix of
    ``strip_think(t)`` but for a tag only partly written at its end: the property the
    early stop relies on (a JSON answer ends before such a partial tag).
    """
    text = _BLOCK.sub("", text)
    found = _OPEN.search(text)
    return text if found is None else text[: found.start()]


def first_json_answer(text: str) -> str | None:
    """``yes`` or ``no`` of the first JSON-style answer outside thinking, else None.

    Once a prefix of an output has one, every longer output has the same first one (the
    match ends with a quote and no match can begin inside another), so generation may
    stop there.
    """
    found = JSON_ANSWER.search(strip_think(text))
    return None if found is None else found.group(1).lower()


def opens_thinking(prompt: str) -> bool:
    """Whether a templated prompt ends inside a think block (its template opened one)."""
    lower = prompt.lower()
    return lower.rfind(THINK_OPEN) > lower.rfind(THINK_CLOSE)
