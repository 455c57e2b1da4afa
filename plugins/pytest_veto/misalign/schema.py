"""Located data errors and JSON Schema validation shared by the Mis-Align Bench loaders.

Errors reuse :class:`pytest_veto.data.pairs.DataIssue` (``file:line: field: reason``), so the
VETO and Mis-Align loaders report problems alike.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, cast

from pytest_veto.data import jsonfile
from pytest_veto.data.pairs import DataError, DataIssue
from pytest_veto.data.resources import load_schema

__all__ = ["DataIssue", "MisalignDataError", "load_json", "schema_issues", "validator"]


class MisalignDataError(DataError):
    """A Mis-Align Bench file is invalid; ``issues`` lists every problem found."""

    what = "Mis-Align data"


@cache
def validator(name: str) -> Any:
    """A checked Draft 2020-12 validator for ``fixtures/schemas/<name>.schema.json``."""
    from jsonschema import Draft202012Validator

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_issues(
    name: str,
    record: Any,
    path: str,
    location: str,
    rename: Callable[[str], str] = str,
) -> list[DataIssue]:
    """Every violation of schema ``name`` by ``record``, located; ``rename`` maps a record
    field to the name the user wrote (a CSV column, say)."""
    issues: list[DataIssue] = []
    errors = sorted(validator(name).iter_errors(record), key=lambda e: list(map(str, e.path)))
    for err in errors:
        parts = [str(p) for p in err.absolute_path]
        reason = err.message
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            parts = [*parts, missing] if missing else parts
            reason = "missing required field"
        elif err.validator == "additionalProperties":
            reason = f"unknown field(s): {err.message}"
        elif err.validator == "enum":
            allowed = list(cast(list[Any], err.validator_value))
            reason = f"{err.instance!r} is not one of {allowed}"
        elif err.validator == "pattern" and err.validator_value == "\\S":
            reason = "must not be empty"
        if parts:
            parts[0] = rename(parts[0])
        issues.append(DataIssue(path, location, ".".join(parts), reason))
    return issues


def load_json(path: Path, schema: str) -> Any:
    """A JSON file's content, validated against ``schema``; MisalignDataError otherwise."""
    name = str(path)
    try:
        record = jsonfile.read(path)
    except OSError as exc:
        raise MisalignDataError(
            [DataIssue(name, "", "", f"cannot read file: {exc.strerror}")]
        ) from None
    except jsonfile.UserJsonError as exc:
        raise MisalignDataError([DataIssue(name, exc.location, "", exc.detail)]) from None
    issues = schema_issues(schema, record, name, "")
    if issues:
        raise MisalignDataError(issues)
    return record
