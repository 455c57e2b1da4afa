"""An exploration's report record as it crosses from a worker to the controller.

The record is plain data (``explore.search.Exploration.to_json``); the controller checks
the fields it reads before it counts the record, so a malformed one makes the case
broken (``gate.collector``) instead of crashing the gate. Light on purpose: the
controller imports it, and the search (hypothesis) loads only where exploration runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_veto.run.wire import WireError

#: the record's fields the controller reads, and their types
_RECORD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "template": str,
    "category": str,
    "examples": int,
    "errors": int,
    "informative": int,
    "calls": int,
    "misfires": list,
    "replayed": list,
}


def checked_record(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """An exploration record that crossed from a worker, checked (WireError otherwise)."""
    for name, kind in _RECORD_FIELDS.items():
        if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
            raise WireError(f"explore: field {name!r} is missing or not a {kind}")
    return data
