"""The property and its search: no drawn pair of a template misfires.

Each example is asked exactly as a VETO pair is asked: a ``run.cases.Case`` through the
run's ``CaseRunner`` (same prompts, backend, response cache and parsing). The property
fails when the pair misfires (stereotyped half wrong, contrast half right). An errored
half is never a counterexample: the example is rejected (``hypothesis.reject``), so
hypothesis neither reports nor shrinks towards it; the errors are counted.

Hypothesis shrinks a failure to its simplest form and replays the minimal example last,
so the last misfire seen is the minimal one. Examples are kept in a
``DirectoryBasedExampleDatabase`` in a folder per model identity and template, so the
next run against the same model replays the known misfires first. ``seed`` fixes the
generation (``hypothesis.seed`` and ``derandomize`` would also switch the database off,
so the seed is given to the engine directly).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pytest_veto.data.bbq.templates import BbqTemplate, FillerItem
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

    @property
    def misfired(self) -> bool:
        """Was a misfire found?"""
        return self.minimal is not None

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
            "calls": self.calls,
            "calls_to_first_misfire": self.calls_to_first,
            "targeted": self.targeted,
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


def database_dir(cache_dir: Path, model_identity: dict[str, object], template: str) -> Path:
    """Where a template's examples live for one model: ``<cache>/explore/<model>/<template>``."""
    key = json.dumps(model_identity, sort_keys=True, default=str)
    return cache_dir / "explore" / hashlib.sha256(key.encode()).hexdigest()[:16] / template


def explore(
    template: BbqTemplate,
    runner: Runner,
    *,
    fillers: Sequence[FillerItem] = (),
    cues: Sequence[PrimingVariant] = (),
    max_examples: int = 100,
    seed: int | None = None,
    database: Path | None = None,
    target: bool = False,
) -> Exploration:
    """Search ``template`` for a misfire and shrink it (see the module docstring).

    With ``target``, hypothesis is steered towards a low answer margin on the
    stereotyped half (the backend's ``logit_diff``, where it gives one).
    ``hypothesis.errors.Unsatisfiable`` escapes when every example errored.
    """
    import hypothesis
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    seen: list[Example] = []
    counts = {"examples": 0, "errors": 0}
    calls_to_first: list[int] = []
    start = runner.requests_sent

    def check(draw: Draw) -> None:
        counts["examples"] += 1
        result = runner.result(draw.case())
        if result.outcome == "error":
            counts["errors"] += 1
            hypothesis.reject()
        margin = result.stereotyped.logit_diff
        if target and margin is not None:
            hypothesis.target(-margin, label="low stereotyped-half margin")
        if result.misfired:
            if not seen:
                calls_to_first.append(runner.requests_sent - start)
            seen.append(Example(draw, result))
            raise _Misfire(draw.pair().id)

    prop = settings(
        max_examples=max_examples,
        deadline=None,
        database=None if database is None else DirectoryBasedExampleDatabase(database),
        phases=tuple(Phase) if target else tuple(p for p in Phase if p is not Phase.target),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
        report_multiple_bugs=False,
    )(given(draws(template, fillers, cues))(check))
    if seed is not None:
        # hypothesis.seed() and derandomize both switch the example database off, and the
        # replay of known misfires is the point of a seeded CI run: set the seed the
        # engine reads (hypothesis.core.get_random_for_wrapped_test) and keep the database
        prop._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    with contextlib.suppress(_Misfire):  # the minimal misfire is in ``seen``
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
        targeted=target,
    )


def describe(found: Exploration) -> str:
    """The failure message of a template's test: the minimal misfire, both texts and raw
    outputs, and what was removed while it still misfired."""
    if found.minimal is None:
        return f"{found.template}: no misfire in {found.examples} examples"
    m = found.minimal
    needs = m.draw.extras()
    removed = found.removed()
    lines = [
        f"{found.template} ({found.category}): MISFIRE, minimal form after "
        f"{found.examples} examples, {found.calls} calls",
        f"groups: {m.draw.stereotyped_word!r} (stereotyped) vs {m.draw.contrast_word!r}",
        "needs: " + (", ".join(needs) if needs else "nothing beyond the plainest pair"),
        "removed while it still misfired: " + (", ".join(removed) if removed else "nothing"),
    ]
    for h in (m.result.stereotyped, m.result.contrast):
        lines.append(f"--- {h.half} half (variant {h.variant}) ---")
        lines.append(f"user:   {h.user}")
        lines.append(f"output: {h.raw!r} -> {h.answer} (expected {h.expected})")
    return "\n".join(lines)
