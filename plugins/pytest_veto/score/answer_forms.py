"""The forms of a run's answers: how many came as the JSON the prompt asks for, and
whether the run is degenerate (one output, or one parsed answer, for every prompt).

The published parser (``run.answers.parse_answer``) reads "yes" anywhere in a text, so a
model that answers every question "I cannot answer yes or no to that: it relies on a
stereotype" parses as a perfect yes-sayer. The metrics keep that parser; these numbers
say how much of a run rests on it. Each half carries its form (``run.answer_form``):

- ``json``: a JSON-style ``"answer": "yes|no"`` is present;
- ``word``: no JSON answer, and exactly one of the whole words yes and no;
- ``ambiguous``: no JSON answer, and both words, or a hedge or refusal phrase;
- ``none``: no answer at all (neither word, no phrase; a provider's refusal too).

A half whose call failed (``error``) has no form and is not an answered half.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

AnswerForm = Literal["json", "word", "ambiguous", "none"]
FORMS: tuple[AnswerForm, ...] = ("json", "word", "ambiguous", "none")
#: how much of a constant output a gate message quotes
_QUOTED = 60


class FormedHalf(Protocol):
    """What the form statistics read of one half (``run.verdict.HalfResult`` satisfies it)."""

    @property
    def raw(self) -> str: ...

    @property
    def answer(self) -> str:
        """The parsed answer (``yes no unknown refused error``)."""

    @property
    def expected(self) -> str: ...

    @property
    def form(self) -> AnswerForm | None:
        """None: the call failed, nothing was answered."""


def same_output(raw: str) -> str:
    """A raw output as the degenerate test compares it: case and runs of white space do
    not make two outputs different."""
    return " ".join(raw.split()).casefold()


@dataclass(frozen=True)
class AnswerForms:
    """Counts of the answered halves of a run by form, and what makes it degenerate."""

    counts: dict[AnswerForm, int]
    #: distinct outputs (compared by :func:`same_output`) and parsed answers seen
    outputs: int
    answers: tuple[str, ...]
    #: expected answers of the answered halves (``yes``; ``no`` when controls ran)
    expected: tuple[str, ...]
    #: the one output every answered half got (None unless ``outputs == 1``)
    only_output: str | None = None

    @property
    def answered(self) -> int:
        """Halves with an answer (every half whose call did not fail)."""
        return sum(self.counts.values())

    def _share(self, *forms: AnswerForm) -> float | None:
        n = self.answered
        return 100.0 * sum(self.counts[f] for f in forms) / n if n else None

    @property
    def ambiguous_rate(self) -> float | None:
        """Percent of answered halves whose form is ``ambiguous`` (None: none answered)."""
        return self._share("ambiguous")

    @property
    def non_json_rate(self) -> float | None:
        """Percent of answered halves without a JSON answer (``word``, ``ambiguous``,
        ``none``), whose parsed answer, if any, came from the parser's loose rules."""
        return self._share("word", "ambiguous", "none")

    @property
    def degenerate(self) -> str | None:
        """Why the run is degenerate, or None. Degenerate: every answered half got the
        same output and it holds no JSON answer; or, when halves with different expected
        answers ran (controls expecting "no"), every half got the same parsed answer. One
        parsed answer everywhere is NOT degenerate when every half expects "yes": that is
        what a perfect model answers on VETO (a yes-sayer is caught by the controls)."""
        n = self.answered
        if n and self.only_output is not None and not self.counts["json"]:
            shown = self.only_output[:_QUOTED] + ("..." if len(self.only_output) > _QUOTED else "")
            return f"all {n} answered halves got the same output {shown!r}, with no JSON answer"
        if n and len(self.answers) == 1 and len(self.expected) > 1:
            return (
                f"all {n} answered halves parsed as {self.answers[0]!r}, though they expect "
                + " or ".join(repr(e) for e in self.expected)
            )
        return None

    def as_dict(self) -> dict[str, Any]:
        """The report's ``answer_forms`` section."""
        return {
            "answered": self.answered,
            "counts": {f: self.counts[f] for f in FORMS},
            "ambiguous_rate": self.ambiguous_rate,
            "non_json_rate": self.non_json_rate,
            "distinct_outputs": self.outputs,
            "distinct_answers": list(self.answers),
            "degenerate": self.degenerate,
        }


def answer_forms(halves: Iterable[FormedHalf]) -> AnswerForms:
    """The form counts of some halves (every variant's, pooled), skipping failed calls."""
    counts: Counter[AnswerForm] = Counter()
    outputs: set[str] = set()
    answers: set[str] = set()
    expected: set[str] = set()
    first = ""
    for h in halves:
        if h.form is None:
            continue
        if not outputs:
            first = h.raw
        counts[h.form] += 1
        outputs.add(same_output(h.raw))
        answers.add(h.answer)
        expected.add(h.expected)
    return AnswerForms(
        counts={f: counts[f] for f in FORMS},
        outputs=len(outputs),
        answers=tuple(sorted(answers)),
        expected=tuple(sorted(expected)),
        only_output=first if len(outputs) == 1 else None,
    )
