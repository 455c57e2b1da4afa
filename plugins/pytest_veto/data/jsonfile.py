"""Reading JSON that users give us: every way it can fail is a located error.

Python's ``json`` module fails on some input without saying where: a document nested
deeper than the interpreter's recursion limit raises ``RecursionError``, an integer longer
than the int-string conversion limit (4,300 digits by default) a bare ``ValueError``. It
also accepts what is not JSON: ``NaN`` and ``Infinity``, and numbers like ``1e400`` that
become infinite. Every reader of a user's file (pair files, reports, Mis-Align items,
templates and column maps, priming variants, BBQ category files, the ``--veto-lens-from``
report) goes through this module, so each of these
is a :class:`UserJsonError` with the line and column where it happens, and nesting deeper
than :data:`MAX_DEPTH` is refused whatever the stack depth at the call, so what loads does
not depend on where it is loaded from.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any, Literal

#: Deepest nesting of lists and objects read; our formats need fewer than 10 levels.
MAX_DEPTH = 100

ErrorKind = Literal["encoding", "syntax", "limit", "constant"]

# one token of JSON text that matters for locating: a string (skipped whole, also when
# unterminated), an opening or closing bracket, a number or a non-finite constant
_TOKEN = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"?'
    r"|(?P<open>[\[{])|(?P<close>[\]}])"
    r"|(?P<value>-?(?:Infinity|\d+(?P<fraction>\.\d+)?(?P<exponent>[eE][-+]?\d+)?)|NaN)",
    re.DOTALL,
)


class UserJsonError(ValueError):
    """JSON text we cannot read; ``line`` and ``column`` are 1-based, 0 when unknown.

    ``kind``: ``encoding`` (not UTF-8), ``syntax`` (not JSON), ``limit`` (too deep, an
    integer too long, a number out of range) or ``constant`` (``NaN``, ``Infinity``).
    """

    def __init__(self, kind: ErrorKind, reason: str, line: int = 0, column: int = 0) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.line = line
        self.column = column

    @property
    def location(self) -> str:
        """``line N`` (or ``""`` when unknown), as ``DataIssue.location`` expects."""
        return f"line {self.line}" if self.line else ""

    @property
    def detail(self) -> str:
        """The reason, with the column for a limit or a constant (a line of 100,000
        ``[`` needs one; a syntax error's message is kept as Python words it)."""
        if self.kind in ("limit", "constant") and self.column:
            return f"{self.reason} (column {self.column})"
        return self.reason


class _Refused(Exception):
    """Raised from the parser's hooks: a literal we do not read (no position known)."""

    def __init__(self, kind: ErrorKind, reason: str, literal: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.literal = literal


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _Refused("limit", f"number out of range: {literal} is not a finite number", literal)
    return value


def _constant(name: str) -> float:
    raise _Refused("constant", f"{name} is not valid JSON", name)


def decode(data: bytes) -> str:
    """UTF-8 text without a leading byte order mark; UserJsonError at the line of the
    first byte that is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserJsonError("encoding", f"not UTF-8 text ({exc.reason})", line) from None
    return text.removeprefix("\ufeff")


def read(path: Path) -> Any:
    """The JSON document in a file (UTF-8, a byte order mark allowed); OSError when the
    file cannot be read, UserJsonError when it is not JSON we read."""
    return parse(decode(path.read_bytes()))


def parse(text: str) -> Any:
    """One JSON document; UserJsonError located in ``text`` when it is not one we read."""
    try:
        value = json.loads(text, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise UserJsonError("syntax", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except _Refused as exc:
        raise _located(text, exc.kind, exc.reason, _literal_offset(text, exc.literal)) from None
    except RecursionError:
        raise _too_deep(text) from None
    except ValueError:  # the only other one: an integer over the int-string conversion limit
        raise _too_long(text) from None
    if _deeper_than(value, MAX_DEPTH):
        raise _too_deep(text)
    return value


def json_lines(text: str) -> tuple[list[tuple[int, Any]], list[UserJsonError]]:
    """The values of a JSON Lines text, each with its 1-based line, and the lines that
    are not JSON. Lines are split on ``\\n`` only (``str.splitlines`` would also split
    inside a record at U+2028 and the like); blank lines are skipped."""
    values: list[tuple[int, Any]] = []
    errors: list[UserJsonError] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            values.append((lineno, parse(line)))
        except UserJsonError as exc:
            reason = exc.reason
            if exc.kind == "syntax":
                reason = reason.replace("invalid JSON:", "invalid JSON (truncated?):", 1)
            errors.append(UserJsonError(exc.kind, reason, lineno, exc.column))
    return values, errors


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` levels (iterative: no recursion)."""
    if not isinstance(value, (dict, list)):
        return False
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _too_deep(text: str) -> UserJsonError:
    """Where the nesting first goes past MAX_DEPTH (else, when the recursion limit came
    first under a deep call stack, the deepest point)."""
    depth, deepest, at = 0, 0, 0
    for match in _TOKEN.finditer(text):
        if match.group("open"):
            depth += 1
            if depth > deepest:
                deepest, at = depth, match.start()
            if depth > MAX_DEPTH:
                break
        elif match.group("close"):
            depth -= 1
    reason = f"nested too deeply: more than {MAX_DEPTH} levels of lists and objects"
    if deepest <= MAX_DEPTH:
        reason = f"nested too deeply to read here ({deepest} levels of lists and objects)"
    return _located(text, "limit", reason, at)


def _too_long(text: str) -> UserJsonError:
    limit = sys.get_int_max_str_digits()
    for match in _TOKEN.finditer(text):
        literal = match.group("value")
        if literal is None or match.group("fraction") or match.group("exponent"):
            continue
        digits = len(literal.lstrip("-"))
        if limit and digits > limit:
            reason = f"integer too long: {digits} digits, more than the {limit} Python reads"
            return _located(text, "limit", reason, match.start())
    return UserJsonError("limit", "integer too long")  # not found: cannot happen


def _literal_offset(text: str, literal: str) -> int:
    """Offset of the first number or constant token equal to ``literal`` (the parser
    reads in order, so it is the one it refused)."""
    for match in _TOKEN.finditer(text):
        if match.group("value") == literal:
            return match.start()
    return 0


def _located(text: str, kind: ErrorKind, reason: str, offset: int) -> UserJsonError:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return UserJsonError(kind, reason, line, column)
