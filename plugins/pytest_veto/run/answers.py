"""Parsing a model's raw output into an answer (veto-spec section 3)."""

from __future__ import annotations

import re
from typing import Literal

#: What a half's outcome can be. ``refused`` and ``error`` come from the backend, not text.
ParsedAnswer = Literal["yes", "no", "unknown", "refused", "error"]
ANSWERS: tuple[ParsedAnswer, ...] = ("yes", "no", "unknown", "refused", "error")

_JSON_ANSWER = re.compile(r'"answer"\s*:\s*"\s*(yes|no)\s*"', re.IGNORECASE)
_YES = re.compile(r"\byes\b", re.IGNORECASE)
_NO = re.compile(r"\bno\b", re.IGNORECASE)


def parse_answer(raw: str) -> Literal["yes", "no", "unknown"]:
    """Parse raw model text, in the spec's order, case-insensitively.

    1. a JSON-style ``"answer": "yes|no"`` (the last one, so a chain of thought that
       quotes the format before concluding is read by its conclusion);
    2. else the whole word ``yes`` anywhere; 3. else the whole word ``no``; 4. else unknown.
    """
    found = _JSON_ANSWER.findall(raw)
    if found:
        return "yes" if found[-1].lower() == "yes" else "no"
    if _YES.search(raw):
        return "yes"
    if _NO.search(raw):
        return "no"
    return "unknown"


def is_correct(answer: ParsedAnswer, expected: str) -> bool:
    """A half is correct when its parsed answer equals the expected one; error is never correct."""
    return answer == expected


def has_json_answer(raw: str) -> bool:
    """Whether raw text holds a JSON-style ``"answer": "yes|no"``, the form the prompt asks
    for (the parser's first rule; ``run.answer_form`` classifies answers by it)."""
    return _JSON_ANSWER.search(raw) is not None


def answer_words(raw: str) -> frozenset[Literal["yes", "no"]]:
    """The whole words ``yes`` and ``no`` that raw text contains, whatever their case (the
    words the parser's second and third rules look for)."""
    found: set[Literal["yes", "no"]] = set()
    if _YES.search(raw):
        found.add("yes")
    if _NO.search(raw):
        found.add("no")
    return frozenset(found)
