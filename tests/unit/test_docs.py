"""docs/reference.md documents every option the plugin registers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_plugin_option_is_in_the_reference(pytestconfig: pytest.Config) -> None:
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    group = pytestconfig._parser.getgroup("veto")  # the plugin's option group
    flags = [name for opt in group.options for name in opt.names() if name.startswith("--")]
    assert "--model" in flags and "--mar-max" in flags
    # the flag itself, not a longer one it prefixes (--veto-priming vs --veto-priming-dir)
    missing = [f for f in flags if not re.search(rf"`{re.escape(f)}[` =]", reference)]
    assert not missing, f"options not documented in docs/reference.md: {missing}"
