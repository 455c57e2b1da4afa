"""The public SaVaCu prompt file (Mis-Align Bench): loading with a column map, and dedup.

Needs ``<checkout>/../shared/data/misalign-bench/before_generation_count.csv`` (no licence
stated: read here, never copied into the repository); skips with a reason where absent.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pytest_veto.cli import main
from pytest_veto.misalign.domains import DIMENSIONS
from pytest_veto.misalign.items import ColumnMap, PromptRecord, load_prompts
from pytest_veto.misalign.neardup import dedup, dedup_brute_force
from pytest_veto.misalign.simhash import fingerprints

PUBLIC = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "misalign-bench"
    / "before_generation_count.csv"
)
RECORDS = 20_148
PHYSICAL_LINES = 41_102


@pytest.fixture(scope="module")
def prompts() -> list[PromptRecord]:
    if not PUBLIC.is_file():
        pytest.skip(
            f"SaVaCu prompt file not found at {PUBLIC}; it is shared test data "
            "outside the repository (see shared/data/misalign-bench/README.md)"
        )
    return load_prompts(PUBLIC, ColumnMap.savacu_prompts())


def test_all_records_load_with_the_savacu_column_map(prompts: list[PromptRecord]) -> None:
    assert len(prompts) == RECORDS
    assert [p.id for p in prompts[:3]] == ["1", "2", "3"]
    assert prompts[-1].line == PHYSICAL_LINES  # prompts span lines: physical numbering
    assert sum("\n" in p.prompt for p in prompts) > 0
    assert len({p.prompt for p in prompts}) == 19_978  # the README's unique prompts
    unlabelled = [p for p in prompts if all(p.domain(d) is None for d in DIMENSIONS)]
    assert len(unlabelled) == 604  # "None" in all three dimensions


def test_domain_labels_are_from_the_vocabulary(prompts: list[PromptRecord]) -> None:
    per_dimension = {d: Counter(p.domain(d) for p in prompts if p.domain(d)) for d in DIMENSIONS}
    assert all(per_dimension.values())
    assert per_dimension["safety"]["Non-violent unethical behavior"] > 0
    assert per_dimension["value"]["Health"] > per_dimension["value"]["Curiosity"]


def test_dedup_finds_near_duplicates_exactly(prompts: list[PromptRecord]) -> None:
    fps = fingerprints(p.prompt for p in prompts)
    result = dedup(fps)
    assert result.exact
    exact_copies = RECORDS - len({p.prompt for p in prompts})
    assert result.identical >= exact_copies  # same text, same fingerprint
    assert result.near > 0
    assert result.kept == RECORDS - result.identical - result.near
    print(
        f"\nSaVaCu prompts: {RECORDS} read, {result.identical} identical fingerprints "
        f"({exact_copies} identical texts), {result.near} near-duplicates "
        f"(Hamming <= 10), {result.kept} kept; {result.tables} tables, "
        f"{result.comparisons} checks"
    )
    sample = fps[:4_000]  # the bucketed search agrees with all pairs on real prompts
    assert dedup(sample).keep.tolist() == dedup_brute_force(sample).keep.tolist()


def test_dedup_command_on_the_public_file(tmp_path: Path, prompts: list[PromptRecord]) -> None:
    out = tmp_path / "kept.csv"
    assert main(["misalign", "dedup", str(PUBLIC), str(out)]) == 0
    kept = load_prompts(out, ColumnMap.savacu_prompts())
    assert 19_000 < len(kept) < RECORDS
    assert [p.prompt for p in kept[:1]] == [prompts[0].prompt]
