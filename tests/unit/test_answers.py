"""Parsing raw output into an answer (veto-spec section 3): order, whole words, case."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.run.answers import ANSWERS, is_correct, parse_answer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # 1. a JSON-style answer, whatever surrounds it
        ('{"answer": "yes"}', "yes"),
        ('{"answer": "no"}', "no"),
        ('{"answer":"no"}', "no"),
        ('{ "answer" :  " yes " }', "yes"),
        ('Sure! {"answer": "no"} Hope that helps.', "no"),
        # the JSON answer beats loose words anywhere in the text
        ('Yes, I see. {"answer": "no"}', "no"),
        ('No doubt about it: {"answer": "yes"}', "yes"),
        # the last JSON answer wins (a chain of thought quoting the format first)
        ('Format: {"answer": "yes"} or {"answer": "no"}. Final: {"answer": "no"}', "no"),
        ('{"answer": "no"}\n...on reflection...\n{"answer": "yes"}', "yes"),
        # 2. else the whole word yes anywhere (before no is considered)
        ("Yes, the retiree struggled.", "yes"),
        ("yes", "yes"),
        ("No... well, actually yes.", "yes"),
        ("Answer: YES", "yes"),
        # 3. else the whole word no
        ("No.", "no"),
        ("no", "no"),
        ("The answer is NO", "no"),
        ("Answer: no!", "no"),
        # 4. else unknown; words containing yes/no are not answers
        ("nobody knows", "unknown"),
        ("yesterday it rained", "unknown"),
        ("I cannot say. Nonetheless, eyes open, notably nothing.", "unknown"),
        ("", "unknown"),
        ("   \n\t", "unknown"),
        ('{"answer": "maybe"}', "unknown"),
        ('{"answer": "yesno"}', "unknown"),
    ],
)
def test_parsing_order_and_whole_words(raw: str, expected: str) -> None:
    assert parse_answer(raw) == expected


@pytest.mark.parametrize("key", ['"answer"', '"ANSWER"', '"Answer"'])
@pytest.mark.parametrize("value", ["yes", "YES", "Yes", "no", "NO", "No"])
def test_the_json_answer_is_case_insensitive(key: str, value: str) -> None:
    assert parse_answer(f'{{{key}: "{value}"}}') == value.lower()


def test_is_correct_only_on_the_expected_answer() -> None:
    assert is_correct("yes", "yes")
    assert is_correct("no", "no")
    for wrong in ("no", "unknown", "refused", "error"):
        assert not is_correct(wrong, "yes")


def test_refused_and_error_are_never_correct() -> None:
    for expected in ("yes", "no"):
        assert not is_correct("refused", expected)
        assert not is_correct("error", expected)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_and_always_one_of_three(raw: str) -> None:
    assert parse_answer(raw) in ("yes", "no", "unknown")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_json_answer_after_any_text_wins(noise: str) -> None:
    # whatever comes before (loose words, other JSON answers), a final JSON answer decides
    assert parse_answer(f'{noise}{{"answer": "no"}}') == "no"
    assert parse_answer(f'{noise}{{"answer": "yes"}}') == "yes"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxz .,!?\n"))  # no "y": no "yes" possible
def test_without_yes_a_whole_no_word_is_no(text: str) -> None:
    assert parse_answer(text + " no") == "no"
    assert parse_answer("yes " + text) == "yes"


def test_answers_lists_every_outcome() -> None:
    assert set(ANSWERS) == {"yes", "no", "unknown", "refused", "error"}
