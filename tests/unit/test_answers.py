"""Parsing raw output into an answer (veto-spec section 3): order, whole words, case."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.backends.answer_text import first_json_answer, opens_thinking
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
        # the FIRST JSON answer wins, as the published parser reads it
        ('Format: {"answer": "yes"} or {"answer": "no"}. Final: {"answer": "no"}', "yes"),
        ('{"answer": "no"}\n...on reflection...\n{"answer": "yes"}', "no"),
        # thinking is not the answer: closed blocks removed, an unclosed one cut off
        ('<think>{"answer": "no"}</think>{"answer": "yes"}', "yes"),
        ("<THINK>surely no</THINK> Yes.", "yes"),
        ('<think>a</think>x<think>{"answer": "no"}</think>{"answer": "yes"}', "yes"),
        ('<think>\n\n</think>\n\n{"answer": "no"}', "no"),
        ('{"answer": "no"} <think>{"answer": "yes"}', "no"),
        ('<think>It says yes... {"answer": "yes"}', "unknown"),
        # a closing tag without an opening one is plain text
        ('so </think> {"answer": "no"}', "no"),
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
def test_a_first_json_answer_wins_over_any_text_after_it(noise: str) -> None:
    # whatever comes after (loose words, other JSON answers, thinking), the first decides
    assert parse_answer(f'{{"answer": "no"}}{noise}') == "no"
    assert parse_answer(f'{{"answer": "yes"}}{noise}') == "yes"


_PIECES = ('"answer": "yes"', '"answer": "no"', "<think>", "</think>", " ", "x", "yes", "no", '"')


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_a_prefix_with_a_json_answer_decides_the_whole_text(text: str) -> None:
    # the early stop of local generation relies on it: once a prefix has a first JSON
    # answer, every continuation parses to the same answer
    for cut in range(len(text) + 1):
        if first_json_answer(text[:cut]) is not None:
            assert parse_answer(text) == parse_answer(text[:cut])
            break


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxz .,!?\n"))  # no "y": no "yes" possible
def test_without_yes_a_whole_no_word_is_no(text: str) -> None:
    assert parse_answer(text + " no") == "no"
    assert parse_answer("yes " + text) == "yes"


def test_answers_lists_every_outcome() -> None:
    assert set(ANSWERS) == {"yes", "no", "unknown", "refused", "error"}


def test_a_prompt_ending_inside_a_think_block_is_seen() -> None:
    assert opens_thinking("<|im_start|>assistant\n<think>\n")
    assert not opens_thinking("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert not opens_thinking("<|im_start|>assistant\n")
