"""Stopping local generation once the first JSON answer is out.

The parser reads the first JSON-style answer outside thinking
(``answer_text.first_json_answer``); once a row's text holds one, no later token can
change what the parser reads, so generating the rest of the budget is wasted time. The
check below stops each row there (``backends.greedy`` drops the row from its batch; the
other rows' tokens do not change).

A JSON answer ends with a double quote, so a row's text is decoded and searched only on
the steps whose newest token holds one: a few decodes per row, not one per token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_veto.backends.answer_text import first_json_answer


def answer_done(tokenizer: Any, prefix: str = "") -> Callable[[int, list[int]], bool]:
    """``done(row, new_tokens)``: whether ``prefix`` + the row's new text holds the first
    JSON answer (``backends.greedy``'s per-row stop)."""
    quotes: dict[int, bool] = {}

    def has_quote(token: int) -> bool:
        if token not in quotes:
            quotes[token] = '"' in tokenizer.decode([token], skip_special_tokens=True)
        return quotes[token]

    def done(row: int, new: list[int]) -> bool:
        if not new or not has_quote(new[-1]):
            return False
        text = tokenizer.decode(new, skip_special_tokens=True)
        return first_json_answer(prefix + text) is not None

    return done
