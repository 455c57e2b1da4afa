"""BBQ's generation templates: the CSV files BBQ was filled from, read into typed records.

A folder holds ``new_templates - <Category>.csv`` (one row per template), optionally
``new_templates - Filler_items.csv`` (whole filler contexts) and ``vocabulary.csv`` (the
group words of the categories whose templates have no ``Names`` column). Only the eight
VETO categories are read. Every problem is collected and reported with its file, line,
field and reason (``DataIssue``); nothing is returned unless every file is valid.

A template is usable for exploring when both sides of its answer can be filled: the
stereotyped words (the slot or vocabulary words whose label is one of the template's
``Known_stereotyped_groups``) and the contrast words (the other slot, or the rest of the
vocabulary). A valid template that cannot be filled (proper names only, a placeholder
we do not fill, no word on one side) is kept out with its reason in ``skipped``; it is
not an error, since BBQ has such templates on purpose.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pytest_veto.data.bbq.build import norm
from pytest_veto.data.pairs import CATEGORIES, DataError, DataIssue

TEMPLATE_FILE = "new_templates - {}.csv"
FILLER_FILE = "new_templates - Filler_items.csv"
VOCABULARY_FILE = "vocabulary.csv"

REQUIRED = (
    "Q_id",
    "Ambiguous_Context",
    "Disambiguating_Context",
    "Question_negative_stereotype",
    "Answer_negative",
    "Known_stereotyped_groups",
)
_PLACEHOLDER = re.compile(r"\{\{([A-Z]+\d*)\}\}")
_SLOT_LIST = re.compile(r"\s*\{*\s*(NAME\d|WORD\d)\s*\}*\s*:\s*\[([^\]]*)\]\s*;?")
GROUP_SLOTS = ("NAME1", "NAME2")


class TemplateDataError(DataError):
    """A template folder is invalid; ``issues`` lists every problem, located."""

    what = "BBQ template data"


@dataclass(frozen=True)
class BbqTemplate:
    """One template row: its texts with ``{{NAME1}}``/``{{NAME2}}``/``{{WORDn}}`` slots."""

    id: str  # "age_t1a": category, Q_id, version
    category: str
    question_index: int
    ambiguous: str
    disambiguating: str
    question: str  # the negative question, answered by ``answer`` in the full context
    answer: str  # e.g. "The {{NAME1}}"
    answer_slot: str  # "NAME1" or "NAME2": the person the evidence names
    stereotyped_groups: tuple[str, ...]
    #: words that put the answer's person in a stereotyped group (first = simplest)
    stereotyped_words: tuple[str, ...]
    #: words that put the answer's person in a non-stereotyped group
    contrast_words: tuple[str, ...]
    #: the wording slots (``WORD1`` ...) and their options, first = the template's own
    wordings: tuple[tuple[str, tuple[str, ...]], ...] = ()
    path: str = ""
    line: int = 0

    @property
    def other_slot(self) -> str:
        """The group slot of the person the evidence does not name."""
        return "NAME2" if self.answer_slot == "NAME1" else "NAME1"


@dataclass(frozen=True)
class FillerItem:
    """A filler context of BBQ (no slots), which exploring may put before a template's."""

    id: str
    category: str
    context: str


@dataclass(frozen=True)
class TemplateSet:
    """Every usable template of a folder, the filler items, and the templates left out."""

    folder: str
    templates: tuple[BbqTemplate, ...]
    fillers: tuple[FillerItem, ...] = ()
    #: (template id, reason) of valid templates that cannot be filled
    skipped: tuple[tuple[str, str], ...] = field(default=())


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row with the line it starts on (a quoted field may span lines)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            yield start, {k: (v or "") for k, v in row.items() if k is not None}


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f), [])


def parse_slot_lists(text: str) -> dict[str, tuple[str, ...]] | None:
    """``"NAME1: [a, b]; {{WORD1}}: [c]"`` -> ``{"NAME1": ("a", "b"), "WORD1": ("c",)}``;
    ``None`` when the text is not entirely such lists (an empty text gives ``{}``)."""
    found: dict[str, tuple[str, ...]] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _SLOT_LIST.match(text, pos)
        if m is None or m.end() == pos:
            return None
        values = tuple(v.strip().strip("\"'").strip() for v in m.group(2).split(","))
        if not all(values) or m.group(1) in found:
            return None
        found[m.group(1)] = values
        pos = m.end()
    return found


@dataclass(frozen=True)
class VocabularyWord:
    """A group word of ``vocabulary.csv``: the word, its subcategory and its group label
    (``Info``, e.g. ``lowSES`` for "cashier"; empty when the word is its own label)."""

    word: str
    subcategory: str = ""
    label: str = ""

    @property
    def group(self) -> str:
        """What the word is matched against the stereotyped groups by."""
        return self.label or self.word


def _vocabulary(folder: Path, issues: list[DataIssue]) -> dict[str, list[VocabularyWord]]:
    """Group words by category (rows marked ``Pilot_include = No`` left out)."""
    path = folder / VOCABULARY_FILE
    words: dict[str, list[VocabularyWord]] = {}
    if not path.exists():
        return words
    missing = {"Category", "Name"} - set(_header(path))
    if missing:
        issues.append(DataIssue(str(path), "line 1", ", ".join(sorted(missing)), "missing column"))
        return words
    for line, row in _rows(path):
        name = row["Name"].strip()
        if not name:
            issues.append(DataIssue(str(path), f"line {line}", "Name", "empty"))
        elif row.get("Pilot_include", "").strip().lower() != "no":
            word = VocabularyWord(name, row.get("SubCat", "").strip(), row.get("Info", "").strip())
            words.setdefault(row["Category"].strip(), []).append(word)
    return words


def _fillers(folder: Path, issues: list[DataIssue]) -> list[FillerItem]:
    path = folder / FILLER_FILE
    if not path.exists():
        return []
    missing = {"Q_id", "Category", "Context"} - set(_header(path))
    if missing:
        issues.append(DataIssue(str(path), "line 1", ", ".join(sorted(missing)), "missing column"))
        return []
    found = []
    for line, row in _rows(path):
        context = " ".join(row["Context"].split())
        if not context:
            issues.append(DataIssue(str(path), f"line {line}", "Context", "empty"))
        elif _PLACEHOLDER.search(context):
            issues.append(DataIssue(str(path), f"line {line}", "Context", "a filler has no slots"))
        else:
            found.append(FillerItem(f"filler_{row['Q_id'].strip()}", row["Category"], context))
    return found


def _sides(
    row: Mapping[str, str],
    names: Mapping[str, tuple[str, ...]],
    vocabulary: Sequence[VocabularyWord],
) -> tuple[tuple[str, ...], tuple[str, ...]] | str:
    """(stereotyped words, contrast words), or the reason the template cannot be filled."""
    stereo = {norm(g) for g in json.loads(row["Known_stereotyped_groups"])}
    if names:
        labels = {s: norm(row.get(f"{s}_info", "")) for s in GROUP_SLOTS}
        hits = [s for s in GROUP_SLOTS if labels[s] and labels[s] in stereo]
        if len(hits) != 1:
            return "the Names column's slot labels do not name exactly one stereotyped slot"
        other = "NAME2" if hits[0] == "NAME1" else "NAME1"
        return names[hits[0]], names[other]
    sub = row.get("Subcategory", "").strip()
    if sub and any(w.subcategory == sub for w in vocabulary):
        vocabulary = [w for w in vocabulary if w.subcategory == sub]
    elif any(w.subcategory for w in vocabulary):  # e.g. SES occupations: only by subcategory
        vocabulary = [w for w in vocabulary if not w.subcategory]
    s_words = tuple(w.word for w in vocabulary if norm(w.group) in stereo)
    c_words = tuple(w.word for w in vocabulary if norm(w.group) not in stereo)
    if not s_words or not c_words:
        return "no vocabulary word on one side of the stereotyped groups"
    return s_words, c_words


def _template(
    path: Path,
    line: int,
    row: dict[str, str],
    category: str,
    vocabulary: Sequence[VocabularyWord],
    issues: list[DataIssue],
) -> BbqTemplate | str | None:
    """One row: a template, a reason it is skipped, or ``None`` (its issues recorded)."""
    where = (str(path), f"line {line}")
    before = len(issues)
    qid = row["Q_id"].strip()
    if not qid.isdigit():
        issues.append(DataIssue(*where, "Q_id", f"{qid!r} is not a whole number"))
    try:
        groups = json.loads(row["Known_stereotyped_groups"])
        if not (isinstance(groups, list) and groups and all(isinstance(g, str) for g in groups)):
            raise ValueError
    except ValueError:
        issues.append(
            DataIssue(*where, "Known_stereotyped_groups", 'not a JSON list of strings: ["..."]')
        )
    lists: dict[str, dict[str, tuple[str, ...]]] = {}
    for column in ("Names", "Lexical_diversity"):
        parsed = parse_slot_lists(row.get(column, ""))
        if parsed is None and column == "Names" and row[column].strip().startswith('["'):
            parsed = {}  # the intersectional files' plain list; those templates are skipped
        if parsed is None:
            issues.append(DataIssue(*where, column, "not 'SLOT: [a, b]; SLOT: [c]' lists"))
        lists[column] = parsed or {}
    answer = row["Answer_negative"]
    in_answer = [s for s in GROUP_SLOTS if "{{" + s + "}}" in answer]
    if len(in_answer) != 1:
        issues.append(DataIssue(*where, "Answer_negative", "must name exactly one of NAME1, NAME2"))
    for column in REQUIRED[1:4]:
        if not row[column].strip():
            issues.append(DataIssue(*where, column, "empty"))
    if len(issues) > before:
        return None
    tid = f"{category.lower().replace('_', '')}_t{qid}{row.get('version', '').strip()}"
    if row.get("Proper_nouns_only", "").strip().upper() == "TRUE":
        return f"{tid}: proper names only"
    texts = [row[c] for c in ("Ambiguous_Context", "Disambiguating_Context")]
    texts += [row["Question_negative_stereotype"], answer]
    used = {p for t in texts for p in _PLACEHOLDER.findall(t)}
    words = lists["Lexical_diversity"]
    unknown = sorted(used - set(GROUP_SLOTS) - set(words))
    if unknown:
        return f"{tid}: placeholder(s) {', '.join(unknown)} we do not fill"
    sides = _sides(row, lists["Names"], vocabulary)
    if isinstance(sides, str):
        return f"{tid}: {sides}"
    s_words, c_words = sides
    return BbqTemplate(
        id=tid,
        category=category,
        question_index=int(qid),
        ambiguous=" ".join(row["Ambiguous_Context"].split()),
        disambiguating=" ".join(row["Disambiguating_Context"].split()),
        question=" ".join(row["Question_negative_stereotype"].split()),
        answer=answer.strip(),
        answer_slot=in_answer[0],
        stereotyped_groups=tuple(json.loads(row["Known_stereotyped_groups"])),
        stereotyped_words=s_words,
        contrast_words=c_words,
        wordings=tuple((k, v) for k, v in sorted(words.items()) if k in used),
        path=str(path),
        line=line,
    )


def load_templates(folder: Path) -> TemplateSet:
    """Read every VETO category's template file of ``folder`` (see the module docstring);
    ``TemplateDataError`` lists every problem found."""
    issues: list[DataIssue] = []
    vocabulary = _vocabulary(folder, issues)
    fillers = _fillers(folder, issues)
    templates: list[BbqTemplate] = []
    skipped: list[tuple[str, str]] = []
    paths = [(c, folder / TEMPLATE_FILE.format(c)) for c in CATEGORIES]
    if not any(p.exists() for _, p in paths):
        raise TemplateDataError(
            [DataIssue(str(folder), "", "", f"no '{TEMPLATE_FILE.format('<Category>')}' file")]
        )
    for category, path in paths:
        if not path.exists():
            continue
        missing = [c for c in REQUIRED if c not in _header(path)]
        if missing:
            issues.append(DataIssue(str(path), "line 1", ", ".join(missing), "missing column"))
            continue
        for line, row in _rows(path):
            got = _template(path, line, row, category, vocabulary.get(category, []), issues)
            if isinstance(got, BbqTemplate):
                templates.append(got)
            elif isinstance(got, str):
                tid, _, reason = got.partition(": ")
                skipped.append((tid, reason))
    # BBQ repeats a few Q_id/version rows: the later one is told apart by its line
    seen: set[str] = set()
    for i, t in enumerate(templates):
        if t.id in seen:
            templates[i] = replace(t, id=f"{t.id}_l{t.line}")
        seen.add(templates[i].id)
    if issues:
        raise TemplateDataError(issues)
    return TemplateSet(str(folder), tuple(templates), tuple(fillers), tuple(skipped))
