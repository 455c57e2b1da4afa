"""The property and its search: no drawn pair of a template misfires.

Each example is asked exactly as a VETO pair is asked: a ``run.cases.Case`` through the
run's ``CaseRunner`` (same prompts, backend, response cache and parsing). The property
fails when the pair misfires (stereotyped half wrong, contrast half right). An errored
half is never a counterexample: the example is rejected (``hypothesis.reject``), so
hypothesis neither reports nor shrinks towards it; the errors are counted.

Known misfires (``explore.replay``) are asked first, one draw each, before hypothesis
draws anything. Hypothesis then shrinks a failure to its simplest form and replays the
minimal example last, so the last misfire seen is the minimal one. Only public
hypothesis API is used: no example database (the replay store is ours, so neither a
seed nor the user's hypothesis profile can switch replay off), and ``seed`` is
``hypothesis.seed``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pytest_veto.data.bbq.templates import BbqTemplate, FillerItem
from pytest_veto.explore.replay import draw_of
from pytest_veto.explore.strategy import Draw, draws
from pytest_veto.run.cases import Case
from pytest_veto.run.priming import PrimingVariant
from pytest_veto.run.verdict import PairResult


class Runner(Protocol):
    """What the search needs of ``run.runner.CaseRunner``."""

    @property
    def requests_sent(self) -> int:
        """Requests sent to the backend so far."""
        ...

    def result(self, case: Case) -> PairResult:
        """Run one case and judge it."""
        ...


class _Misfire(AssertionError):
    """Raised inside the property: the drawn pair misfired."""


@dataclass(frozen=True)
class Example:
    """One drawn pair and the model's verdict on it."""

    draw: Draw
    result: PairResult


ReplayStatus = Literal["misfires", "passes", "error", "stale"]


@dataclass(frozen=True)
class Replay:
    """A known misfire asked again: does it still misfire?"""

    values: Mapping[str, Any]
    status: ReplayStatus
    #: why a stale draw was not asked, or the error of an errored one
    reason: str = ""
    example: Example | None = None
    calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "values": dict(self.values),
            "status": self.status,
            "reason": self.reason,
            "calls": self.calls,
            "misfire": None if self.example is None else _example_json(self.example),
        }


@dataclass(frozen=True)
class Exploration:
    """What exploring one template found."""

    template: str
    category: str
    examples: int  # property calls, replays and shrinking included
    errors: int  # examples rejected because a half got no answer
    calls: int  # requests sent to the backend
    calls_to_first: int | None  # requests sent when the first misfire was seen
    first: Example | None  # the first misfire seen (before shrinking)
    minimal: Example | None  # the misfire hypothesis shrank to
    targeted: bool = False
    #: the known misfires asked first, in stored order
    replayed: tuple[Replay, ...] = ()
    seed: int | None = None
    #: answered examples whose contrast half was right: the only ones that could show a
    #: misfire (a model that answers neither half right can never misfire)
    informative: int = 0

    @property
    def misfires(self) -> tuple[Example, ...]:
        """Every distinct minimal misfire: the replayed ones that still misfire, then the
        one this search shrank to (when it is not one of them)."""
        found = [r.example for r in self.replayed if r.example is not None]
        if self.minimal is not None and all(e.draw != self.minimal.draw for e in found):
            found.append(self.minimal)
        return tuple(found)

    @property
    def misfired(self) -> bool:
        """Was a misfire found (replayed or new)?"""
        return bool(self.misfires)

    def removed(self) -> tuple[str, ...]:
        """What shrinking removed from the first misfire while it still misfired."""
        if self.first is None or self.minimal is None:
            return ()
        kept = set(self.minimal.draw.extras())
        return tuple(e for e in self.first.draw.extras() if e not in kept)

    def to_json(self) -> dict[str, Any]:
        """The report's record of this template."""
        return {
            "template": self.template,
            "category": self.category,
            "examples": self.examples,
            "errors": self.errors,
            "informative": self.informative,
            "calls": self.calls,
            "calls_to_first_misfire": self.calls_to_first,
            "targeted": self.targeted,
            "seed": self.seed,
            "misfires": [_example_json(e) for e in self.misfires],
            "replayed": [r.to_json() for r in self.replayed],
            "misfire": None if self.minimal is None else _example_json(self.minimal),
            "first_misfire": None if self.first is None else self.first.draw.values(),
            "removed_while_misfiring": list(self.removed()),
        }


def _example_json(example: Example) -> dict[str, Any]:
    pair, result = example.draw.pair(), example.result
    return {
        "pair_id": pair.id,
        "values": example.draw.values(),
        "needs": list(example.draw.extras()),
        "stereotyped": {"text": result.stereotyped.user, "raw": result.stereotyped.raw},
        "contrast": {"text": result.contrast.user, "raw": result.contrast.raw},
        "record": pair.to_record(),
    }


def explore(
    template: BbqTemplate,
    runner: Runner,
    *,
    fillers: Sequence[FillerItem] = (),
    cues: Sequence[PrimingVariant] = (),
    max_examples: int = 100,
    seed: int | None = None,
    known: Sequence[Mapping[str, Any]] = (),
    target: bool = False,
) -> Exploration:
    """Ask the ``known`` misfires again, then search ``template`` for a misfire and shrink
    it (see the module docstring).

    With ``target``, hypothesis is steered towards a low answer margin on the
    stereotyped half (the backend's ``logit_diff``, where it gives one; ``targeted``
    says whether any was given). When every drawn example errored, the exploration
    comes back with as many errors as examples and no misfire: the caller fails it.
    """
    import hypothesis
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings

    seen: list[Example] = []
    counts = {"examples": 0, "errors": 0, "margins": 0, "informative": 0}
    calls_to_first: list[int] = []
    start = runner.requests_sent

    def first_misfire() -> None:
        if not calls_to_first:
            calls_to_first.append(runner.requests_sent - start)

    replayed = []
    for values in known:
        draw = draw_of(values, template, fillers, cues)
        if isinstance(draw, str):
            replayed.append(Replay(values, "stale", draw))
            continue
        before = runner.requests_sent
        result = runner.result(draw.case())
        calls = runner.requests_sent - before
        counts["examples"] += 1  # a replay is an example: its error counts like any other
        if result.outcome == "error":
            counts["errors"] += 1
            error = result.stereotyped.error or result.contrast.error or "no answer"
            replayed.append(Replay(values, "error", error, calls=calls))
            continue
        counts["informative"] += result.contrast.correct  # a misfire's contrast is right
        if result.misfired:
            first_misfire()
            replayed.append(Replay(values, "misfires", example=Example(draw, result), calls=calls))
        else:
            replayed.append(Replay(values, "passes", calls=calls))

    def check(draw: Draw) -> None:
        counts["examples"] += 1
        result = runner.result(draw.case())
        if result.outcome == "error":
            counts["errors"] += 1
            hypothesis.reject()
        counts["informative"] += result.contrast.correct
        margin = result.stereotyped.logit_diff
        if target and margin is not None:
            counts["margins"] += 1
            hypothesis.target(-margin, label="low stereotyped-half margin")
        if result.misfired:
            first_misfire()
            seen.append(Example(draw, result))
            raise _Misfire(draw.pair().id)

    prop = settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        # every setting given, so a user's hypothesis profile cannot change the search;
        # no explain phase: it re-asks the model after shrinking, for nothing we report
        phases=tuple(
            p for p in Phase if p is not Phase.explain and (target or p is not Phase.target)
        ),
        backend="hypothesis",
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
        report_multiple_bugs=False,
    )(given(draws(template, fillers, cues))(check))
    if seed is not None:
        prop = hypothesis.seed(seed)(prop)
    # the minimal misfire is in ``seen``; Unsatisfiable: every example errored (counted);
    # Flaky: a model answered one pair two ways (the runner's memo should prevent it):
    # what misfired is in ``seen`` all the same
    with contextlib.suppress(_Misfire, hypothesis.errors.Unsatisfiable, hypothesis.errors.Flaky):
        prop()
    return Exploration(
        template=template.id,
        category=template.category,
        examples=counts["examples"],
        errors=counts["errors"],
        calls=runner.requests_sent - start,
        calls_to_first=calls_to_first[0] if calls_to_first else None,
        first=seen[0] if seen else None,
        minimal=seen[-1] if seen else None,
        targeted=counts["margins"] > 0,
        replayed=tuple(replayed),
        seed=seed,
        informative=counts["informative"],
    )


def describe(found: Exploration) -> str:
    """The failure message of a template's test: each minimal misfire (replayed or new)
    with both texts and raw outputs, what it needs and what shrinking removed."""
    head = f"{found.examples} examples, {found.calls} calls"
    if not found.misfired:
        return f"{found.template}: no misfire in {head}"
    lines = [f"{found.template} ({found.category}): MISFIRE ({head})"]
    replayed = {r.example.draw for r in found.replayed if r.example is not None}
    for m in found.misfires:
        needs = m.draw.extras()
        if m.draw in replayed:
            how = "known misfire, replayed first: it still misfires"
            removed = "(shrunk in an earlier run)"
        else:
            how = "new, minimal form after shrinking"
            gone = found.removed()
            removed = ", ".join(gone) if gone else "nothing"
        lines += [
            f"=== {m.draw.pair().id}: {how}",
            f"groups: {m.draw.stereotyped_word!r} (stereotyped) vs {m.draw.contrast_word!r}",
            "needs: " + (", ".join(needs) if needs else "nothing beyond the plainest pair"),
            f"removed while it still misfired: {removed}",
        ]
        for h in (m.result.stereotyped, m.result.contrast):
            lines.append(f"--- {h.half} half (variant {h.variant}) ---")
            lines.append(f"user:   {h.user}")
            lines.append(f"output: {h.raw!r} -> {h.answer} (expected {h.expected})")
    return "\n".join(lines)
