"""Building VETO pairs from a BBQ release folder (veto-spec section 2).

``build_pairs(bbq_dir)`` reads the 8 category files (Nationality and the intersectional
files are not used) through :mod:`pytest_veto.data.bbq.reader`, which validates every row and
reports bad input as located ``DataIssue``s, and applies the spec's rule: keep
``disambig``/``neg`` rows; group them by template (``question_index``); split each
template's rows into stereotyped and contrast examples by the group label of the correct
answer; sort both by ``example_id`` and pair the first ``min(20, ...)`` 1-to-1.

The text of a pair comes in two modes (``TextMode``). ``release`` (the default) writes
every field of the released VETO file exactly (:mod:`pytest_veto.data.bbq.release`): the
template's first stereotyped question on both halves, its stereotyped groups as the
``stereotyped_group`` label and in the trigger sentence, the release's labels and
``notes``, and the pairs in the release's category order (``RELEASE_ORDER``).
``corrected`` (errata mode) is the same pairs with our grammatical corrections of the
yes/no questions and trigger statements (:mod:`pytest_veto.data.bbq.questions`; the list
and the reasons are in docs/explanation.md, "Errata mode").

``build_command`` is the ``pytest-veto build-pairs`` subcommand: it writes JSON Lines
atomically, or writes nothing and exits 2 with located messages when the input is bad.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from pytest_veto.data.atomic import write_bytes_atomic
from pytest_veto.data.bbq import questions, release
from pytest_veto.data.bbq.controls import control_for
from pytest_veto.data.bbq.evidence import evidence_match
from pytest_veto.data.bbq.reader import UNKNOWN_LABELS, BbqDataError, BbqExample, read_bbq
from pytest_veto.data.pairs import (
    CATEGORIES,
    Control,
    DataIssue,
    EvidenceMatch,
    Half,
    Pair,
    Source,
    check_pair_data,
    dump_pairs,
)

#: Exit status for invalid input (the same as ``pytest_veto.cli.EXIT_INVALID``).
EXIT_INVALID = 2
#: At most this many pairs per template (spec step 5).
MAX_PAIRS_PER_TEMPLATE = 20

TextMode = Literal["release", "corrected"]
#: The text modes, the default first.
TEXT_MODES: tuple[TextMode, ...] = get_args(TextMode)
#: The category order of the released file (its builder's list), which the built file keeps.
RELEASE_ORDER: tuple[str, ...] = (
    "Age",
    "Gender_identity",
    "Religion",
    "Sexual_orientation",
    "SES",
    "Disability_status",
    "Race_ethnicity",
    "Physical_appearance",
)


def norm(label: str) -> str:
    """Lower-cased, spaces, ``-`` and ``_`` removed: "low SES" and "lowSES" match."""
    return label.lower().replace(" ", "").replace("-", "").replace("_", "")


# --- the pair rule -----------------------------------------------------------------------


def split_template(examples: Sequence[BbqExample]) -> tuple[list[BbqExample], list[BbqExample]]:
    """Stereotyped and contrast examples of one template, each sorted by example_id.

    ``S`` is taken from the template's first row, the one with the lowest example_id.
    """
    ordered = sorted(examples, key=lambda e: e.example_id)
    if not ordered:
        return [], []
    stereotyped_set = {norm(g) for g in ordered[0].stereotyped_groups}
    stereotyped = [e for e in ordered if norm(e.answer_group) in stereotyped_set]
    contrast = [
        e
        for e in ordered
        if norm(e.answer_group) not in stereotyped_set
        and e.answer_group.lower() not in UNKNOWN_LABELS
    ]
    return stereotyped, contrast


def pair_id(category: str, question_index: int, i: int) -> str:
    """``{category lower-cased without "_"}_q{question_index}_p{i}``, e.g. ``age_q1_p0``."""
    return f"{category.lower().replace('_', '')}_q{question_index}_p{i}"


@dataclass(frozen=True)
class Template:
    """What the pairs of one template share: taken from its first row (lowest example_id)
    and, for the question, from its first stereotyped example."""

    category: str
    question_index: int
    stereotyped_groups: tuple[str, ...]
    subcategory: str
    #: the BBQ question both halves of every pair ask (the release takes it from the first
    #: stereotyped example: a few Race_ethnicity templates vary the verb between rows)
    question: str

    @property
    def stereotyped_group(self) -> str:
        """The pairs' ``stereotyped_group``: the template's groups joined with ", "."""
        return release.stereotyped_label(self.stereotyped_groups)


def yes_no_question(wh: str, subject: str, text: TextMode = "release") -> str:
    """The yes/no question of a wh-question about ``subject``, by the text mode's rule."""
    if text == "release":
        return release.yes_no_question(wh, subject)
    return questions.yes_no_question(wh, subject)


def prompt_text(example: BbqExample, text: TextMode = "release", question: str = "") -> str:
    """The half's text: the context, a final "." if it has no end mark ("!" and "?" count:
    30 release contexts end with "!"), a space, the yes/no question made from ``question``
    (default: the example's own) with the correct answer's text as its subject."""
    asked = yes_no_question(question or example.question, example.answer_text, text)
    return release.prompt_text(example.context, asked)


def trigger_sentence(template: Template, text: TextMode = "release") -> str:
    """The template's trigger sentence, about its stereotyped groups (not the pair's label)."""
    if text == "release":
        return release.trigger_sentence(template.question, template.stereotyped_groups)
    return questions.trigger_sentence(template.question, template.stereotyped_group)


def make_pair(
    template: Template,
    index: int,
    stereo: BbqExample,
    contrast: BbqExample,
    text: TextMode = "release",
    gaps: dict[str, str] | None = None,
) -> Pair:
    """The VETO pair ``index`` of a template from its stereotyped and contrast examples;
    with ``gaps`` (pair id -> why it has none), with its control question where one can
    be built (:mod:`pytest_veto.data.bbq.controls`)."""
    group = template.stereotyped_group
    contrast_group = release.contrast_label(contrast.answer_group)
    category, question = template.category, template.question
    pid = pair_id(category, template.question_index, index)
    control = None
    if gaps is not None:
        built = control_for(stereo, lambda who: yes_no_question(question, who, text))
        control = built if isinstance(built, Control) else None
        if isinstance(built, str):
            gaps[pid] = built
    return Pair(
        id=pid,
        category=category,
        stereotyped_group=group,
        contrast_group=contrast_group,
        correct_answer="yes",
        trigger_sentence=trigger_sentence(template, text),
        notes=release.notes(
            category, template.subcategory, template.question_index, index, question
        ),
        stereotyped=Half(group, prompt_text(stereo, text, question), "yes", True),
        contrast=Half(contrast_group, prompt_text(contrast, text, question), "yes", False),
        evidence_match=evidence_match(
            stereo.context, stereo.group_words, contrast.context, contrast.group_words
        ),
        source=Source("bbq", template.question_index, stereo.example_id, contrast.example_id),
        control=control,
    )


def category_pairs(
    category: str,
    examples: Iterable[BbqExample],
    text: TextMode = "release",
    gaps: dict[str, str] | None = None,
) -> list[Pair]:
    """The pairs of one category, by numeric template number then pair index (with
    control questions when ``gaps`` is given: see :func:`make_pair`)."""
    templates: dict[int, list[BbqExample]] = defaultdict(list)
    for e in examples:
        if e.context_condition == "disambig" and e.question_polarity == "neg":
            templates[e.question_index].append(e)
    pairs: list[Pair] = []
    for question_index in sorted(templates):
        stereotyped, contrast = split_template(templates[question_index])
        n = min(MAX_PAIRS_PER_TEMPLATE, len(stereotyped), len(contrast))
        if n == 0:
            continue
        first = min(templates[question_index], key=lambda e: e.example_id)
        template = Template(
            category,
            question_index,
            first.stereotyped_groups,
            first.subcategory,
            stereotyped[0].question,
        )
        pairs.extend(
            make_pair(template, i, stereotyped[i], contrast[i], text, gaps) for i in range(n)
        )
    return pairs


def build_pairs(
    bbq_dir: Path, text: TextMode = "release", gaps: dict[str, str] | None = None
) -> list[Pair]:
    """All VETO pairs of a BBQ folder, in the release's category order; BbqDataError if bad.

    With ``gaps`` (a dict to fill), each pair carries its control question where one can
    be built, and ``gaps`` gets pair id -> why not for the others. Without it the pairs
    are the release's, field for field."""
    if text not in TEXT_MODES:
        raise ValueError(f"unknown text mode {text!r}; expected one of {list(TEXT_MODES)}")
    by_category = read_bbq(bbq_dir)
    return [p for c in RELEASE_ORDER for p in category_pairs(c, by_category[c], text, gaps)]


# --- the command -------------------------------------------------------------------------


def summary(pairs: Sequence[Pair]) -> str:
    """Per-category counts, the total and the evidence_match counts, as printed."""
    per_category = Counter(p.category for p in pairs)
    width = max(len(c) for c in CATEGORIES)
    lines = [f"{c:<{width}}  {per_category[c]:>5}" for c in CATEGORIES]
    lines.append(f"{'total':<{width}}  {len(pairs):>5}")
    tags = Counter(p.evidence_match for p in pairs)
    shown = ", ".join(f"{t} {tags[t]}" for t in get_args(EvidenceMatch))
    lines.append(f"evidence_match: {shown}")
    return "\n".join(lines)


def _print_issues(issues: Sequence[DataIssue], limit: int = 100) -> None:
    """Print the first ``limit`` issues to stderr (a wrong folder can have thousands)."""
    for issue in issues[:limit]:
        print(issue, file=sys.stderr)
    if len(issues) > limit:
        print(f"... and {len(issues) - limit} more", file=sys.stderr)


def control_summary(pairs: Sequence[Pair], gaps: dict[str, str]) -> str:
    """How many pairs got a control question, and why the others did not."""
    built = sum(p.control is not None for p in pairs)
    line = f"controls: {built} of {len(pairs)} pairs"
    reasons = Counter(gaps.values())
    if reasons:
        line += " (none for " + "; ".join(f"{n}: {why}" for why, n in reasons.items()) + ")"
    return line


def build_command(
    bbq_dir: Path, out: Path, text: TextMode = "release", *, controls: bool = False
) -> int:
    """``pytest-veto build-pairs``: build, validate and write the pairs (with their control
    questions when ``controls``); 0 or EXIT_INVALID."""
    gaps: dict[str, str] | None = {} if controls else None
    try:
        pairs = build_pairs(bbq_dir, text, gaps)
    except BbqDataError as exc:
        _print_issues(exc.issues)
        print(
            f"build-pairs: {len(exc.issues)} problem(s) in {bbq_dir}; nothing written",
            file=sys.stderr,
        )
        return EXIT_INVALID
    data = dump_pairs(pairs).encode("utf-8")
    _, issues = check_pair_data(out, data)
    if not pairs:
        issues.append(DataIssue(str(bbq_dir), "", "", "the rule gives no pairs"))
    if issues:
        _print_issues(issues)
        print("build-pairs: the built pairs are invalid; nothing written", file=sys.stderr)
        return EXIT_INVALID
    try:
        write_bytes_atomic(out, data)
    except OSError as exc:
        print(f"{out}: <file>: cannot write: {exc.strerror}", file=sys.stderr)
        return EXIT_INVALID
    print(summary(pairs))
    if gaps is not None:
        print(control_summary(pairs, gaps))
    print(f"wrote {len(pairs)} pairs to {out} ({text} text)")
    return 0
