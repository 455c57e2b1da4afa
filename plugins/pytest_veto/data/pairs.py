"""VETO pairs: typed records, loading from JSON Lines or the official JSON list, validation.

Loading is all-or-nothing: every problem in a file is collected and reported with its
file, line (or list index), field and reason, and no pair is returned unless the whole
file is valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from pytest_veto.data import jsonfile
from pytest_veto.data.jsonfile import UserJsonError
from pytest_veto.data.resources import load_schema

CATEGORIES: tuple[str, ...] = (
    "Age",
    "Disability_status",
    "Gender_identity",
    "Physical_appearance",
    "Race_ethnicity",
    "Religion",
    "SES",
    "Sexual_orientation",
)

Answer = Literal["yes", "no"]
EvidenceMatch = Literal["swap", "skeleton", "near", "different"]
HalfName = Literal["stereotyped", "contrast"]
HALVES: tuple[HalfName, HalfName] = ("stereotyped", "contrast")


@dataclass(frozen=True)
class Half:
    """One side of a pair: the prompt text for one demographic group."""

    group: str
    text: str
    expected: Answer
    is_stereotyped_group: bool


@dataclass(frozen=True)
class Control:
    """A pair's control question (our addition, not part of the published protocol): the
    stereotyped half's context with its question asked about the OTHER person the context
    names, so the evidence says "no" (docs/explanation.md, "Control questions")."""

    #: the person asked about, as the answer option names them ("The grandson")
    asks_about: str
    #: that person's group label ("nonOld")
    group: str
    text: str
    expected: Answer = "no"


@dataclass(frozen=True)
class Source:
    """Where a built pair came from (absent in the official release)."""

    dataset: str
    question_index: int | None = None
    stereotyped_example_id: int | None = None
    contrast_example_id: int | None = None
    #: a pair found by exploring (``pytest-veto explore export``): its template's id and
    #: the drawn values (``explore.strategy.Draw.values``)
    template: str | None = None
    drawn: Mapping[str, Any] | None = field(default=None, hash=False)


@dataclass(frozen=True)
class Pair:
    """A VETO contrastive pair (veto-spec section 2)."""

    id: str
    category: str
    stereotyped_group: str
    contrast_group: str
    correct_answer: Answer
    trigger_sentence: str
    stereotyped: Half
    contrast: Half
    evidence_match: EvidenceMatch | None = None
    source: Source | None = None
    #: the release's note on where in BBQ the pair comes from (kept as it is)
    notes: str | None = None
    #: the control question, where the data has one (``build-pairs --controls``)
    control: Control | None = None

    def half(self, name: HalfName) -> Half:
        """The stereotyped or the contrast half."""
        return self.stereotyped if name == "stereotyped" else self.contrast

    @property
    def marker(self) -> str:
        """The pytest marker name of this pair's category, e.g. ``sexual_orientation``."""
        return category_marker(self.category)

    def to_record(self) -> dict[str, Any]:
        """The JSON record of this pair (the release's shape and field order, ``notes``
        included when present, then our two added fields, then ``prompts``)."""
        record: dict[str, Any] = {
            "id": self.id,
            "category": self.category,
            "stereotyped_group": self.stereotyped_group,
            "contrast_group": self.contrast_group,
            "correct_answer": self.correct_answer,
            "trigger_sentence": self.trigger_sentence,
        }
        if self.notes is not None:
            record["notes"] = self.notes
        if self.evidence_match is not None:
            record["evidence_match"] = self.evidence_match
        if self.source is not None:
            src: dict[str, Any] = {"dataset": self.source.dataset}
            for key in ("question_index", "stereotyped_example_id", "contrast_example_id"):
                value = getattr(self.source, key)
                if value is not None:
                    src[key] = value
            if self.source.template is not None:
                src["template"] = self.source.template
            if self.source.drawn is not None:
                src["drawn"] = dict(self.source.drawn)
            record["source"] = src
        if self.control is not None:
            c = self.control
            record["control"] = {
                "asks_about": c.asks_about,
                "group": c.group,
                "text": c.text,
                "expected": c.expected,
            }
        record["prompts"] = {name: _half_record(self.half(name)) for name in HALVES}
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Pair:
        """Build a pair from a record that already passed schema validation."""
        prompts = record["prompts"]
        src, control = record.get("source"), record.get("control")
        return cls(
            id=record["id"],
            category=record["category"],
            stereotyped_group=record["stereotyped_group"],
            contrast_group=record["contrast_group"],
            correct_answer=record["correct_answer"],
            trigger_sentence=record["trigger_sentence"],
            stereotyped=Half(**prompts["stereotyped"]),
            contrast=Half(**prompts["contrast"]),
            evidence_match=record.get("evidence_match"),
            source=Source(**src) if src is not None else None,
            notes=record.get("notes"),
            control=Control(**control) if control is not None else None,
        )


def _half_record(half: Half) -> dict[str, Any]:
    return {
        "group": half.group,
        "text": half.text,
        "expected": half.expected,
        "is_stereotyped_group": half.is_stereotyped_group,
    }


def category_marker(category: str) -> str:
    """Marker name for a category: lower-cased, e.g. ``Race_ethnicity`` -> ``race_ethnicity``."""
    return category.lower()


@dataclass(frozen=True)
class DataIssue:
    """One located problem in a data file."""

    path: str
    location: str  # "line 3" (JSON Lines) or "index 3" (JSON list) or "" (whole file)
    field: str  # dotted path into the record, "" for the record itself
    reason: str

    def __str__(self) -> str:
        """``file:line: field: reason`` (``file[index]`` for an entry of a JSON list)."""
        where = self.path
        if self.location.startswith("line "):
            where += ":" + self.location.removeprefix("line ")
        elif self.location.startswith("index "):
            where += "[" + self.location.removeprefix("index ") + "]"
        return f"{where}: {self.field or '<record>'}: {self.reason}"


class DataError(ValueError):
    """A data file is invalid; ``issues`` lists every problem found, located."""

    #: what the message calls the data
    what = "data"

    def __init__(self, issues: Sequence[DataIssue]) -> None:
        self.issues = tuple(issues)
        shown = "\n".join(str(i) for i in self.issues[:50])
        more = len(self.issues) - 50
        if more > 0:
            shown += f"\n... and {more} more"
        super().__init__(f"{len(self.issues)} problem(s) in {self.what}:\n{shown}")


class PairDataError(DataError):
    """A pair file is invalid; ``issues`` lists every problem found."""

    what = "pair data"


def _field_path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts)


def _schema_issues(record: Any, path: str, location: str) -> list[DataIssue]:
    validator = _validator()
    issues: list[DataIssue] = []
    errors = sorted(validator.iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))
    for err in errors:
        field = _field_path(err.absolute_path)
        reason = err.message
        if err.validator == "required":
            # name the missing field itself, not its parent
            missing = cast(str, err.message.split("'")[1]) if "'" in err.message else ""
            field = _field_path([*err.absolute_path, missing]) if missing else field
            reason = "missing required field"
        elif err.validator == "additionalProperties":
            reason = f"unknown field(s): {err.message}"
        elif err.validator == "enum":
            reason = f"{err.instance!r} is not one of {list(cast(list[Any], err.validator_value))}"
            if field == "category":
                reason = "unknown category " + reason
        issues.append(DataIssue(path, location, field, reason))
    return issues


_VALIDATOR: Any = None


def _validator() -> Any:
    global _VALIDATOR
    if _VALIDATOR is None:
        from jsonschema import Draft202012Validator

        schema = load_schema("veto_pair")
        Draft202012Validator.check_schema(schema)
        _VALIDATOR = Draft202012Validator(schema)
    return _VALIDATOR


def _records(path: Path, data: bytes) -> tuple[list[tuple[str, Any]], list[DataIssue]]:
    """Split a file into (location, parsed record) items; JSON list or JSON Lines."""
    name = str(path)
    try:
        text = jsonfile.decode(data)
    except UserJsonError as exc:
        return [], [DataIssue(name, exc.location, "", exc.detail)]
    if not text.strip():
        return [], [DataIssue(name, "", "", "file is empty: no pairs")]
    if text.lstrip().startswith("["):
        try:
            loaded = jsonfile.parse(text)
        except UserJsonError as exc:
            return [], [DataIssue(name, exc.location, "", exc.detail)]
        if not isinstance(loaded, list):
            return [], [DataIssue(name, "", "", "expected a JSON list of pair records")]
        if not loaded:
            return [], [DataIssue(name, "", "", "file is empty: the list has no pairs")]
        return [(f"index {i}", rec) for i, rec in enumerate(loaded)], []
    wrong = _one_object_issue(name, text)
    if wrong is not None:
        return [], [wrong]
    values, errors = jsonfile.json_lines(text)
    issues = [DataIssue(name, exc.location, "", exc.detail) for exc in errors]
    return [(f"line {lineno}", value) for lineno, value in values], issues


def _one_object_issue(name: str, text: str) -> DataIssue | None:
    """Why a file that is one JSON object is neither form (None: read it as JSON Lines):
    an object holding the list (``{"pairs": [...]}``), or one record over several lines."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        whole = jsonfile.parse(text)
    except UserJsonError:
        return None  # JSON Lines, or broken: read line by line, which locates the problem
    if not isinstance(whole, dict):
        return None
    expected = "expected a JSON list of pair records or JSON Lines (one record per line)"
    lists = [key for key, value in whole.items() if isinstance(value, list)]
    if lists and "prompts" not in whole:
        keys = ", ".join(repr(key) for key in list(whole)[:5]) + (", ..." if len(whole) > 5 else "")
        return DataIssue(
            name,
            "",
            "",
            f"a JSON object with key(s) {keys}: {expected}; "
            f"did you mean the list under {lists[0]!r}?",
        )
    lines = sum(1 for line in text.split("\n") if line.strip())
    if lines > 1:
        return DataIssue(name, "", "", f"one JSON object over {lines} lines: {expected}")
    return None


def check_pair_data(path: Path, data: bytes) -> tuple[list[Pair], list[DataIssue]]:
    """Parse and validate pair data; returns the pairs and every issue found."""
    name = str(path)
    items, issues = _records(path, data)
    pairs: list[Pair] = []
    seen: dict[str, str] = {}
    for location, record in items:
        rec_issues = _schema_issues(record, name, location)
        if rec_issues:
            issues.extend(rec_issues)
            continue
        pair = Pair.from_record(record)
        issues.extend(_semantic_issues(pair, name, location))
        if pair.id in seen:
            issues.append(
                DataIssue(
                    name, location, "id", f"duplicated id {pair.id!r} (first at {seen[pair.id]})"
                )
            )
        else:
            seen[pair.id] = location
        pairs.append(pair)
    issues.sort(key=_issue_order)  # parse errors and field errors, in file order
    return pairs, issues


def _issue_order(issue: DataIssue) -> int:
    number = issue.location.rpartition(" ")[2]
    return int(number) if number.isdigit() else -1


def _semantic_issues(pair: Pair, path: str, location: str) -> Iterator[DataIssue]:
    """Checks the schema cannot express: the halves must agree with the pair's fields."""
    if not pair.stereotyped.is_stereotyped_group:
        yield DataIssue(
            path,
            location,
            "prompts.stereotyped.is_stereotyped_group",
            "must be true on the stereotyped half",
        )
    if pair.contrast.is_stereotyped_group:
        yield DataIssue(
            path,
            location,
            "prompts.contrast.is_stereotyped_group",
            "must be false on the contrast half",
        )
    if pair.control is not None:
        same = [h for h in HALVES if pair.half(h).text == pair.control.text]
        if same:
            yield DataIssue(
                path,
                location,
                "control.text",
                f"the same text as the {same[0]} half: a control asks about the other person",
            )


def parse_trusted(path: Path, data: bytes) -> list[tuple[str, Pair]] | None:
    """Parse data already validated in this exact form (same bytes, same schema), skipping
    the per-record schema check; the pairs with their locations, or None if it does not
    parse cleanly (then validate it)."""
    items, issues = _records(path, data)
    if issues:
        return None
    try:
        return [(location, Pair.from_record(record)) for location, record in items]
    except (KeyError, TypeError, AttributeError):
        return None


def load_pairs(path: str | Path) -> list[Pair]:
    """Load a pair file (JSON Lines or the official JSON list); raise PairDataError if invalid."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise PairDataError(
            [DataIssue(str(p), "", "", f"cannot read file: {exc.strerror}")]
        ) from None
    pairs, issues = check_pair_data(p, data)
    if issues:
        raise PairDataError(issues)
    return pairs


def dump_pairs(pairs: Iterable[Pair]) -> str:
    """Serialise pairs as JSON Lines, deterministically (stable key order, UTF-8 kept)."""
    return "".join(json.dumps(p.to_record(), ensure_ascii=False) + "\n" for p in pairs)
