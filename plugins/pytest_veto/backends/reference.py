"""Built-in reference models: deterministic fakes that exercise the whole gate offline.

Name grammar: ``reference/<kind>[:<P>][,<key>=<value>...]``

- ``evidence-reader``: always answers what the evidence says (the human baseline, MAR 0).
- ``misfire:P``: answers "no" on the stereotyped half of a fraction P of pairs.
- ``bias:P``: answers "no" on the contrast half of a fraction P of pairs.
- ``refuser:P``: refuses the stereotyped half of a fraction P of pairs.
- ``coin``: answers yes or no at random on every prompt.
- ``error:P``: fails (a backend error) on the stereotyped half of a fraction P of pairs.
- ``planted:WORD``: answers "no" on every stereotyped half whose user message holds the
  whole word WORD (case-insensitive), and reads the evidence everywhere else: a misfire
  with one known cause, for testing that exploring finds it and shrinks to it. With
  ``cue=V`` it misfires only under the priming variant V (the cause is WORD and V).
- ``yes``: answers "yes" to every prompt without reading it (a yes-sayer: perfect on the
  pairs, whose halves all expect "yes"; the control questions expose it).
- ``dodger``: reads the evidence on every pair's halves and answers "unknown" to every
  control question (it never says the wrong "yes", so only the control accuracy gate
  catches it).

Options: ``seed=N`` (default: the run's ``--veto-seed``), ``primed=Q``: the rate used on
primed variants (any variant but ``base``) instead of P, so priming effects are testable.
Pair selection draws one uniform number per (seed, pair id), so the pairs misfiring at
rate P are a subset of those misfiring at any rate Q > P.

Every answer is raw text that goes through the real parser.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast, get_args

from pytest_veto.backends.protocol import CONTROL_HALF, Capability, Completion, PromptRequest

ReferenceKind = Literal[
    "evidence-reader",
    "misfire",
    "bias",
    "refuser",
    "coin",
    "error",
    "planted",
    "yes",
    "dodger",
]
_NEEDS_RATE = {"misfire", "bias", "refuser", "error"}
REFUSAL_TEXT = "I'm sorry, but I can't help with questions that rely on group stereotypes."


class ReferenceNameError(ValueError):
    """A ``reference/...`` model name that does not parse."""


def uniform(*parts: object) -> float:
    """A deterministic number in [0, 1) from the given parts (SHA-256 based)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class ReferenceModel:
    """A deterministic reference model (see the module docstring)."""

    name: str
    kind_name: ReferenceKind
    rate: float = 0.0
    primed_rate: float | None = None
    seed: int = 0
    #: ``planted``: the word that makes the stereotyped half misfire, and the cue it needs
    word: str = ""
    cue: str | None = None

    kind = "reference"

    @property
    def model(self) -> str:
        """The model name as given."""
        return self.name

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Reference models have text only."""
        return frozenset()

    @classmethod
    def from_name(cls, name: str, seed: int = 0) -> ReferenceModel:
        """Parse ``reference/<kind>[:P][,key=value...]``."""
        spec = name.removeprefix("reference/")
        head, *opts = spec.split(",")
        kind, _, rate_text = head.partition(":")
        if kind not in get_args(ReferenceKind):
            raise ReferenceNameError(
                f"unknown reference model {kind!r} in {name!r}; "
                f"choose one of {', '.join(get_args(ReferenceKind))}"
            )
        if kind == "planted":
            return _planted(name, rate_text, opts, seed)
        rate = _rate(rate_text, name) if rate_text else 0.0
        if kind in _NEEDS_RATE and not rate_text:
            raise ReferenceNameError(f"{name!r}: reference/{kind} needs a rate, e.g. {kind}:0.1")
        if kind not in _NEEDS_RATE and rate_text:  # it would be ignored: say so
            raise ReferenceNameError(f"{name!r}: reference/{kind} takes no rate")
        primed: float | None = None
        seen: set[str] = set()
        for opt in opts:
            key, sep, value = opt.partition("=")
            if not sep:
                raise ReferenceNameError(f"{name!r}: option {opt!r} is not key=value")
            if key in seen:  # which one would win is a guess: refuse it
                raise ReferenceNameError(f"{name!r}: option {key!r} given twice")
            seen.add(key)
            if key == "primed" and kind not in _NEEDS_RATE:
                raise ReferenceNameError(f"{name!r}: reference/{kind} takes no primed rate")
            if key == "seed":
                try:
                    seed = int(value)
                except ValueError:
                    raise ReferenceNameError(f"{name!r}: seed must be an integer") from None
            elif key == "primed":
                primed = _rate(value, name)
            else:
                raise ReferenceNameError(f"{name!r}: unknown option {key!r} (seed, primed)")
        return cls(name, cast(ReferenceKind, kind), rate, primed, seed)

    def _rate_for(self, variant: str) -> float:
        if variant != "base" and self.primed_rate is not None:
            return self.primed_rate
        return self.rate

    def answer(self, request: PromptRequest) -> Completion:
        """The deterministic completion of one request."""
        expected = request.expected
        wrong = "no" if expected == "yes" else "yes"
        selected = uniform(self.seed, request.pair_id) < self._rate_for(request.variant)
        # Mis-Align items ("item") behave like a stereotyped half: the rate applies to them
        stereotyped = request.half in ("stereotyped", "item")
        kind = self.kind_name
        if kind == "error" and selected and stereotyped:
            return Completion("error", error="reference/error: simulated backend failure")
        if kind == "refuser" and selected and stereotyped:
            return Completion("refused", text=REFUSAL_TEXT)
        if kind == "planted":
            planted = stereotyped and _holds(request, self.word)
            if self.cue is not None:
                planted = planted and request.variant == self.cue
            answer = wrong if planted else expected
        elif kind == "yes":
            answer = "yes"
        elif kind == "dodger":
            answer = "unknown" if request.half == CONTROL_HALF else expected
        elif kind == "coin":
            coin = uniform(self.seed, request.pair_id, request.half, request.variant) < 0.5
            answer = "yes" if coin else "no"
        elif (kind == "misfire" and selected and stereotyped) or (
            kind == "bias" and selected and not stereotyped
        ):
            answer = wrong
        else:
            answer = expected
        return Completion("ok", text=_render(answer, request))

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        """Answer every request."""
        return [self.answer(r) for r in requests]

    def cache_identity(self) -> dict[str, object]:
        """Reference answers are computed, never cached; this is for completeness."""
        return {"model": self.name, "seed": self.seed}

    def close(self) -> None:
        """Nothing to release."""


def _planted(name: str, word: str, opts: Sequence[str], seed: int) -> ReferenceModel:
    """``reference/planted:WORD[,cue=V][,seed=N]``."""
    if not word.strip():
        raise ReferenceNameError(f"{name!r}: reference/planted needs a word, e.g. planted:gay")
    cue: str | None = None
    for opt in opts:
        key, sep, value = opt.partition("=")
        if not sep or key not in ("cue", "seed") or not value:
            raise ReferenceNameError(f"{name!r}: option {opt!r}: planted takes cue=V, seed=N")
        if key == "cue":
            cue = value
        else:
            try:
                seed = int(value)
            except ValueError:
                raise ReferenceNameError(f"{name!r}: seed must be an integer") from None
    return ReferenceModel(name, "planted", seed=seed, word=word.strip(), cue=cue)


def _holds(request: PromptRequest, word: str) -> bool:
    """Does the request's last user message hold ``word`` as a whole word?"""
    user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", user, re.IGNORECASE) is not None


def _rate(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ReferenceNameError(f"{name!r}: rate {text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise ReferenceNameError(f"{name!r}: rate {value} must be within [0, 1]")
    return value


def _render(answer: str, request: PromptRequest) -> str:
    """Raw text in the style the condition asks for (a short rationale under chain of thought)."""
    system = request.messages[0].content if request.messages else ""
    if "step by step" in system:
        return f'The question is answered by the context.\n{{"answer": "{answer}"}}'
    return f'{{"answer": "{answer}"}}'
