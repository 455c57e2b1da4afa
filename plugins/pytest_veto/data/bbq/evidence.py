"""The ``evidence_match`` tag of a VETO pair: how alike its two contexts are (veto-spec 2).

Pairs are matched by position, not by text, so the stereotyped and contrast contexts of
a pair do not always carry the same evidence. The tag says how far apart they are. The
*group words* of a context are the texts of its two non-unknown answers
(``answer_info["ans<i>"][0]``, e.g. "grandfather" and "grandson"). The rule, first match
wins:

``swap``
    Exchanging the stereotyped context's two group words (all occurrences, whole words,
    case-insensitive, at once) gives the contrast context exactly, after "an" is read as
    "a" (the article follows the word: "a Jewish student" / "an African American student").
``skeleton``
    Masking each context's own group words with one placeholder (again with "an" read as
    "a") makes the two contexts identical: the same sentence frame, other group words
    ("a 22-year-old" / "a 70-year-old").
``near``
    The masked contexts, split into word and punctuation tokens, have a
    ``difflib.SequenceMatcher`` ratio of at least ``NEAR_RATIO`` (0.88): a few words
    differ ("a friend signed them up" / "a neighbor signed them up").
``different``
    Anything else: the contexts are worded differently (another template version).

Strings are compared as they are, whitespace included, so a context that differs only by a
doubled space is ``near`` (9 pairs of the release). On the BBQ release this rule gives
1,311 swap, 293 skeleton, 365 near and 63 different (the spec gives ~364 and ~64). The
rule is deterministic: no randomness, no dependence on order beyond its arguments.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from functools import lru_cache

from pytest_veto.data.pairs import EvidenceMatch

#: Minimum token-level similarity of the masked contexts for ``near``.
NEAR_RATIO = 0.88

_PLACEHOLDER = "\x00G\x00"
_TOKEN = re.compile(r"\x00G\x00|\w+(?:[-']\w+)*|[^\w\s]")


@lru_cache(maxsize=4096)
def _patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """Whole-word matcher of the words (longest first) and of "an" right before one."""
    unique = sorted({w for w in words if w.strip()}, key=lambda w: (-len(w), w))
    if not unique:
        return None
    alternation = r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in unique) + r")(?![\w-])"
    return (
        re.compile(alternation, re.IGNORECASE),
        re.compile(rf"\b([Aa])n(\s+)(?={alternation})", re.IGNORECASE),
    )


def _read_an_as_a(text: str, words: Sequence[str]) -> str:
    """``text`` with "an" read as "a" where it stands right before one of ``words``."""
    patterns = _patterns(tuple(words))
    return text if patterns is None else patterns[1].sub(r"\1\2", text)


def exchange_words(text: str, first: str, second: str) -> str:
    """``text`` with every whole-word ``first`` and ``second`` exchanged at once."""
    patterns = _patterns((first, second))
    if patterns is None or first.lower() == second.lower():
        return text
    other = {first.lower(): second, second.lower(): first}
    return patterns[0].sub(lambda m: other[m.group(0).lower()], text)


def mask_words(text: str, words: Sequence[str]) -> str:
    """``text`` with each whole-word occurrence of ``words`` (and "an" before it) masked.

    All words get the same placeholder, so the order of mention does not matter.
    """
    patterns = _patterns(tuple(words))
    if patterns is None:
        return text
    return patterns[0].sub(_PLACEHOLDER, patterns[1].sub(r"\1\2", text))


def similarity(text_a: str, text_b: str) -> float:
    """Token-level ``difflib`` ratio of two texts (1.0 = same tokens)."""
    tokens_a, tokens_b = _TOKEN.findall(text_a), _TOKEN.findall(text_b)
    return difflib.SequenceMatcher(None, tokens_a, tokens_b, autojunk=False).ratio()


def evidence_match(
    stereotyped_context: str,
    stereotyped_words: Sequence[str],
    contrast_context: str,
    contrast_words: Sequence[str],
) -> EvidenceMatch:
    """The tag of a pair of contexts, given each context's two group words (see module doc)."""
    if len(stereotyped_words) == 2:
        swapped = exchange_words(stereotyped_context, *stereotyped_words)
        words = stereotyped_words
        if _read_an_as_a(swapped, words) == _read_an_as_a(contrast_context, words):
            return "swap"
    masked_s = mask_words(stereotyped_context, stereotyped_words)
    masked_c = mask_words(contrast_context, contrast_words)
    if masked_s == masked_c:
        return "skeleton"
    if similarity(masked_s, masked_c) >= NEAR_RATIO:
        return "near"
    return "different"
