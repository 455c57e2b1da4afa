"""The single-token spellings of yes and no whose logits give LD (veto-spec section 6).

Logits scoring in :mod:`pytest_veto.backends.hf` reads them after the answer's JSON
prefix ``{"answer": "`` (``ANSWER_PREFIX``); the lens tools read them right after the
generation prompt. A spelling counts only if it is one token in that context. Only a
tokenizer is needed: this module imports neither torch nor transformers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: What logits scoring appends after the generation prompt: the answer's JSON up to the word.
ANSWER_PREFIX = '{"answer": "'
YES_SPELLINGS = ("yes", "Yes", "YES", " yes", " Yes")
NO_SPELLINGS = ("no", "No", "NO", " no", " No")


@dataclass(frozen=True)
class AnswerTokens:
    """Token ids of the single-token spellings of yes and no (multi-token ones dropped)."""

    yes: dict[str, int]
    no: dict[str, int]

    def as_json(self) -> dict[str, dict[str, int]]:
        """For cache identities and reports."""
        return {"yes": dict(self.yes), "no": dict(self.no)}


def single_token_ids(tokenizer: Any, spellings: Sequence[str], context: str = "") -> dict[str, int]:
    """The id of each spelling that is exactly one token when it follows ``context``.

    Encoding ``context + spelling`` and taking what follows ``context``'s own ids keeps
    SentencePiece tokenizers (which mark a leading space in the token) honest; when the
    spelling merges with the context, the spelling encoded alone is the fallback. A
    spelling is kept only if its token decodes back to exactly the spelling's text.
    """
    found: dict[str, int] = {}
    base = tokenizer.encode(context, add_special_tokens=False) if context else []
    for spelling in spellings:
        ids = tokenizer.encode(context + spelling, add_special_tokens=False)
        if not (len(ids) == len(base) + 1 and ids[: len(base)] == base):
            ids = base + tokenizer.encode(spelling, add_special_tokens=False)
            if len(ids) != len(base) + 1:
                continue
        token = ids[-1]
        if tokenizer.decode(ids, skip_special_tokens=False).endswith(spelling):
            found[spelling] = int(token)
    return found


def resolve_answer_tokens(tokenizer: Any, context: str = ANSWER_PREFIX) -> AnswerTokens:
    """The yes and no spellings of veto-spec section 6 that are single tokens after ``context``."""
    return AnswerTokens(
        yes=single_token_ids(tokenizer, YES_SPELLINGS, context),
        no=single_token_ids(tokenizer, NO_SPELLINGS, context),
    )
