"""Where the shared benchmark data lives beside the checkout (present in CI, not on a
user's machine): tests that need it skip with a reason when it is absent."""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_BBQ = SHARED / "data" / "bbq"
SHARED_MISALIGN = SHARED / "data" / "misalign-bench"
