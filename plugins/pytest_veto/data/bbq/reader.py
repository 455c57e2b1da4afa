"""Reading and checking the BBQ category files that VETO pairs are built from (veto-spec 2).

``read_bbq(bbq_dir)`` reads the 8 category files (``category_files``) into ``BbqExample``s,
validating every row. Bad input is reported like bad pair data, as ``DataIssue``s naming
the file, line, field and reason; all issues of all files are collected, then
``BbqDataError`` is raised. :mod:`pytest_veto.data.bbq.build` applies the pair rule to the examples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_veto.data import jsonfile
from pytest_veto.data.pairs import CATEGORIES, DataError, DataIssue

#: Group labels that are never a contrast group (spec step 4), compared lower-cased.
UNKNOWN_LABELS = frozenset({"unknown", "can't be determined", "not answerable", ""})

_POLARITIES = ("neg", "nonneg")
_CONDITIONS = ("ambig", "disambig")
_ANSWER_KEYS = ("ans0", "ans1", "ans2")


class BbqDataError(DataError):
    """A BBQ folder is unusable; ``issues`` lists every problem found."""

    what = "BBQ data"


@dataclass(frozen=True)
class BbqExample:
    """The fields of one BBQ row that the pair rule and the prompt text need."""

    example_id: int
    question_index: int
    question_polarity: str
    context_condition: str
    category: str
    context: str
    question: str
    answers: tuple[str, str, str]
    answer_info: tuple[tuple[str, str], tuple[str, str], tuple[str, str]]
    stereotyped_groups: tuple[str, ...]
    label: int
    #: ``additional_metadata.subcategory``; "None" when absent or null (as the release reads it)
    subcategory: str = "None"

    @property
    def answer_text(self) -> str:
        """The text of the correct answer option, e.g. "The grandfather"."""
        return self.answers[self.label]

    @property
    def answer_group(self) -> str:
        """The group label of the correct answer, ``answer_info["ans<label>"][1]``."""
        return self.answer_info[self.label][1]

    @property
    def group_words(self) -> tuple[str, ...]:
        """The texts of the non-unknown answers: the words that name the two people."""
        return tuple(t for t, g in self.answer_info if g.lower() not in UNKNOWN_LABELS)


#: Stands for a field the record lacks (a JSON ``null`` is a value, and a wrong one).
_MISSING: Any = object()


class _Row:
    """Field access on one JSON record that records located issues instead of raising."""

    def __init__(self, record: dict[str, Any], path: str, line: int) -> None:
        self.record, self.path, self.line = record, path, line
        self.issues: list[DataIssue] = []

    def problem(self, field: str, reason: str) -> None:
        self.issues.append(DataIssue(self.path, f"line {self.line}", field, reason))

    def get(self, field: str, container: Any = None) -> Any:
        """The field's value, or _MISSING (reported) when the record lacks it."""
        parent = self.record if container is None else container
        if field.split(".")[-1] not in parent:
            self.problem(field, "missing required field")
            return _MISSING
        return parent[field.split(".")[-1]]

    def text(self, field: str, container: Any = None, *, empty: bool = True) -> str:
        value = self.get(field, container)
        if value is _MISSING:
            return ""
        if not isinstance(value, str):
            self.problem(field, f"expected a string, got {_describe(value)}")
            return ""
        if not empty and not value.strip():
            self.problem(field, "must not be empty")
        return value

    def integer(self, field: str, low: int, high: int | None = None) -> int:
        value = self.get(field)
        if value is _MISSING:
            return -1
        if field == "question_index" and isinstance(value, str) and value.isdecimal():
            value = int(value)  # BBQ stores the template number as a string
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(field, f"expected an integer, got {_describe(value)}")
            return -1
        if value < low or (high is not None and value > high):
            top = "" if high is None else f"..{high}"
            self.problem(field, f"{value} is out of range {low}{top}")
            return -1
        return value

    def choice(self, field: str, allowed: tuple[str, ...]) -> str:
        value = self.text(field)
        if value and value not in allowed:
            self.problem(field, f"{value!r} is not one of {list(allowed)}")
        return value


def _describe(value: Any) -> str:
    kind = {dict: "object", list: "list", bool: "boolean", type(None): "null"}
    return kind.get(type(value), type(value).__name__) + f" {json.dumps(value)[:40]}"


def parse_example(
    record: Any, path: str, line: int, category: str
) -> tuple[BbqExample | None, list[DataIssue]]:
    """Check one BBQ row; returns the example (None if invalid) and its issues."""
    if not isinstance(record, dict):
        reason = f"expected a JSON object, got {_describe(record)}"
        return None, [DataIssue(path, f"line {line}", "", reason)]
    row = _Row(record, path, line)
    example_id = row.integer("example_id", 0)
    question_index = row.integer("question_index", 0)
    polarity = row.choice("question_polarity", _POLARITIES)
    condition = row.choice("context_condition", _CONDITIONS)
    row_category = row.text("category")
    if row_category and row_category != category:
        row.problem("category", f"{row_category!r} does not match the file ({category})")
    context = row.text("context", empty=False)
    question = row.text("question", empty=False)
    answers = tuple(row.text(key) for key in _ANSWER_KEYS)
    label = row.integer("label", 0, 2)
    info = _answer_info(row)
    groups = _stereotyped_groups(row)
    subcategory = _subcategory(row)
    if row.issues:
        return None, row.issues
    example = BbqExample(
        example_id,
        question_index,
        polarity,
        condition,
        category,
        context,
        question,
        (answers[0], answers[1], answers[2]),
        (info[0], info[1], info[2]),
        groups,
        label,
        subcategory,
    )
    return example, []


def _answer_info(row: _Row) -> list[tuple[str, str]]:
    info = row.get("answer_info")
    if info is _MISSING:
        return []
    if not isinstance(info, dict):
        row.problem("answer_info", f"expected an object, got {_describe(info)}")
        return []
    entries: list[tuple[str, str]] = []
    for key in _ANSWER_KEYS:
        field = f"answer_info.{key}"
        entry = row.get(field, info)
        if entry is _MISSING:
            continue
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not all(isinstance(x, str) for x in entry)
        ):
            row.problem(field, f"expected [text, group label], got {_describe(entry)}")
            continue
        entries.append((entry[0], entry[1]))
    return entries


def _stereotyped_groups(row: _Row) -> tuple[str, ...]:
    meta = row.get("additional_metadata")
    if meta is _MISSING:
        return ()
    if not isinstance(meta, dict):
        row.problem("additional_metadata", f"expected an object, got {_describe(meta)}")
        return ()
    field = "additional_metadata.stereotyped_groups"
    groups = row.get(field, meta)
    if groups is _MISSING:
        return ()
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        row.problem(field, f"expected a list of strings, got {_describe(groups)}")
        return ()
    return tuple(groups)


def _subcategory(row: _Row) -> str:
    meta = row.record.get("additional_metadata")
    value = meta.get("subcategory") if isinstance(meta, dict) else None
    if value is None or value == "":
        return "None"
    if not isinstance(value, str):
        field = "additional_metadata.subcategory"
        row.problem(field, f"expected a string, got {_describe(value)}")
        return "None"
    return value


def read_category(path: Path, category: str) -> tuple[list[BbqExample], list[DataIssue]]:
    """Read and check one category file; returns its examples and every issue found."""
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], [DataIssue(name, "", "", f"missing category file ({category} is required)")]
    except OSError as exc:
        return [], [DataIssue(name, "", "", f"cannot read file: {exc.strerror}")]
    try:
        text = jsonfile.decode(data)  # a leading byte order mark is dropped
    except jsonfile.UserJsonError as exc:
        return [], [DataIssue(name, exc.location, "", exc.detail)]
    examples: list[BbqExample] = []
    # one reader of user JSON: depth and number limits, located errors, "\n" lines only
    records, bad = jsonfile.json_lines(text)
    issues = [DataIssue(name, exc.location, "", exc.detail) for exc in bad]
    first_line: dict[int, int] = {}
    for lineno, record in records:
        example, row_issues = parse_example(record, name, lineno, category)
        issues.extend(row_issues)
        if example is None:
            continue
        if example.example_id in first_line:
            issues.append(
                DataIssue(
                    name,
                    f"line {lineno}",
                    "example_id",
                    f"duplicated example_id {example.example_id} "
                    f"(first at line {first_line[example.example_id]})",
                )
            )
            continue
        first_line[example.example_id] = lineno
        examples.append(example)
    if not examples and not issues:
        issues.append(DataIssue(name, "", "", "file is empty: no BBQ rows"))
    return examples, issues


def category_files(bbq_dir: Path) -> list[Path]:
    """The 8 category files the builder reads, in the spec's order (they may not exist)."""
    return [bbq_dir / f"{category}.jsonl" for category in CATEGORIES]


def read_bbq(bbq_dir: Path) -> dict[str, list[BbqExample]]:
    """Read the 8 category files of a BBQ folder; raise BbqDataError on any problem."""
    if not bbq_dir.is_dir():
        reason = "not a folder" if bbq_dir.exists() else "no such folder"
        raise BbqDataError([DataIssue(str(bbq_dir), "", "", f"{reason}: expected a BBQ release")])
    by_category: dict[str, list[BbqExample]] = {}
    issues: list[DataIssue] = []
    for category, path in zip(CATEGORIES, category_files(bbq_dir), strict=True):
        examples, file_issues = read_category(path, category)
        by_category[category] = examples
        issues.extend(file_issues)
    if issues:
        raise BbqDataError(issues)
    return by_category
