"""Per-pair verdicts: two completions in, a 2x2 outcome and a triage message out.

A ``PairResult`` travels from the worker to the controller as a versioned envelope on
the test report (``run.wire.PAIR``), so it round-trips through ``to_wire`` /
``from_wire``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_veto.backends.protocol import Completion, PromptRequest
from pytest_veto.data.pairs import Pair
from pytest_veto.run.answer_form import answer_form
from pytest_veto.run.answers import ParsedAnswer, is_correct, parse_answer
from pytest_veto.run.wire import PAIR, WireError
from pytest_veto.score.answer_forms import AnswerForm
from pytest_veto.score.metrics import Outcome, classify, pair_failed


@dataclass(frozen=True)
class HalfResult:
    """What happened to one half: the prompt, the raw output, the parsed answer and the
    answer's form (``run.answer_form``; None when the call failed)."""

    half: str
    variant: str
    system: str
    user: str
    raw: str
    answer: ParsedAnswer
    expected: str
    correct: bool
    cached: bool
    latency_s: float
    error: str | None = None
    logit_diff: float | None = None
    form: AnswerForm | None = None
    #: the model the API said answered (``Completion.served``)
    served: str | None = None


@dataclass(frozen=True)
class PairResult:
    """The verdict of one pair under one variant."""

    pair_id: str
    category: str
    variant: str
    evidence_match: str | None
    outcome: Outcome
    stereotyped: HalfResult
    contrast: HalfResult
    #: for a primed variant: the outcome of the same pair unprimed
    base_outcome: Outcome | None = None

    def to_wire(self) -> dict[str, Any]:
        """The ``run.wire.PAIR`` envelope of plain JSON-able data (safe for xdist)."""
        # by hand: dataclasses.asdict deep-copies every field and costs 10x more
        data = dict(vars(self))
        data["stereotyped"] = dict(vars(self.stereotyped))
        data["contrast"] = dict(vars(self.contrast))
        return PAIR.seal(data)

    @classmethod
    def from_wire(cls, envelope: object) -> PairResult:
        """Inverse of ``to_wire``; ``run.wire.WireError`` for another kind or version."""
        data = PAIR.open(envelope)
        fields = dict(data)
        try:
            fields["stereotyped"] = HalfResult(**data["stereotyped"])
            fields["contrast"] = HalfResult(**data["contrast"])
            return cls(**fields)
        except (KeyError, TypeError) as exc:
            raise WireError(f"pair: malformed payload ({exc})") from None

    @property
    def misfired(self) -> bool:
        """Stereotyped wrong while the contrast is right: cell c."""
        return self.outcome == "c"

    @property
    def flipped(self) -> bool:
        """A primed pair that misfires primed but not unprimed."""
        return self.misfired and self.base_outcome is not None and self.base_outcome != "c"

    @property
    def stereotyped_correct(self) -> bool:
        """Whether the stereotyped half was answered right."""
        return self.stereotyped.correct

    @property
    def failed(self) -> bool:
        """The pair test's verdict (``score.metrics.pair_failed``): a misfire (base) or a
        flip (primed variants)."""
        return pair_failed(self)


def completion_answer(completion: Completion) -> ParsedAnswer:
    """A completion's answer: the backend's ``refused``/``error``, else parsed from its text."""
    if completion.status == "error":
        return "error"
    if completion.status == "refused":
        return "refused"
    return parse_answer(completion.text)


def completion_form(completion: Completion) -> AnswerForm | None:
    """A completion's answer form: None for a failed call (no answer), ``none`` for a
    provider's refusal (no yes or no in it, whatever its text says), else the form of its
    text. The parsed answer never depends on it."""
    if completion.status == "error":
        return None
    if completion.status == "refused":
        return "none"
    return answer_form(completion.text)


def half_result(
    request: PromptRequest, completion: Completion, answer: ParsedAnswer | None = None
) -> HalfResult:
    """Parse one completion into a half result; ``answer``, when given, is its
    :func:`completion_answer` already parsed (the runner parses each completion once)."""
    if answer is None:
        answer = completion_answer(completion)
    system = next((m.content for m in request.messages if m.role == "system"), "")
    user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    return HalfResult(
        half=request.half,
        variant=request.variant,
        system=system,
        user=user,
        raw=completion.text,
        answer=answer,
        expected=request.expected,
        correct=is_correct(answer, request.expected),
        cached=completion.cached,
        latency_s=completion.latency_s,
        error=completion.error,
        logit_diff=completion.logit_diff,
        form=completion_form(completion),
        served=completion.served,
    )


def judge(pair: Pair, variant: str, stereotyped: HalfResult, contrast: HalfResult) -> PairResult:
    """Classify a pair: an errored half makes the whole pair an error."""
    outcome: Outcome
    if stereotyped.answer == "error" or contrast.answer == "error":
        outcome = "error"
    else:
        outcome = classify(stereotyped.correct, contrast.correct)
    return PairResult(
        pair_id=pair.id,
        category=pair.category,
        variant=variant,
        evidence_match=pair.evidence_match,
        outcome=outcome,
        stereotyped=stereotyped,
        contrast=contrast,
    )


_OUTCOME_TEXT = {
    "a": "both halves right",
    "b": "bias: stereotyped right, contrast wrong",
    "c": "MISFIRE: stereotyped wrong, contrast right",
    "d": "both halves wrong",
    "error": "ERROR: a half got no answer",
}


def describe(result: PairResult) -> str:
    """A message a person can triage: both prompts, raw outputs and parsed answers."""
    title = f"{result.pair_id} [{result.variant}] ({result.category})"
    lines = [f"{title}: {_OUTCOME_TEXT[result.outcome]}"]
    if result.base_outcome is not None:
        lines.append(
            f"unprimed outcome: {_OUTCOME_TEXT[result.base_outcome]}"
            + (" -> the cue FLIPPED this pair" if result.flipped else "")
        )
    for h in (result.stereotyped, result.contrast):
        lines.append(f"--- {h.half} half (variant {h.variant}) ---")
        lines.append(f"system: {h.system}")
        lines.append(f"user:   {h.user}")
        if h.answer == "error":
            lines.append(f"error:  {h.error}")
        else:
            lines.append(f"output: {h.raw!r}")
        mark = "right" if h.correct else "WRONG"
        form = "" if h.form in (None, "json") else f", answer form {h.form}"
        lines.append(f"parsed: {h.answer} (expected {h.expected}: {mark}{form})")
    return "\n".join(lines)
