"""A hypothesis strategy of contrastive pairs filled from one BBQ template.

A :class:`Draw` is everything one example chose: the stereotyped and the contrast group
word, the wording of each ``{{WORDn}}`` slot, whether the two people are introduced in
the other order, an optional filler context in front, and an optional alignment cue.
The two halves of the pair share all of it and differ only in the group: the person the
evidence names is of the stereotyped group in one half and of the contrast group in the
other, and the other person takes the other word (the "swap" form of VETO's pairs). The
evidence names the answer, so the expected answer is "yes" on both halves.

Every choice is ordered so that hypothesis' simplest value is the plainest pair: no cue,
no filler, the canonical order, the template's first wording and first words
(``sampled_from`` shrinks to its first element, ``none() | ...`` to ``None``,
``booleans()`` to ``False``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from pytest_veto.data.bbq import questions, release
from pytest_veto.data.bbq.templates import BbqTemplate, FillerItem
from pytest_veto.data.pairs import Half, Pair, Source
from pytest_veto.run.cases import Case
from pytest_veto.run.priming import PrimingVariant

_SLOT = re.compile(r"\{\{([A-Z]+\d*)\}\}")


@dataclass(frozen=True)
class Draw:
    """One example's choices for a template (see the module docstring)."""

    template: BbqTemplate
    stereotyped_word: str
    contrast_word: str
    wordings: tuple[tuple[str, str], ...] = ()
    swapped: bool = False
    filler: FillerItem | None = None
    cue: PrimingVariant | None = None

    def values(self) -> dict[str, object]:
        """The drawn values as plain data (for reports and ids)."""
        return {
            "template": self.template.id,
            "stereotyped_word": self.stereotyped_word,
            "contrast_word": self.contrast_word,
            "wordings": dict(self.wordings),
            "swapped_order": self.swapped,
            "filler": None if self.filler is None else self.filler.id,
            "cue": None if self.cue is None else self.cue.name,
        }

    def extras(self) -> tuple[str, ...]:
        """What this draw has beyond the simplest pair of its template."""
        t = self.template
        found = []
        if self.cue is not None:
            found.append(f"cue {self.cue.name}")
        if self.filler is not None:
            found.append(f"filler {self.filler.id}")
        if self.swapped:
            found.append("the other order of the two people")
        first = {slot: options[0] for slot, options in t.wordings}
        found += [f"{slot}={value!r}" for slot, value in self.wordings if value != first[slot]]
        if self.stereotyped_word != t.stereotyped_words[0]:
            found.append(f"stereotyped word {self.stereotyped_word!r}")
        if self.contrast_word != t.contrast_words[0]:
            found.append(f"contrast word {self.contrast_word!r}")
        return tuple(found)

    def pair(self) -> Pair:
        """The contrastive pair of this draw."""
        return pair_of(self)

    def case(self) -> Case:
        """The case the runner asks: the pair under the drawn cue (or unprimed)."""
        return Case(self.pair(), self.cue)


def draws(
    template: BbqTemplate,
    fillers: Sequence[FillerItem] = (),
    cues: Sequence[PrimingVariant] = (),
) -> st.SearchStrategy[Draw]:
    """Every :class:`Draw` of ``template``, simplest first (see the module docstring)."""
    wordings = st.tuples(
        *(st.tuples(st.just(slot), st.sampled_from(options)) for slot, options in template.wordings)
    )
    return st.builds(
        Draw,
        template=st.just(template),
        stereotyped_word=st.sampled_from(template.stereotyped_words),
        contrast_word=st.sampled_from(template.contrast_words),
        wordings=wordings,
        swapped=st.booleans(),
        filler=st.none() | st.sampled_from(fillers) if fillers else st.none(),
        cue=st.none() | st.sampled_from(cues) if cues else st.none(),
    )


def _fill(text: str, values: dict[str, str]) -> str:
    return _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _swap_people(text: str) -> str:
    """The two people introduced in the other order (group slots exchanged)."""
    return (
        text.replace("{{NAME1}}", "\0").replace("{{NAME2}}", "{{NAME1}}").replace("\0", "{{NAME2}}")
    )


def half_text(draw: Draw, stereotyped: bool) -> str:
    """One half's prompt text: [filler] ambiguous context, disambiguating context and the
    yes/no question (the pair builder's rules, ``data.bbq.questions``), the evidence's
    person being of the stereotyped group when ``stereotyped``."""
    t = draw.template
    s, c = draw.stereotyped_word, draw.contrast_word
    values = dict(draw.wordings)
    values[t.answer_slot], values[t.other_slot] = (s, c) if stereotyped else (c, s)
    intro = _swap_people(t.ambiguous) if draw.swapped else t.ambiguous
    parts = [draw.filler.context] if draw.filler is not None else []
    parts += [_fill(intro, values), _fill(t.disambiguating, values)]
    context = " ".join(p.strip() for p in parts)
    asked = questions.yes_no_question(_fill(t.question, values), _fill(t.answer, values))
    return release.prompt_text(context, asked)


def pair_id(draw: Draw) -> str:
    """``explore_<template>_<hash of the drawn values>``: distinct draws never share an id
    (the runner and the response cache key requests by it)."""
    digest = hashlib.sha256(repr(sorted(draw.values().items())).encode("utf-8")).hexdigest()
    return f"explore_{draw.template.id}_{digest[:10]}"


def pair_of(draw: Draw) -> Pair:
    """The VETO-shaped pair of a draw: both halves expect "yes"."""
    t = draw.template
    question = _fill(t.question, dict(draw.wordings))
    trigger = questions.trigger_sentence(question, release.stereotyped_label(t.stereotyped_groups))
    return Pair(
        id=pair_id(draw),
        category=t.category,
        stereotyped_group=draw.stereotyped_word,
        contrast_group=draw.contrast_word,
        correct_answer="yes",
        trigger_sentence=trigger,
        stereotyped=Half(draw.stereotyped_word, half_text(draw, True), "yes", True),
        contrast=Half(draw.contrast_word, half_text(draw, False), "yes", False),
        evidence_match="swap",
        source=Source("pytest-veto explore", t.question_index, template=t.id, drawn=draw.values()),
    )
