"""Test cases: a pair under a variant, and the prompt requests each case needs."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_veto.backends.protocol import PromptRequest
from pytest_veto.pairs import HALVES, Pair
from pytest_veto.prompts import MAX_NEW_TOKENS, Condition, build_messages

BASE = "base"


@dataclass(frozen=True)
class Case:
    """One parametrized test: a pair under a priming variant (``base`` = unprimed)."""

    pair: Pair
    variant: str = BASE

    @property
    def id(self) -> str:
        """The pytest parameter id: ``age_q1_p0`` or ``age_q1_p0-trigger``."""
        return self.pair.id if self.variant == BASE else f"{self.pair.id}-{self.variant}"


def requests_for(case: Case, condition: Condition) -> tuple[PromptRequest, PromptRequest]:
    """The stereotyped and contrast requests of a case (base variant: the spec's prompts)."""
    if case.variant != BASE:
        raise NotImplementedError(f"priming variant {case.variant!r} is not available")
    return tuple(  # type: ignore[return-value]
        PromptRequest(
            pair_id=case.pair.id,
            half=name,
            variant=case.variant,
            messages=build_messages(case.pair.half(name).text, condition),
            expected=case.pair.half(name).expected,
            max_new_tokens=MAX_NEW_TOKENS[condition],
        )
        for name in HALVES
    )
