"""Where the project's shipped data (sample pairs, JSON Schemas, priming cues) lives."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

#: Override for installs where the ``fixtures/`` folder is not beside the package.
FIXTURES_ENV = "PYTEST_VETO_FIXTURES"


def fixtures_dir() -> Path:
    """The ``fixtures/`` folder of the checkout this package was installed from."""
    override = os.environ.get(FIXTURES_ENV)
    if override:
        return Path(override)
    # plugins/pytest_veto/data/resources.py -> <checkout>/fixtures
    return Path(__file__).resolve().parents[3] / "fixtures"


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
            f"{path}: JSON Schema {name!r} not found; pytest-veto must be installed from a "
            f"checkout (pip install -e .) or {FIXTURES_ENV} must name the fixtures folder"
        ) from None
    return schema
