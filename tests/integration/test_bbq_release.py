"""VETO pairs built from the real BBQ release: the spec's counts and the pair invariants.

Needs the shared BBQ folder beside the checkout (``<checkout>/../shared/data/bbq``);
skips with a reason where it is absent. The release is built once per module.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pytest_veto.cli import main
from pytest_veto.data.bbq.build import RELEASE_ORDER, build_pairs
from pytest_veto.data.pairs import CATEGORIES, Pair, load_pairs

BBQ = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bbq"

EXPECTED_COUNTS = {
    "Age": 360,
    "Disability_status": 181,
    "Gender_identity": 520,
    "Physical_appearance": 163,
    "Race_ethnicity": 230,
    "Religion": 150,
    "SES": 320,
    "Sexual_orientation": 108,
}
#: What our evidence rule gives; the spec's approximate counts are 1,311 / 293 / 364 / 64.
EXPECTED_EVIDENCE = {"swap": 1311, "skeleton": 293, "near": 365, "different": 63}


@pytest.fixture(scope="module")
def release() -> Path:
    missing = [c for c in CATEGORIES if not (BBQ / f"{c}.jsonl").is_file()]
    if missing:
        pytest.skip(
            f"BBQ release not found at {BBQ} (missing {', '.join(missing)}.jsonl); "
            "it lives in the shared data folder beside the checkout"
        )
    return BBQ


@pytest.fixture(scope="module")
def pairs(release: Path) -> list[Pair]:
    return build_pairs(release)


@pytest.fixture(scope="module")
def contexts(release: Path) -> dict[tuple[str, int], str]:
    """Every context of the 8 files by (category, example_id), read independently."""
    found: dict[tuple[str, int], str] = {}
    for category in CATEGORIES:
        with (release / f"{category}.jsonl").open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                found[(category, row["example_id"])] = row["context"]
    return found


def test_counts_per_category(pairs: list[Pair]) -> None:
    assert dict(Counter(p.category for p in pairs)) == EXPECTED_COUNTS
    assert len(pairs) == 2032


def test_categories_in_the_release_order(pairs: list[Pair]) -> None:
    categories = [p.category for p in pairs]
    order = [c for i, c in enumerate(categories) if i == 0 or categories[i - 1] != c]
    assert order == list(RELEASE_ORDER)


def test_ids_are_unique_well_formed_and_ordered(pairs: list[Pair]) -> None:
    assert len({p.id for p in pairs}) == len(pairs)
    previous: tuple[str, int, int] | None = None
    for p in pairs:
        match = re.fullmatch(r"([a-z]+)_q(\d+)_p(\d+)", p.id)
        assert match, p.id
        assert match.group(1) == p.category.lower().replace("_", "")
        assert p.source is not None and p.source.question_index == int(match.group(2))
        qi, i = int(match.group(2)), int(match.group(3))
        assert i < 20
        if previous is not None and previous[0] == p.category:
            # templates by numeric question_index, then i counting up from 0
            assert (qi, i) == (previous[1], previous[2] + 1) or (qi > previous[1] and i == 0)
        else:
            assert i == 0
        previous = (p.category, qi, i)


def test_both_halves_expect_yes(pairs: list[Pair]) -> None:
    for p in pairs:
        assert p.correct_answer == p.stereotyped.expected == p.contrast.expected == "yes"
        assert p.stereotyped.is_stereotyped_group and not p.contrast.is_stereotyped_group
        assert (p.stereotyped.group, p.contrast.group) == (p.stereotyped_group, p.contrast_group)


def test_each_text_starts_with_its_bbq_context(
    pairs: list[Pair], contexts: dict[tuple[str, int], str]
) -> None:
    for p in pairs:
        assert p.source is not None and p.source.dataset == "bbq"
        for half, eid in (
            (p.stereotyped, p.source.stereotyped_example_id),
            (p.contrast, p.source.contrast_example_id),
        ):
            assert eid is not None
            context = contexts[(p.category, eid)]
            assert half.text.startswith(context), p.id
            question = half.text[len(context) :].lstrip(".").strip()
            assert question.endswith("?") and question[0].isupper(), (p.id, question)


def test_every_question_and_trigger_has_its_rule_form(pairs: list[Pair]) -> None:
    """No question falls back to "Regarding ...", none of the triggers either (the release's
    wording, quirks included, is checked field by field in test_release_parity.py)."""
    for p in pairs:
        assert "Regarding " not in p.stereotyped.text and "Regarding " not in p.contrast.text
        assert p.trigger_sentence.startswith("It is not okay to assume ")
        assert p.trigger_sentence.endswith(".") and "the answer to" not in p.trigger_sentence


def test_known_quirks_are_kept(pairs: list[Pair]) -> None:
    race = {
        g
        for p in pairs
        if p.category == "Race_ethnicity"
        for g in (p.stereotyped_group, p.contrast_group)
    }
    assert not any(g.startswith(("M-", "F-")) for g in race)  # name-based templates dropped
    gender = {p.stereotyped_group for p in pairs if p.category == "Gender_identity"}
    # labelled with the templates' stereotyped groups, as the release does
    assert gender == {
        "F",
        "M",
        "transgender women, trans",
        "Transgender women, transgender men, trans",
    }


def test_evidence_match_counts(pairs: list[Pair]) -> None:
    assert dict(Counter(p.evidence_match for p in pairs)) == EXPECTED_EVIDENCE


def test_cli_writes_what_load_pairs_reads_back(
    release: Path, pairs: list[Pair], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "veto.jsonl"
    assert main(["build-pairs", "--bbq", str(release), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "total                 2032" in printed
    assert load_pairs(out) == pairs
