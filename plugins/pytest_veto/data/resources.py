"""Where the project's shipped data (sample pairs, JSON Schemas, priming cues) lives."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

#: Override: another ``fixtures/`` folder (a test's, or data kept outside the install).
FIXTURES_ENV = "PYTEST_VETO_FIXTURES"


def fixtures_dir() -> Path:
    """The shipped ``fixtures/`` folder: ``pytest_veto/fixtures`` in an installed wheel; in
    a checkout, a link from ``plugins/pytest_veto/fixtures`` to the top-level ``fixtures/``
    (package data in ``pyproject.toml``)."""
    override = os.environ.get(FIXTURES_ENV)
    if override:
        return Path(override)
    # pytest_veto/data/resources.py -> pytest_veto/fixtures
    return Path(__file__).resolve().parents[1] / "fixtures"


def sample_pairs_path() -> Path:
    """The embedded default data set: our own original sample pairs."""
    return fixtures_dir() / "veto_sample.jsonl"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load ``fixtures/schemas/<name>.schema.json``."""
    path = fixtures_dir() / "schemas" / f"{name}.schema.json"
    try:
        with path.open(encoding="utf-8") as f:
            schema: dict[str, Any] = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path}: JSON Schema {name!r} not found; the pytest-veto install lacks its "
            f"package data (reinstall it) or {FIXTURES_ENV} names the wrong folder"
        ) from None
    return schema
