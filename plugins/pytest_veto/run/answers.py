"""Parsing a model's raw output into an answer (veto-spec section 3)."""

from __future__ import annotations

import re
from typing import Literal

from pytest_veto.backends.answer_text import first_json_answer, strip_think

#: What a half's outcome can be. ``refused`` and ``error`` come from the backend, not text.
ParsedAnswer = Literal["yes", "no", "unknown", "refused", "error"]
ANSWERS: tuple[ParsedAnswer, ...] = ("yes", "no", "unknown", "refused", "error")
#: the parse rule, as the report records it
PARSE_RULE = "first-json-answer"

_YES = re.compile(r"\byes\b", re.IGNORECASE)
_NO = re.compile(r"\bno\b", re.IGNORECASE)


def parse_answer(raw: str) -> Literal["yes", "no", "unknown"]:
    """Parse raw model text, in the spec's order, case-insensitively, after removing its
    thinking (``<think>...</think>``, see ``backends.answer_text.strip_think``):

    1. the FIRST JSON-style ``"answer": "yes|no"``, as the published parser reads it (a
       chain of thought that quotes the format before concluding is read by the quote);
    2. else the whole word ``yes`` anywhere; 3. else the whole word ``no``; 4. else unknown.
    """
    found = first_json_answer(raw)
    if found is not None:
        return "yes" if found == "yes" else "no"
    text = strip_think(raw)
    if _YES.search(text):
        return "yes"
    if _NO.search(text):
        return "no"
    return "unknown"


def is_correct(answer: ParsedAnswer, expected: str) -> bool:
    """A half is correct when its parsed answer equals the expected one; error is never correct."""
    return answer == expected


def has_json_answer(raw: str) -> bool:
    """Whether raw text holds a JSON-style ``"answer": "yes|no"``, the form the prompt asks
    for (the parser's first rule; ``run.answer_form`` classifies answers by it)."""
    return first_json_answer(raw) is not None


def answer_words(raw: str) -> frozenset[Literal["yes", "no"]]:
    """The whole words ``yes`` and ``no`` that raw text contains outside its thinking,
    whatever their case (the words the parser's second and third rules look for)."""
    found: set[Literal["yes", "no"]] = set()
    text = strip_think(raw)
    if _YES.search(text):
        found.add("yes")
    if _NO.search(text):
        found.add("no")
    return frozenset(found)
