"""The evidence_match tag: swap / skeleton / near / different."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_veto.data.bbq.evidence import (
    NEAR_RATIO,
    evidence_match,
    exchange_words,
    mask_words,
    similarity,
)

FRAME = "A {a} and a {b} met at the gym. The {a} dropped the weights, and the {b} laughed."


def ctx(a: str, b: str, frame: str = FRAME) -> str:
    return frame.format(a=a, b=b)


def test_exact_exchange_is_swap() -> None:
    words = ("baker", "pilot")
    assert evidence_match(ctx("baker", "pilot"), words, ctx("pilot", "baker"), words) == "swap"


def test_swap_reads_an_as_a_before_the_group_words() -> None:
    s = "I met a Danish woman and an Irish woman. The Irish woman was rude."
    c = "I met an Irish woman and a Danish woman. The Danish woman was rude."
    assert evidence_match(s, ("Danish", "Irish"), c, ("Danish", "Irish")) == "swap"


def test_an_elsewhere_is_not_ignored() -> None:
    s = "A baker and a pilot ate an apple. The baker choked."
    c = "A pilot and a baker ate a apple. The pilot choked."
    assert evidence_match(s, ("baker", "pilot"), c, ("baker", "pilot")) == "near"


def test_other_group_words_in_the_same_frame_is_skeleton() -> None:
    s, c = ctx("baker", "pilot"), ctx("nurse", "actor")
    assert evidence_match(s, ("baker", "pilot"), c, ("nurse", "actor")) == "skeleton"


def test_skeleton_ignores_the_order_of_mention() -> None:
    s = ctx("baker", "pilot")
    c = "A nurse and a actor met at the gym. The actor dropped the weights, and the nurse laughed."
    assert evidence_match(s, ("baker", "pilot"), c, ("nurse", "actor")) == "skeleton"


def test_a_few_other_words_is_near() -> None:
    s = ctx("baker", "pilot")
    c = ctx("pilot", "baker").replace("laughed", "giggled")
    assert evidence_match(s, ("baker", "pilot"), c, ("baker", "pilot")) == "near"


def test_a_doubled_space_is_near_not_swap() -> None:
    s, c = ctx("baker", "pilot"), ctx("pilot", "baker").replace(" met", "  met")
    assert evidence_match(s, ("baker", "pilot"), c, ("baker", "pilot")) == "near"


def test_other_wording_is_different() -> None:
    s = ctx("baker", "pilot")
    c = "Nobody at the gym expected the pilot to lift so much, but the baker never tried."
    assert evidence_match(s, ("baker", "pilot"), c, ("baker", "pilot")) == "different"


def test_swap_needs_two_words() -> None:
    s, c = ctx("baker", "pilot"), ctx("pilot", "baker")
    assert evidence_match(s, ("baker",), c, ("baker",)) != "swap"


def test_no_words_compares_whole_texts() -> None:
    assert evidence_match("Same text.", (), "Same text.", ()) == "skeleton"
    assert evidence_match("Same text.", (), "Totally other words here!", ()) == "different"


def test_exchange_is_simultaneous_whole_word_and_case_insensitive() -> None:
    text = "The old man and the young man: Old habits, older cars, an old-timer."
    assert exchange_words(text, "old", "young") == (
        "The young man and the old man: young habits, older cars, an old-timer."
    )


def test_exchange_prefers_the_longer_word() -> None:
    text = "The African American man and the African man."
    assert exchange_words(text, "African American", "African") == (
        "The African man and the African American man."
    )


def test_exchange_of_equal_words_is_identity() -> None:
    assert exchange_words("a b c", "b", "B") == "a b c"


def test_mask_words_masks_every_occurrence_and_keeps_possessives() -> None:
    masked = mask_words(
        "An Irish woman met Mary. Mary's dog barked at the Irish woman.", ["Irish", "Mary"]
    )
    assert "Irish" not in masked and "Mary" not in masked
    assert masked.startswith("A ") and "'s dog" in masked


def test_similarity_bounds() -> None:
    assert similarity("a b c d", "a b c d") == 1.0
    assert similarity("a b c d", "w x y z") == 0.0
    assert 0.0 < similarity("a b c d", "a b c e") < 1.0
    assert 0.5 < NEAR_RATIO < 1.0


def test_near_threshold_is_inclusive() -> None:
    # 22 shared tokens out of 25 on each side: ratio 0.88 exactly
    shared = " ".join(f"w{i}" for i in range(22))
    a, b = shared + " x1 x2 x3", shared + " y1 y2 y3"
    assert similarity(a, b) == pytest.approx(0.88)
    assert evidence_match(a, (), b, ()) == "near"
    assert evidence_match(a, (), shared + " y1 y2 y3 y4", ()) == "different"


WORD = st.text(alphabet="bcdfghjklm", min_size=3, max_size=8)


@given(st.lists(WORD, min_size=1, max_size=12), WORD, WORD)
def test_exchange_twice_is_identity(filler: list[str], first: str, second: str) -> None:
    if first == second or first in filler or second in filler:
        return
    text = " ".join([first, *filler, second, first])
    once = exchange_words(text, first, second)
    assert once != text
    assert exchange_words(once, first, second) == text
    assert evidence_match(text, (first, second), once, (first, second)) == "swap"
