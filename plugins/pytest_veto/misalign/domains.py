"""The Mis-Align Bench taxonomy: three dimensions and the domain names of each.

The vocabulary (``fixtures/misalign/domains.json``) holds names only: safety domains
(BeaverTails harm categories), value domains (Schwartz values via ValueCompass) and
cultural domains (UNESCO Framework for Cultural Statistics) -- 15, 57 and 42 names as
used in the public SaVaCu prompt file, each dimension's count including an ``Unknown``
bucket for prompts the labeller could not place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pytest_veto.data.resources import fixtures_dir
from pytest_veto.misalign.schema import load_json

Dimension = Literal["safety", "value", "culture"]
DIMENSIONS: tuple[Dimension, Dimension, Dimension] = ("safety", "value", "culture")
#: The bucket of prompts that are in a dimension but could not be placed in a domain.
UNKNOWN = "Unknown"


def default_domains_path() -> Path:
    """The shipped vocabulary, ``fixtures/misalign/domains.json``."""
    return fixtures_dir() / "misalign" / "domains.json"


@dataclass(frozen=True)
class Vocabulary:
    """Domain names per dimension, in file order."""

    safety: tuple[str, ...]
    value: tuple[str, ...]
    culture: tuple[str, ...]

    def names(self, dimension: Dimension) -> tuple[str, ...]:
        """The domain names of one dimension."""
        names: tuple[str, ...] = getattr(self, dimension)
        return names

    def canonical(self, dimension: Dimension, name: str) -> str | None:
        """The vocabulary's spelling of ``name`` (matched ignoring case and outer spaces),
        or None when the dimension has no such domain."""
        return _folded(self)[dimension].get(name.strip().casefold())


@cache
def _folded(vocabulary: Vocabulary) -> dict[Dimension, dict[str, str]]:
    return {d: {n.casefold(): n for n in vocabulary.names(d)} for d in DIMENSIONS}


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Load and validate a vocabulary file (default: the shipped one)."""
    p = Path(path) if path is not None else default_domains_path()
    return _load(p.resolve())


@cache
def _load(path: Path) -> Vocabulary:
    record = load_json(path, "misalign_domains")
    return Vocabulary(*(tuple(record[d]) for d in DIMENSIONS))
