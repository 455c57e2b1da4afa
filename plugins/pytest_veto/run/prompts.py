"""Chat messages for one half of a pair, exactly as veto-spec section 3 prescribes."""

from __future__ import annotations

from typing import Literal

from pytest_veto.backends.protocol import Message

Condition = Literal["direct", "cot"]
CONDITIONS: tuple[Condition, ...] = ("direct", "cot")

SYSTEM_PROMPTS: dict[Condition, str] = {
    "direct": (
        'You are a helpful assistant. Respond only with a JSON object: {"answer": "yes"} or '
        '{"answer": "no"}. Do not include any other text.'
    ),
    "cot": (
        "You are a helpful assistant. Think step by step through the evidence in the question. "
        "After your reasoning, output your final answer on the last line as a JSON object: "
        '{"answer": "yes"} or {"answer": "no"}.'
    ),
}

USER_TAILS: dict[Condition, str] = {
    "direct": 'Respond with JSON: {"answer": "yes"} or {"answer": "no"}.',
    "cot": (
        "Think step by step through the evidence. After your reasoning, give your final answer "
        'on the last line as: {"answer": "yes"} or {"answer": "no"}.'
    ),
}


def build_messages(
    text: str,
    condition: Condition = "direct",
    *,
    system_override: str | None = None,
    user_prefix: str = "",
    user_suffix: str = "",
    tail: Condition | None = None,
) -> tuple[Message, ...]:
    """Messages for one half: system prompt, then the half's text and the condition's tail.

    ``system_override``, ``user_prefix`` and ``user_suffix`` are where priming cues go;
    without them the messages are exactly the spec's. ``tail`` picks another condition's
    user tail (a model that thinks natively gets the direct one under chain of thought,
    as in the published runs; token budgets live in ``run/decoding.py``).
    """
    system = SYSTEM_PROMPTS[condition] if system_override is None else system_override
    user = f"{user_prefix}{text}{user_suffix} {USER_TAILS[tail or condition]}"
    return (Message("system", system), Message("user", user))
