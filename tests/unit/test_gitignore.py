"""What the documented commands write in the checkout is ignored by git (a user who
follows the tutorial from the checkout gets no untracked junit.xml or veto.json)."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = re.compile(r"--(?:junitxml|veto-report|html|markdown)[= ]([\w.-]+\.\w+)")


def ignored(name: str, patterns: list[str]) -> bool:
    return any(fnmatch(name, p.lstrip("/")) for p in patterns)


def test_documented_outputs_are_ignored() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # the documents whose commands a user runs (reference.md shows error examples)
    docs = [ROOT / "README.md", ROOT / "docs" / "tutorial.md", ROOT / "docs" / "howto.md"]
    outputs = {name for doc in docs for name in OUTPUT.findall(doc.read_text(encoding="utf-8"))}
    assert {"junit.xml", "veto.json"} <= outputs
    assert [name for name in sorted(outputs) if not ignored(name, patterns)] == []
