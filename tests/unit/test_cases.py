"""Case ids: a pair under a variant has a node id no other case can have."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import fixtures_dir, sample_pairs_path
from pytest_veto.run.cases import VARIANT_SEPARATOR, Case
from pytest_veto.run.priming import available_variants, select_variants

PAIR = load_pairs(sample_pairs_path())[0]
[TRIGGER] = select_variants(["trigger"])


def _pattern(schema: str, *keys: str) -> str:
    node = json.loads((fixtures_dir() / "schemas" / schema).read_text(encoding="utf-8"))
    for key in keys:
        node = node[key]
    assert isinstance(node, str)
    return node


def test_an_unprimed_case_is_the_pair_id_and_a_primed_one_adds_the_variant() -> None:
    assert Case(PAIR).id == PAIR.id
    assert Case(PAIR, TRIGGER).id == f"{PAIR.id}+trigger"


def test_a_primed_case_never_shares_an_id_with_a_pair_whose_id_ends_in_the_variant() -> None:
    """Pair ``x`` under ``trigger`` and pair ``x-trigger`` unprimed were both ``x-trigger``."""
    other = replace(PAIR, id=f"{PAIR.id}-trigger")
    ids = [Case(p, v).id for p in (PAIR, other) for v in (None, TRIGGER)]
    assert len(set(ids)) == 4, ids


def test_the_separator_is_in_neither_a_pair_id_nor_a_variant_name() -> None:
    """The ids are unambiguous because the schemas forbid the separator on both sides."""
    pair_id = _pattern("veto_pair.schema.json", "properties", "id", "pattern")
    variant = _pattern("priming.schema.json", "properties", "name", "pattern")
    for pattern in (pair_id, variant):
        assert re.fullmatch(pattern, f"a{VARIANT_SEPARATOR}b") is None, pattern
        assert re.fullmatch(pattern, "a-b"), pattern  # the patterns are what we think
    for name in available_variants():
        assert VARIANT_SEPARATOR not in name


def test_every_sample_case_id_is_unique_under_every_shipped_variant() -> None:
    pairs = load_pairs(sample_pairs_path())
    variants = list(available_variants().values())
    ids = [Case(p, v).id for p in pairs for v in (None, *variants)]
    assert len(ids) == len(set(ids)) == len(pairs) * (1 + len(variants))
