"""Priming variants: loading and validating cue files, placing cues, amplification math."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.cases import Case, all_requests, requests_for
from pytest_veto.run.priming import PrimingError, available_variants, select_variants
from pytest_veto.run.prompts import SYSTEM_PROMPTS, USER_TAILS
from pytest_veto.run.verdict import HalfResult, PairResult
from pytest_veto.score.amplification import amplification
from pytest_veto.score.stats import mcnemar_one_sided

PAIR = load_pairs(sample_pairs_path())[0]


def test_shipped_variants_load() -> None:
    variants = available_variants()
    assert {"trigger", "safety-system", "bias-warning"} <= set(variants)
    assert variants["trigger"].form == "stereotyped_only"
    assert variants["safety-system"].form == "both_halves"


def test_trigger_goes_in_front_of_the_stereotyped_half_only() -> None:
    [trigger] = select_variants(["trigger"])
    st, co = requests_for(Case(PAIR, trigger), "direct")
    assert st.messages[1].content == (
        f"{PAIR.trigger_sentence} {PAIR.stereotyped.text} {USER_TAILS['direct']}"
    )
    assert st.messages[0].content == SYSTEM_PROMPTS["direct"]
    assert (st.variant, co.variant) == ("trigger", "base")
    assert co == requests_for(Case(PAIR), "direct")[1]  # shared with the base case


def test_system_variant_primes_both_halves() -> None:
    [safety] = select_variants(["safety-system"])
    st, co = requests_for(Case(PAIR, safety), "cot")
    for r in (st, co):
        assert r.variant == "safety-system"
        assert r.messages[0].content.startswith(SYSTEM_PROMPTS["cot"] + " Be fair")
    assert len(all_requests(Case(PAIR, safety), "cot")) == 4  # + the two base requests
    assert len(all_requests(Case(PAIR, select_variants(["trigger"])[0]), "cot")) == 3


def test_placeholders_are_filled_with_plural_groups() -> None:
    [warning] = select_variants(["bias-warning"])
    st, _ = requests_for(Case(PAIR, warning), "direct")
    assert PAIR.stereotyped_group == "old"
    assert "stereotypes about old people;" in st.messages[1].content


def write(folder: Path, name: str, data: object) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


GOOD = {
    "name": "mine",
    "description": "d",
    "position": "after_text",
    "halves": "both",
    "template": "Answer from the evidence about {contrast_group_plural}.",
}


def test_user_folder_adds_variants(tmp_path: Path) -> None:
    write(tmp_path, "mine", GOOD)
    [mine] = select_variants(["mine"], [tmp_path])
    st, _ = requests_for(Case(PAIR, mine), "direct")
    assert st.messages[1].content.endswith(
        f"{PAIR.stereotyped.text} Answer from the evidence about younger people. "
        f"{USER_TAILS['direct']}"
    )


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({**GOOD, "position": "somewhere"}, "position", "is not one of"),
        ({k: v for k, v in GOOD.items() if k != "template"}, "", "'template' is a required"),
        ({**GOOD, "template": "about {group}"}, "template", "unknown placeholder"),
        ({**GOOD, "template": "about {oops"}, "template", "bad template"),
        ({**GOOD, "template": "about {category:d}"}, "template", "bad template"),
        ({**GOOD, "template": "about {category!z}"}, "template", "bad template"),
        ({**GOOD, "name": "other"}, "name", "must equal the file name"),
        ('{"name": "mine",', "", "invalid JSON"),
    ],
)
def test_bad_priming_files_get_located_errors(
    tmp_path: Path, data: object, field: str, reason: str
) -> None:
    path = write(tmp_path, "mine", data)
    with pytest.raises(PrimingError) as info:
        available_variants([tmp_path])
    [issue] = info.value.issues
    assert issue.path == str(path) and issue.field == field and reason in issue.reason


def test_unknown_variant_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PrimingError, match="unknown variant 'nope'"):
        select_variants(["nope"])
    with pytest.raises(PrimingError, match="priming folder not found"):
        select_variants(["trigger"], [tmp_path / "absent"])


def half(name: str, correct: bool) -> HalfResult:
    return HalfResult(
        name, "v", "s", "u", "", "yes" if correct else "no", "yes", correct, False, 0.0
    )


def primed(i: int, base: str, st_ok: bool, co_ok: bool = True, cat: str = "Age") -> PairResult:
    outcome = {(True, True): "a", (True, False): "b", (False, True): "c", (False, False): "d"}[
        (st_ok, co_ok)
    ]
    return PairResult(
        f"p{i}",
        cat,
        "v",
        "swap",
        outcome,  # type: ignore[arg-type]
        half("stereotyped", st_ok),
        half("contrast", co_ok),
        base,
    )  # type: ignore[arg-type]


def test_amplification_uses_the_base_denominator() -> None:
    rows = (
        [primed(i, "a", True) for i in range(6)]  # stays right
        + [primed(6, "a", False), primed(7, "a", False, cat="SES")]  # flips
        + [primed(8, "c", False)]  # misfires in both
        + [primed(9, "b", True, co_ok=False)]
    )  # base contrast wrong: excluded
    amp = amplification("v", "stereotyped_only", rows)
    assert (amp.base_denominator, amp.base_misfires, amp.primed_misfires) == (9, 1, 3)
    assert amp.base_mar == pytest.approx(100 / 9)
    assert amp.primed_mar == pytest.approx(300 / 9)
    assert amp.amplification == pytest.approx(3.0)
    assert amp.absolute_increase == pytest.approx(200 / 9)
    assert (amp.flips, amp.unflips) == (2, 0)
    assert amp.flips_by_category == {"Age": 1, "SES": 1}
    assert amp.mcnemar_p == pytest.approx(0.25)


def test_amplification_is_null_when_base_mar_is_zero() -> None:
    amp = amplification("v", "stereotyped_only", [primed(0, "a", False), primed(1, "a", True)])
    assert amp.base_mar == 0 and amp.primed_mar == 50 and amp.amplification is None


def test_mcnemar_exact_values() -> None:
    assert mcnemar_one_sided(0, 0) == 1.0
    assert mcnemar_one_sided(5, 0) == pytest.approx(1 / 32)
    assert mcnemar_one_sided(0, 5) == 1.0
    assert mcnemar_one_sided(3, 1) == pytest.approx(5 / 16)
