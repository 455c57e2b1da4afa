"""Where pytest-veto keeps what it writes between runs (built pairs, converted models,
responses)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$PYTEST_VETO_CACHE_DIR``, else ``$XDG_CACHE_HOME/pytest-veto``, else
    ``~/.cache/pytest-veto`` (``--veto-cache-dir`` takes precedence in the plugin)."""
    env = os.environ if environ is None else environ
    if env.get("PYTEST_VETO_CACHE_DIR"):
        return Path(env["PYTEST_VETO_CACHE_DIR"]).expanduser()
    xdg = env.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # XDG: relative is ignored
    return base / "pytest-veto"
