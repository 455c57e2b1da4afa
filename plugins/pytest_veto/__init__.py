"""pytest-veto: a pytest release gate for misfired alignment (the VETO benchmark).

Importing this package is cheap: torch, transformers and litellm load only when a
backend that needs them is chosen.
"""

from __future__ import annotations

__version__ = "0.1.0"

from pytest_veto.data.pairs import CATEGORIES, Half, Pair, PairDataError, Source, load_pairs

__all__ = [
    "CATEGORIES",
    "Half",
    "Pair",
    "PairDataError",
    "Source",
    "__version__",
    "load_pairs",
]
