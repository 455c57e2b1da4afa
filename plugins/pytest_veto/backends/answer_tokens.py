"""The single-token spellings of yes and no whose logits give LD (veto-spec section 6).

Two rules, for two readers:

- The lens tools (logit lens, head ablation) use the published sets
  (:func:`standalone_answer_tokens`): each spelling encoded on its own, kept when it is
  one token. On a byte-level BPE vocabulary (Llama 3, Qwen, SmolLM2) ``yes`` and
  `` yes`` are different tokens and both count; on a SentencePiece vocabulary that marks
  a word start (Mistral, Llama 2: ``▁``) ``yes`` and `` yes`` both encode to ``▁yes``, and
  the bare ``yes`` piece, which only follows another character, is not in the set; on
  Gemma's (no marker added at the start) ``yes`` is the bare piece and `` yes`` is
  ``▁yes``, and both count.
- Logits scoring in :mod:`pytest_veto.backends.hf` reads the answer word right after the
  JSON prefix ``{"answer": "`` (``ANSWER_PREFIX``), where the model writes the bare piece:
  there a spelling counts if it is one token in that context
  (:func:`resolve_answer_tokens`).

Only a tokenizer is needed: this module imports neither torch nor transformers.
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


def standalone_token_ids(tokenizer: Any, spellings: Sequence[str]) -> dict[str, int]:
    """The id of each spelling that encodes, on its own and without special tokens, to
    exactly one token: the published rule (no context, no decode check)."""
    found: dict[str, int] = {}
    for spelling in spellings:
        ids = tokenizer.encode(spelling, add_special_tokens=False)
        if len(ids) == 1:
            found[spelling] = int(ids[0])
    return found


def standalone_answer_tokens(tokenizer: Any) -> AnswerTokens:
    """The yes and no sets of the published lens and head-ablation runs: every spelling of
    veto-spec section 6 that is one token when encoded on its own."""
    return AnswerTokens(
        yes=standalone_token_ids(tokenizer, YES_SPELLINGS),
        no=standalone_token_ids(tokenizer, NO_SPELLINGS),
    )


def resolve_answer_tokens(tokenizer: Any, context: str = ANSWER_PREFIX) -> AnswerTokens:
    """The yes and no spellings of veto-spec section 6 that are single tokens after ``context``."""
    return AnswerTokens(
        yes=single_token_ids(tokenizer, YES_SPELLINGS, context),
        no=single_token_ids(tokenizer, NO_SPELLINGS, context),
    )
