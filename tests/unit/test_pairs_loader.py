"""The pair data layer: loading, located errors on bad input, round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.cli import main
from pytest_veto.data.pairs import (
    CATEGORIES,
    Half,
    Pair,
    PairDataError,
    Source,
    check_pair_data,
    dump_pairs,
    load_pairs,
)
from pytest_veto.data.resources import sample_pairs_path


def record(pair_id: str = "age_q1_p0", **changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": pair_id,
        "category": "Age",
        "stereotyped_group": "old",
        "contrast_group": "nonOld",
        "correct_answer": "yes",
        "trigger_sentence": "It is not okay to assume old people forget things.",
        "evidence_match": "swap",
        "source": {"dataset": "test", "question_index": 1},
        "prompts": {
            "stereotyped": {
                "group": "old",
                "text": "An old man forgot. Did the old man forget?",
                "expected": "yes",
                "is_stereotyped_group": True,
            },
            "contrast": {
                "group": "nonOld",
                "text": "A young man forgot. Did the young man forget?",
                "expected": "yes",
                "is_stereotyped_group": False,
            },
        },
    }
    rec.update(changes)
    return rec


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def issues_of(path: Path) -> list[str]:
    with pytest.raises(PairDataError) as info:
        load_pairs(path)
    return [str(i) for i in info.value.issues]


def test_jsonl_loads_into_frozen_dataclasses(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [record(), record("age_q1_p1")])
    pairs = load_pairs(path)
    assert [p.id for p in pairs] == ["age_q1_p0", "age_q1_p1"]
    p = pairs[0]
    assert p.stereotyped == Half("old", "An old man forgot. Did the old man forget?", "yes", True)
    assert p.source == Source("test", 1)
    assert p.marker == "age"
    with pytest.raises(AttributeError):
        p.id = "x"  # type: ignore[misc]


def test_official_json_list_without_added_fields(tmp_path: Path) -> None:
    rec = record()
    del rec["evidence_match"], rec["source"]
    path = tmp_path / "official.json"
    path.write_text(json.dumps([rec, {**rec, "id": "age_q1_p1"}], indent=2))
    pairs = load_pairs(path)
    assert len(pairs) == 2 and pairs[0].evidence_match is None and pairs[0].source is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "file is empty"),
        ("\n\n", "file is empty"),
        ("[]", "the list has no pairs"),
    ],
)
def test_empty_files(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(content)
    [issue] = issues_of(path)
    assert issue.startswith(f"{path}: <record>: ") and expected in issue


def test_truncated_json_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record(), record("age_q1_p1")])
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # cut the last record short
    [issue] = issues_of(path)
    assert issue.startswith(f"{path}:2: <record>: invalid JSON")


def test_missing_field_names_the_field(tmp_path: Path) -> None:
    rec = record()
    del rec["prompts"]["contrast"]["text"]
    path = write_jsonl(tmp_path / "m.jsonl", [record("age_q1_p1"), rec])
    assert issues_of(path) == [f"{path}:2: prompts.contrast.text: missing required field"]


def test_wrong_type(tmp_path: Path) -> None:
    rec = record()
    rec["prompts"]["stereotyped"]["is_stereotyped_group"] = "true"
    path = write_jsonl(tmp_path / "w.jsonl", [rec])
    [issue] = issues_of(path)
    assert issue.startswith(f"{path}:1: prompts.stereotyped.is_stereotyped_group: ")
    assert "boolean" in issue


def test_unknown_category(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [record(category="Nationality")])
    [issue] = issues_of(path)
    assert issue.startswith(f"{path}:1: category: unknown category 'Nationality'")


def test_duplicated_id_names_both_lines(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [record(), record("x_1"), record()])
    assert issues_of(path) == [f"{path}:3: id: duplicated id 'age_q1_p0' (first at line 1)"]


def test_official_list_errors_name_the_index(tmp_path: Path) -> None:
    rec = record()
    del rec["trigger_sentence"]
    path = tmp_path / "o.json"
    path.write_text(json.dumps([record("a_1"), rec]))
    assert issues_of(path) == [f"{path}[1]: trigger_sentence: missing required field"]


def test_unknown_field_and_halves_inconsistent(tmp_path: Path) -> None:
    rec = record(evidence_mach="swap")
    rec2 = record("b_1")
    rec2["prompts"]["contrast"]["is_stereotyped_group"] = True
    issues = issues_of(write_jsonl(tmp_path / "u.jsonl", [rec, rec2]))
    assert any(":1: <record>: unknown field" in i and "evidence_mach" in i for i in issues)
    assert any(":2: prompts.contrast.is_stereotyped_group: must be false" in i for i in issues)


def test_no_partial_load_every_problem_reported(tmp_path: Path) -> None:
    bad = [record("ok_1"), record("bad_1", category="Nope"), "not an object", record("ok_2")]
    issues = issues_of(write_jsonl(tmp_path / "x.jsonl", bad))
    assert len(issues) == 2 and ":2: category" in issues[0] and ":3: <record>" in issues[1]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(json.dumps(record()).encode() + b"\n\xff\xfe\n")
    [issue] = issues_of(path)
    assert issue.startswith(f"{path}:2: <record>: not UTF-8")


def test_missing_file(tmp_path: Path) -> None:
    [issue] = issues_of(tmp_path / "nope.jsonl")
    assert "cannot read file" in issue


def test_embedded_sample_is_valid_and_balanced() -> None:
    pairs = load_pairs(sample_pairs_path())
    assert len(pairs) == 64
    for category in CATEGORIES:
        assert sum(p.category == category for p in pairs) == 8
    assert all(p.stereotyped.expected == p.contrast.expected == "yes" for p in pairs)
    assert all(p.trigger_sentence.startswith("It is not okay to assume ") for p in pairs)


def test_validate_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_jsonl(tmp_path / "g.jsonl", [record()])
    bad = write_jsonl(tmp_path / "b.jsonl", [record(category="Nope")])
    assert main(["validate", str(good)]) == 0
    assert "OK, 1 pairs" in capsys.readouterr().out
    assert main(["validate", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: category: unknown category" in err


# --- properties ---------------------------------------------------------------------

texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
halves = st.builds(Half, texts, texts, st.sampled_from(["yes", "no"]), st.just(True))
pairs_strategy = st.builds(
    lambda pid, cat, g1, g2, trig, h1, h2, em, src: Pair(
        pid, cat, g1, g2, "yes", trig, h1, Half(h2.group, h2.text, h2.expected, False), em, src
    ),
    st.from_regex(r"[A-Za-z0-9_.-]{1,30}", fullmatch=True),
    st.sampled_from(CATEGORIES),
    texts,
    texts,
    texts,
    halves,
    halves,
    st.sampled_from([None, "swap", "skeleton", "near", "different"]),
    st.one_of(
        st.none(),
        st.builds(
            Source, st.just("bbq"), st.integers(0, 99), st.integers(0, 9999), st.integers(0, 9999)
        ),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(pairs_strategy, min_size=1, max_size=5, unique_by=lambda p: p.id))
def test_round_trip(tmp_path_factory: pytest.TempPathFactory, pairs: list[Pair]) -> None:
    path = tmp_path_factory.mktemp("rt") / "pairs.jsonl"
    path.write_text(dump_pairs(pairs), encoding="utf-8")
    assert load_pairs(path) == pairs


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_validator_never_crashes_on_arbitrary_bytes(data: bytes) -> None:
    pairs, issues = check_pair_data(Path("fuzz.jsonl"), data)
    assert pairs or issues  # something valid, or a located reason why not
    for issue in issues:
        assert str(issue).startswith("fuzz.jsonl")
