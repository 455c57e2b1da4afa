"""Whether two paths name one file: what keeps an output from overwriting an input.

Used by the run's settings (``--veto-report``, ``--junitxml`` against ``--veto-data`` and
the other inputs) and by ``pytest-veto report`` (``--html``, ``--markdown`` against the
reports it reads).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

#: (how the user named it, e.g. ``--veto-report=r.json``; the path)
Named = tuple[str, Path]


def same_file(a: Path, b: Path) -> bool:
    """Do ``a`` and ``b`` name one file: the same once resolved (``./x`` and ``d/../x``,
    symbolic links), or, when both exist, the same file on disk (hard links, a
    case-insensitive file system)?"""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): only the resolved paths tell
        return False


def first_clash(outputs: Sequence[Named], inputs: Sequence[Named]) -> str | None:
    """One line naming the first output that is also an input or an earlier output
    (None: every output has a file of its own)."""
    for index, (name, path) in enumerate(outputs):
        for input_name, input_path in inputs:
            if same_file(path, input_path):
                return (
                    f"{name} is also {input_name}: writing it would overwrite the input; "
                    "write it to another file"
                )
        for other_name, other_path in outputs[:index]:
            if same_file(path, other_path):
                return (
                    f"{name} is also {other_name}: one would overwrite the other; "
                    "give each its own file"
                )
    return None
