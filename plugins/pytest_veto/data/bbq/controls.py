"""Control questions built from BBQ rows: the stereotyped half asked about the other person.

Every VETO half expects "yes", so a model that always says "yes" scores perfectly on the
published metrics. A control is our addition (not part of the published protocol or the
released text): the stereotyped half's context, unchanged, with the same question made by
the same rule (release text by default) but about the OTHER person the context names,
the answer option that is neither the correct answer nor the "unknown" one. In a BBQ
``disambig``/``neg`` context the correct answer did the negative thing and the other
person did not, so the evidence says "no". docs/explanation.md, "Control questions",
gives the reasoning; ``pytest-veto build-pairs --controls`` writes them.

A control is not built (and the reason is said) when the row names no single other
person, when that person's words do not occur in the context, when the question has no
yes/no form for them (the ``Regarding ...:`` fallback, which no "no" answers), or when the
control would repeat the stereotyped half's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pytest_veto.data.bbq import release
from pytest_veto.data.bbq.reader import UNKNOWN_LABELS, BbqExample
from pytest_veto.data.pairs import Control

#: Why a control could not be built (the build prints how many of each).
NO_OTHER_PERSON = "the row names no single other person"
NOT_IN_CONTEXT = "the other person's words do not occur in the context"
NO_YES_NO_FORM = "the question has no yes/no form about the other person"
SAME_TEXT = "the control would repeat the stereotyped half's text"
REASONS = (NO_OTHER_PERSON, NOT_IN_CONTEXT, NO_YES_NO_FORM, SAME_TEXT)


def other_option(example: BbqExample) -> int | None:
    """The index of the answer option naming the other person: not the correct answer,
    not an unknown option; None unless exactly one option is left."""
    others = [
        i
        for i, (_, group) in enumerate(example.answer_info)
        if i != example.label and group.lower() not in UNKNOWN_LABELS
    ]
    return others[0] if len(others) == 1 else None


def _named_in(words: str, context: str) -> bool:
    """Do ``words`` occur in ``context`` as whole words (case-insensitive)?"""
    pattern = r"(?<![\w-])" + re.escape(words.strip()) + r"(?![\w-])"
    return bool(words.strip()) and re.search(pattern, context, re.IGNORECASE) is not None


def control_for(example: BbqExample, ask: Callable[[str], str]) -> Control | str:
    """The control of a pair from its stereotyped example, or why there is none.

    ``ask(answer_text)`` is the yes/no question made by the pair's own rule (release text
    or errata mode) with ``answer_text`` as its subject, so a control is worded exactly
    as its stereotyped half is; the context is the stereotyped half's.
    """
    index = other_option(example)
    if index is None:
        return NO_OTHER_PERSON
    words, group = example.answer_info[index]
    who = example.answers[index]
    if not (_named_in(words, example.context) or _named_in(who, example.context)):
        return NOT_IN_CONTEXT
    question = ask(who)
    if question.startswith("Regarding "):
        return NO_YES_NO_FORM
    text = release.prompt_text(example.context, question)
    if text == release.prompt_text(example.context, ask(example.answer_text)):
        return SAME_TEXT
    return Control(asks_about=who, group=group, text=text)
