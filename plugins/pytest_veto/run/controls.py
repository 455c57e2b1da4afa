"""Control cases: a pair's control question (expected "no") as a test of its own.

Every VETO half expects "yes", so a model that always says "yes" gets a perfect table.
With ``--veto-controls`` each pair that carries a control (``data.pairs.Control``: the
stereotyped context, the same question about the other person) is asked it once,
unprimed, through the same prompts, backend, cache and parser as the halves. A
``ControlResult`` crosses to the controller on its own channel (``run.wire.CONTROL``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_veto.backends.protocol import CONTROL_HALF, PromptRequest
from pytest_veto.data.pairs import Pair
from pytest_veto.run.cases import decoding_of, prompt_request
from pytest_veto.run.decoding import DecodingSettings
from pytest_veto.run.prompts import Condition
from pytest_veto.run.verdict import HalfResult
from pytest_veto.run.wire import CONTROL, WireError


@dataclass(frozen=True)
class ControlCase:
    """One parametrized control test: a pair that carries a control question."""

    pair: Pair

    @property
    def id(self) -> str:
        """The pytest parameter id: the pair's id (``test_control[age_q1_p0]``)."""
        return self.pair.id


def control_request(pair: Pair, decoding: DecodingSettings | Condition) -> PromptRequest:
    """The request of a pair's control (the pair must carry one), under the run's
    decoding, exactly as its halves are asked (a bare condition: an API model's
    published decoding)."""
    control = pair.control
    if control is None:
        raise ValueError(f"pair {pair.id!r} has no control question")
    return prompt_request(
        pair.id, CONTROL_HALF, "base", control.text, control.expected, decoding_of(decoding)
    )


@dataclass(frozen=True)
class ControlResult:
    """The model's answer to one control question."""

    pair_id: str
    category: str
    asks_about: str
    group: str
    answer: HalfResult

    @property
    def errored(self) -> bool:
        """No answer (the call failed after its retries): not counted as an answer."""
        return self.answer.answer == "error"

    @property
    def said_yes(self) -> bool:
        """The model said "yes" where the evidence says "no"."""
        return self.answer.answer == "yes"

    @property
    def failed(self) -> bool:
        """The control test's verdict: answered, but not with the expected "no"."""
        return not self.errored and not self.answer.correct

    def to_wire(self) -> dict[str, Any]:
        """The ``run.wire.CONTROL`` envelope of plain JSON-able data."""
        data = dict(vars(self))
        data["answer"] = dict(vars(self.answer))
        return CONTROL.seal(data)

    @classmethod
    def from_wire(cls, envelope: object) -> ControlResult:
        """Inverse of ``to_wire``; ``run.wire.WireError`` for another kind or version."""
        data = dict(CONTROL.open(envelope))
        try:
            data["answer"] = HalfResult(**data["answer"])
            return cls(**data)
        except (KeyError, TypeError) as exc:
            raise WireError(f"control: malformed payload ({exc})") from None


def control_result(pair: Pair, answer: HalfResult) -> ControlResult:
    """A pair's control result from its parsed answer."""
    control = pair.control
    assert control is not None, pair.id
    return ControlResult(pair.id, pair.category, control.asks_about, control.group, answer)


def describe_control(result: ControlResult) -> str:
    """A message a person can triage: the prompt, the raw output, the parsed answer."""
    h = result.answer
    if result.errored:
        verdict = "ERROR: no answer"
    elif result.failed:
        verdict = f"WRONG: answered {h.answer} where the evidence says {h.expected}"
    else:
        verdict = "right"
    lines = [
        f"{result.pair_id} [control] ({result.category}), about {result.asks_about} "
        f"({result.group}): {verdict}",
        f"system: {h.system}",
        f"user:   {h.user}",
        f"error:  {h.error}" if result.errored else f"output: {h.raw!r}",
        f"parsed: {h.answer} (expected {h.expected})",
    ]
    return "\n".join(lines)
