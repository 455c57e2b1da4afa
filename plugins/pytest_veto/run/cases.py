"""Test cases: a pair under a variant, and the prompt requests each case needs."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_veto.backends.protocol import PromptRequest
from pytest_veto.data.pairs import HALVES, HalfName, Pair
from pytest_veto.run.priming import PrimingVariant, placement
from pytest_veto.run.prompts import MAX_NEW_TOKENS, SYSTEM_PROMPTS, Condition, build_messages

BASE = "base"
#: between a pair id and its variant in a case id: neither a pair id
#: (``^[A-Za-z0-9_.-]+$``) nor a variant name (``^[a-z0-9][a-z0-9_-]*$``) can hold it, so
#: pair ``x`` under ``trigger`` and an unprimed pair ``x-trigger`` never share a node id;
#: and ``-k`` accepts it in an expression (``-k "age_q1_p0+trigger"``)
VARIANT_SEPARATOR = "+"


@dataclass(frozen=True)
class Case:
    """One parametrized test: a pair, unprimed (``base``) or under a priming variant."""

    pair: Pair
    priming: PrimingVariant | None = None

    @property
    def variant(self) -> str:
        """``base`` or the priming variant's name."""
        return BASE if self.priming is None else self.priming.name

    @property
    def id(self) -> str:
        """The pytest parameter id: ``age_q1_p0`` or ``age_q1_p0+trigger``."""
        if self.priming is None:
            return self.pair.id
        return f"{self.pair.id}{VARIANT_SEPARATOR}{self.variant}"

    @property
    def base(self) -> Case:
        """The unprimed case of the same pair."""
        return Case(self.pair)


def request_for(case: Case, half: HalfName, condition: Condition) -> PromptRequest:
    """One half's request. A half the cue does not touch is the base request itself
    (variant ``base``), so it is sent once and shared with the unprimed case."""
    primed = case.priming is not None and case.priming.applies_to(half)
    variant = case.variant if primed else BASE
    where = placement(case.priming, case.pair, half, SYSTEM_PROMPTS[condition])
    h = case.pair.half(half)
    return PromptRequest(
        pair_id=case.pair.id,
        half=half,
        variant=variant,
        messages=build_messages(
            h.text,
            condition,
            system_override=where.system_override,
            user_prefix=where.user_prefix,
            user_suffix=where.user_suffix,
        ),
        expected=h.expected,
        max_new_tokens=MAX_NEW_TOKENS[condition],
    )


def requests_for(case: Case, condition: Condition) -> tuple[PromptRequest, PromptRequest]:
    """The stereotyped and contrast requests of a case."""
    return (request_for(case, HALVES[0], condition), request_for(case, HALVES[1], condition))


def all_requests(case: Case, condition: Condition) -> list[PromptRequest]:
    """Every request a case needs: a primed case also needs its base case's two."""
    needed = list(requests_for(case, condition))
    if case.priming is not None:
        keys = {r.key for r in needed}
        needed += [r for r in requests_for(case.base, condition) if r.key not in keys]
    return needed
