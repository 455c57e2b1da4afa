"""Reading CSV, JSON Lines and plain-text files into located raw rows.

Every row keeps the physical line (counted in ``\\n``) where it starts, also when a CSV
field spans several lines, so later checks can point at ``file:line``. Problems are
collected as :class:`DataIssue` values; nothing is raised here.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pytest_veto.data import jsonfile
from pytest_veto.misalign.schema import DataIssue

TableFormat = Literal["csv", "jsonl", "text"]
FORMATS: tuple[TableFormat, ...] = ("csv", "jsonl", "text")
_SUFFIXES: dict[str, TableFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".txt": "text",
}
_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


@dataclass(frozen=True)
class Row:
    """One record of a table: its 1-based start line and its values by column (CSV: str;
    JSON Lines: any JSON value; text: the line under the column ``text``)."""

    line: int
    values: Mapping[str, object]

    @property
    def location(self) -> str:
        """``line N``, as :class:`DataIssue` expects."""
        return f"line {self.line}"


@dataclass(frozen=True)
class Table:
    """The rows of a file and the columns it declares (CSV header; else None)."""

    rows: tuple[Row, ...]
    columns: tuple[str, ...] | None


def guess_format(path: Path) -> TableFormat | None:
    """The format implied by a file name's suffix, or None."""
    return _SUFFIXES.get(path.suffix.lower())


def read_table(path: Path, data: bytes, fmt: TableFormat) -> tuple[Table, list[DataIssue]]:
    """Split ``data`` into rows; returns the table and the problems found."""
    name = str(path)
    try:
        text = jsonfile.decode(data)
    except jsonfile.UserJsonError as exc:
        return Table((), None), [DataIssue(name, exc.location, "", exc.detail)]
    if not text.strip():
        return Table((), None), [DataIssue(name, "", "", "file is empty: no records")]
    if fmt == "csv":
        return _csv(name, text)
    if fmt == "jsonl":
        return _jsonl(name, text)
    return _text(text), []


def _physical_lines(text: str) -> Iterator[str]:
    """Lines split on ``\\n`` only (``str.splitlines`` would also split at U+2028 etc.)."""
    for match in _LINES.finditer(text):
        yield match.group()


def _csv(name: str, text: str) -> tuple[Table, list[DataIssue]]:
    reader = csv.reader(_physical_lines(text), strict=True)
    issues: list[DataIssue] = []
    rows: list[Row] = []
    header: list[str] | None = None
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # a syntax error (an unclosed quote, NUL) leaves no safe place to resume
            issues.append(
                DataIssue(
                    name,
                    f"line {start}",
                    "",
                    f"CSV syntax error in the record starting here: {exc}",
                )
            )
            break
        line, start = start, reader.line_num + 1
        if not fields or fields == [""]:
            continue  # blank line
        if header is None:
            header = fields
            issues.extend(_header_issues(name, line, header))
            continue
        if len(fields) != len(header):
            issues.append(
                DataIssue(
                    name,
                    f"line {line}",
                    "",
                    f"record has {len(fields)} fields, the header has {len(header)}",
                )
            )
            continue
        rows.append(Row(line, dict(zip(header, fields, strict=True))))
    if header is None and not issues:
        issues.append(DataIssue(name, "", "", "file has no header"))
    elif header is not None and not rows and not issues:
        issues.append(DataIssue(name, "", "", "file has a header but no records"))
    return Table(tuple(rows), tuple(header) if header is not None else None), issues


def _header_issues(name: str, line: int, header: list[str]) -> list[DataIssue]:
    issues: list[DataIssue] = []
    seen: set[str] = set()
    for column in header:
        if not column.strip():
            issues.append(
                DataIssue(name, f"line {line}", "", "the header has an empty column name")
            )
        elif column in seen:
            issues.append(
                DataIssue(name, f"line {line}", column, "column name repeated in the header")
            )
        seen.add(column)
    return issues


def _jsonl(name: str, text: str) -> tuple[Table, list[DataIssue]]:
    values, errors = jsonfile.json_lines(text)
    issues = [DataIssue(name, exc.location, "", exc.detail) for exc in errors]
    rows: list[Row] = []
    for lineno, value in values:
        if isinstance(value, dict):
            rows.append(Row(lineno, value))
        else:
            issues.append(
                DataIssue(
                    name,
                    f"line {lineno}",
                    "",
                    f"expected a JSON object, got {type(value).__name__}",
                )
            )
    issues.sort(key=lambda issue: int(issue.location.removeprefix("line ")))
    return Table(tuple(rows), None), issues


def _text(text: str) -> Table:
    rows = [
        Row(lineno, {"text": line.rstrip("\r")})
        for lineno, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    ]
    return Table(tuple(rows), ("text",))
