"""Release parity: ``pytest-veto build-pairs`` writes the released VETO text, every field of
every pair, and its trigger variant sends the prompts of the release's trigger file.

Needs the shared data beside the checkout (``<checkout>/../shared/data/bbq`` and
``.../veto-release``, present in CI); skips with a reason where it is absent. Nothing
here is written outside pytest's temporary folders.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.cli import main
from pytest_veto.data.bbq.morphology import is_participle
from pytest_veto.data.dataset import load_dataset
from pytest_veto.data.pair_checks import PairDataWarning
from pytest_veto.data.pairs import CATEGORIES, HALVES, Pair, load_pairs
from pytest_veto.run.cases import Case, all_requests, requests_for
from pytest_veto.run.priming import select_variants
from pytest_veto.run.prompts import Condition
from tests.shared_data import SHARED, SHARED_BBQ

RELEASE = SHARED / "data" / "veto-release"
RELEASE_FILE = RELEASE / "prompt_pairs_bbq.json"
TRIGGER_FILE = RELEASE / "prompt_pairs_bbq_trigger.json"
#: Fields pytest-veto adds to the release's records.
OURS = ("evidence_match", "source")


@pytest.fixture(scope="module")
def shared() -> None:
    missing = [c for c in CATEGORIES if not (SHARED_BBQ / f"{c}.jsonl").is_file()]
    absent = [p.name for p in (RELEASE_FILE, TRIGGER_FILE) if not p.is_file()]
    if missing or absent:
        pytest.skip(
            f"shared VETO data not found beside the checkout (missing "
            f"{', '.join([*(f'{c}.jsonl' for c in missing), *absent])} under {SHARED / 'data'})"
        )


def build(tmp: Path, *text: str) -> list[dict[str, Any]]:
    out = tmp / "veto.jsonl"
    assert main(["build-pairs", "--bbq", str(SHARED_BBQ), "--out", str(out), *text]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def built(shared: None, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return build(tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="module")
def corrected(shared: None, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return build(tmp_path_factory.mktemp("corrected"), "--text=corrected")


@pytest.fixture(scope="module")
def release(shared: None) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(RELEASE_FILE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def trigger_file(shared: None) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(TRIGGER_FILE.read_text(encoding="utf-8"))
    return data


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record's fields, the halves' fields as ``prompts.<half>.<field>``."""
    fields = {k: v for k, v in record.items() if k != "prompts"}
    for half, values in record["prompts"].items():
        fields.update({f"prompts.{half}.{k}": v for k, v in values.items()})
    return fields


def differences(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per field, how many pairs differ and the first example (id, ours, theirs)."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[str, Any, Any]] = {}
    for mine, other in zip(ours, theirs, strict=True):
        a, b = flat(mine), flat(other)
        for field in sorted({*a, *b} - set(OURS)):
            if a.get(field) != b.get(field):
                counts[field] += 1
                first.setdefault(field, (other["id"], a.get(field), b.get(field)))
    return {field: (n, first[field]) for field, n in counts.items()}


def test_the_build_has_the_release_pairs_in_its_order(
    built: list[dict[str, Any]], release: list[dict[str, Any]]
) -> None:
    assert len(built) == len(release) == 2032
    assert [p["id"] for p in built] == [p["id"] for p in release]


def test_every_field_of_every_pair_equals_the_release(
    built: list[dict[str, Any]], release: list[dict[str, Any]]
) -> None:
    assert differences(built, release) == {}
    for mine, other in zip(built, release, strict=True):  # the release's fields, in its order
        assert [k for k in mine if k not in OURS] == list(other), other["id"]
        for half in HALVES:
            assert list(mine["prompts"][half]) == list(other["prompts"][half]), other["id"]


def test_the_release_file_loads_as_it_is(built: list[dict[str, Any]]) -> None:
    pairs = load_pairs(RELEASE_FILE)
    # the same pairs, less the two fields the release does not have
    mine = [replace(Pair.from_record(r), evidence_match=None, source=None) for r in built]
    assert pairs == mine


def test_the_trigger_file_is_the_release_with_the_trigger_before_the_stereotyped_half(
    release: list[dict[str, Any]], trigger_file: list[dict[str, Any]]
) -> None:
    for base, primed in zip(release, trigger_file, strict=True):
        stereotyped = primed["prompts"]["stereotyped"]
        assert (
            stereotyped["text"]
            == f"{base['trigger_sentence']} {base['prompts']['stereotyped']['text']}"
        )
        rest = {
            **primed,
            "prompts": {**primed["prompts"], "stereotyped": base["prompts"]["stereotyped"]},
        }
        assert rest == base


@pytest.mark.parametrize("condition", ["direct", "cot"])
def test_the_trigger_variant_sends_the_trigger_files_prompts(
    built: list[dict[str, Any]], condition: Condition
) -> None:
    """``--veto-priming=trigger`` on the built pairs asks what the release's trigger file
    asks unprimed: its prompts are the trigger variant's prompts."""
    [trigger] = select_variants(["trigger"])
    primed_file = {p.id: p for p in load_pairs(TRIGGER_FILE)}
    for record in built:
        pair = Pair.from_record(record)
        ours = requests_for(Case(pair, trigger), condition)
        theirs = requests_for(Case(primed_file[pair.id]), condition)
        for mine, other in zip(ours, theirs, strict=True):
            assert (mine.half, mine.messages, mine.expected) == (
                other.half,
                other.messages,
                other.expected,
            ), pair.id


@pytest.mark.parametrize("condition", ["direct", "cot"])
def test_a_run_on_the_release_file_and_on_the_bbq_folder_send_the_same_prompts(
    shared: None, tmp_path: Path, condition: Condition
) -> None:
    """``--veto-data=prompt_pairs_bbq.json`` and ``--veto-data=<bbq folder>`` (built and
    cached on the fly): the same cases, each with the same requests, base and trigger."""
    # the release repeats five SES pairs under a second id; the build keeps them (and warns)
    with pytest.warns(PairDataWarning, match="5 warning"):
        from_release = load_dataset(RELEASE_FILE, tmp_path)
    with pytest.warns(PairDataWarning, match="5 warning"):
        from_folder = load_dataset(SHARED_BBQ, tmp_path)
    assert [w.field for w in from_release.warnings] == [w.field for w in from_folder.warnings]
    assert from_folder.built_from == SHARED_BBQ and "veto-release-" in from_folder.path.name
    [trigger] = select_variants(["trigger"])
    for a, b in zip(from_release.pairs, from_folder.pairs, strict=True):
        for variant in (None, trigger):
            ours, theirs = Case(a, variant), Case(b, variant)
            assert ours.id == theirs.id
            assert all_requests(ours, condition) == all_requests(theirs, condition)


# --- errata mode -----------------------------------------------------------------------

_QUESTION = re.compile(r"(?:^|[.!?] )([A-Z][^.!?]*\?)$")


def question_of(text: str) -> str:
    found = _QUESTION.search(text)
    assert found, text
    return found.group(1)


def test_errata_mode_changes_only_questions_and_triggers(
    corrected: list[dict[str, Any]], release: list[dict[str, Any]]
) -> None:
    found = differences(corrected, release)
    assert set(found) <= {
        "trigger_sentence",
        "prompts.stereotyped.text",
        "prompts.contrast.text",
    }
    for mine, other in zip(corrected, release, strict=True):
        for half in HALVES:
            a, b = mine["prompts"][half]["text"], other["prompts"][half]["text"]
            assert a[: len(a) - len(question_of(a))] == b[: len(b) - len(question_of(b))]


def test_errata_mode_questions_carry_the_corrections(
    corrected: list[dict[str, Any]], release: list[dict[str, Any]]
) -> None:
    fixed: Counter[str] = Counter()
    for mine, other in zip(corrected, release, strict=True):
        for half in HALVES:
            question = question_of(mine["prompts"][half]["text"])
            before = question_of(other["prompts"][half]["text"])
            words = question.split()
            assert not words[0].endswith("n't"), question  # "not" goes after the subject
            assert "The" not in words[1:], question  # the determiner lower-cased
            if words[0] in ("Has", "Had"):  # only as an auxiliary: "Has X had ...", "cheated"
                assert any(is_participle(w) for w in words[2:5]), question
            fixed.update(w for w in ("Has", "Had", "Isn't", "Doesn't") if before.startswith(w))
    assert fixed["Has"] > 100 and fixed["Doesn't"] > 10  # the release has them to correct
