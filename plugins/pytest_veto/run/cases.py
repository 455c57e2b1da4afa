"""Test cases: a pair under a variant, and the prompt requests each case needs."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_veto.backends.protocol import PromptRequest
from pytest_veto.data.pairs import HALVES, HalfName, Pair
from pytest_veto.run.decoding import DecodingSettings, plain_decoding
from pytest_veto.run.priming import PrimingVariant, placement
from pytest_veto.run.prompts import SYSTEM_PROMPTS, Condition, build_messages

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


def decoding_of(decoding: DecodingSettings | Condition) -> DecodingSettings:
    """The run's decoding (a bare condition: an API model's published decoding)."""
    return plain_decoding(decoding) if isinstance(decoding, str) else decoding


def prompt_request(
    pair_id: str,
    half: str,
    variant: str,
    text: str,
    expected: str,
    d: DecodingSettings,
    *,
    system_override: str | None = None,
    user_prefix: str = "",
    user_suffix: str = "",
) -> PromptRequest:
    """A question asked under the run's decoding, exactly as every half (and control) is:
    the protocol's messages, budget, template keywords, extra body and early stop."""
    return PromptRequest(
        pair_id=pair_id,
        half=half,
        variant=variant,
        messages=build_messages(
            text,
            d.condition,
            system_override=system_override,
            user_prefix=user_prefix,
            user_suffix=user_suffix,
            tail=d.user_tail,
        ),
        expected=expected,
        max_new_tokens=d.max_new_tokens,
        chat_template_kwargs=d.chat_template_kwargs,
        extra_body=d.extra_body,
        stop_at_answer=d.early_stop,
    )


def request_for(
    case: Case, half: HalfName, decoding: DecodingSettings | Condition
) -> PromptRequest:
    """One half's request under the run's decoding. A half the cue does not touch is the
    base request itself (variant ``base``), so it is sent once and shared with the
    unprimed case."""
    d = decoding_of(decoding)
    primed = case.priming is not None and case.priming.applies_to(half)
    where = placement(case.priming, case.pair, half, SYSTEM_PROMPTS[d.condition])
    h = case.pair.half(half)
    return prompt_request(
        case.pair.id,
        half,
        case.variant if primed else BASE,
        h.text,
        h.expected,
        d,
        system_override=where.system_override,
        user_prefix=where.user_prefix,
        user_suffix=where.user_suffix,
    )


def requests_for(
    case: Case, decoding: DecodingSettings | Condition
) -> tuple[PromptRequest, PromptRequest]:
    """The stereotyped and contrast requests of a case."""
    d = decoding_of(decoding)
    return (request_for(case, HALVES[0], d), request_for(case, HALVES[1], d))


def all_requests(case: Case, decoding: DecodingSettings | Condition) -> list[PromptRequest]:
    """Every request a case needs: a primed case also needs its base case's two."""
    d = decoding_of(decoding)
    needed = list(requests_for(case, d))
    if case.priming is not None:
        keys = {r.key for r in needed}
        needed += [r for r in requests_for(case.base, d) if r.key not in keys]
    return needed
