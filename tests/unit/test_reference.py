"""Reference models: the name grammar, determinism, nested rates, priming, raw text."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.backends.protocol import PromptRequest
from pytest_veto.backends.reference import (
    REFUSAL_TEXT,
    ReferenceModel,
    ReferenceNameError,
    uniform,
)
from pytest_veto.run.answers import parse_answer
from pytest_veto.run.prompts import build_messages

IDS = [f"age_q{q}_p{i}" for q in range(1, 6) for i in range(40)]


def request(
    pair_id: str = "age_q1_p0",
    half: str = "stereotyped",
    variant: str = "base",
    condition: str = "direct",
    expected: str = "yes",
) -> PromptRequest:
    return PromptRequest(
        pair_id=pair_id,
        half=half,
        variant=variant,
        messages=build_messages("Did the old man forget?", condition),  # type: ignore[arg-type]
        expected=expected,
    )


def answer(model: ReferenceModel, **kw: str) -> str:
    c = model.answer(request(**kw))
    return c.status if c.status != "ok" else parse_answer(c.text)


def selected(
    model: ReferenceModel, ids: list[str], half: str = "stereotyped", variant: str = "base"
) -> set[str]:
    """Pairs on which the model does not answer the expected 'yes' on this half."""
    return {i for i in ids if answer(model, pair_id=i, half=half, variant=variant) != "yes"}


# --- the name grammar --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "rate", "primed", "seed"),
    [
        ("reference/evidence-reader", "evidence-reader", 0.0, None, 0),
        ("reference/coin", "coin", 0.0, None, 0),
        ("reference/misfire:0.1", "misfire", 0.1, None, 0),
        ("reference/bias:0.5", "bias", 0.5, None, 0),
        ("reference/refuser:0.2", "refuser", 0.2, None, 0),
        ("reference/error:1", "error", 1.0, None, 0),
        ("reference/misfire:0", "misfire", 0.0, None, 0),
        ("reference/misfire:0.25,seed=3", "misfire", 0.25, None, 3),
        ("reference/misfire:0.1,primed=0.6", "misfire", 0.1, 0.6, 0),
        ("reference/misfire:0.1,primed=0.6,seed=-2", "misfire", 0.1, 0.6, -2),
    ],
)
def test_names_parse(name: str, kind: str, rate: float, primed: float | None, seed: int) -> None:
    m = ReferenceModel.from_name(name)
    assert (m.kind_name, m.rate, m.primed_rate, m.seed) == (kind, rate, primed, seed)
    assert m.model == name and m.kind == "reference"
    assert m.capabilities == frozenset()


def test_the_run_seed_is_the_default_and_the_name_overrides_it() -> None:
    assert ReferenceModel.from_name("reference/misfire:0.1", seed=7).seed == 7
    assert ReferenceModel.from_name("reference/misfire:0.1,seed=3", seed=7).seed == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("reference/oracle", "unknown reference model 'oracle'"),
        ("reference/", "unknown reference model ''"),
        ("reference/misfire", "needs a rate"),
        ("reference/bias", "needs a rate"),
        ("reference/refuser", "needs a rate"),
        ("reference/error", "needs a rate"),
        ("reference/misfire:abc", "rate 'abc' is not a number"),
        ("reference/misfire:1.5", "must be within [0, 1]"),
        ("reference/misfire:-0.1", "must be within [0, 1]"),
        ("reference/misfire:nan", "must be within [0, 1]"),
        ("reference/misfire:0.1,seed", "is not key=value"),
        ("reference/misfire:0.1,", "is not key=value"),
        ("reference/misfire:0.1,seed=x", "seed must be an integer"),
        ("reference/misfire:0.1,primed=2", "must be within [0, 1]"),
        ("reference/misfire:0.1,temperature=1", "unknown option 'temperature'"),
        # a rate or option that would be ignored, or that is given twice
        ("reference/evidence-reader:0.5", "reference/evidence-reader takes no rate"),
        ("reference/coin:0.3", "reference/coin takes no rate"),
        ("reference/coin,primed=0.3", "reference/coin takes no primed rate"),
        ("reference/misfire:0.1,seed=1,seed=2", "option 'seed' given twice"),
        ("reference/misfire:0.1,primed=0.2,primed=0.3", "option 'primed' given twice"),
    ],
)
def test_bad_names_are_rejected_with_the_reason(name: str, message: str) -> None:
    with pytest.raises(ReferenceNameError) as info:
        ReferenceModel.from_name(name)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


# --- determinism ---------------------------------------------------------------------


def test_uniform_is_sha256_of_the_joined_parts() -> None:
    digest = hashlib.sha256(b"0|age_q1_p0").digest()
    assert uniform(0, "age_q1_p0") == int.from_bytes(digest[:8], "big") / 2**64
    assert 0.0 <= uniform("x") < 1.0


def test_answers_are_deterministic_across_instances() -> None:
    for name in ("reference/misfire:0.3", "reference/coin", "reference/bias:0.4"):
        one, two = ReferenceModel.from_name(name), ReferenceModel.from_name(name)
        reqs = [request(pair_id=i, half=h) for i in IDS for h in ("stereotyped", "contrast")]
        assert one.complete(reqs) == two.complete(reqs)
        assert one.complete(reqs) == one.complete(reqs)


def test_the_seed_changes_which_pairs_are_selected() -> None:
    a = selected(ReferenceModel.from_name("reference/misfire:0.3,seed=0"), IDS)
    b = selected(ReferenceModel.from_name("reference/misfire:0.3,seed=1"), IDS)
    assert a != b


def test_selection_is_uniform_by_pair_id_and_seed() -> None:
    m = ReferenceModel.from_name("reference/misfire:0.3,seed=5")
    assert selected(m, IDS) == {i for i in IDS if uniform(5, i) < 0.3}
    # about 30% of 200 pairs (loose bounds: a broken draw gives 0 or 200)
    assert 30 <= len(selected(m, IDS)) <= 90


@settings(max_examples=50, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.integers(-5, 5))
def test_pairs_selected_at_a_lower_rate_are_a_subset(p: float, q: float, seed: int) -> None:
    low, high = sorted((p, q))
    ids = IDS[:80]
    for kind in ("misfire", "bias", "refuser", "error"):
        half = "contrast" if kind == "bias" else "stereotyped"
        at_low = selected(
            ReferenceModel(f"reference/{kind}:{low}", kind, low, seed=seed), ids, half
        )
        at_high = selected(
            ReferenceModel(f"reference/{kind}:{high}", kind, high, seed=seed), ids, half
        )
        assert at_low <= at_high


def test_rate_0_and_rate_1_select_nothing_and_everything() -> None:
    assert selected(ReferenceModel.from_name("reference/misfire:0"), IDS) == set()
    assert selected(ReferenceModel.from_name("reference/misfire:1"), IDS) == set(IDS)


# --- what each kind answers ------------------------------------------------------------


def test_evidence_reader_always_answers_the_expected() -> None:
    m = ReferenceModel.from_name("reference/evidence-reader")
    for i in IDS[:20]:
        for half in ("stereotyped", "contrast"):
            assert answer(m, pair_id=i, half=half) == "yes"
            assert answer(m, pair_id=i, half=half, expected="no") == "no"


def test_misfire_touches_only_the_stereotyped_half() -> None:
    m = ReferenceModel.from_name("reference/misfire:1")
    assert answer(m, half="stereotyped") == "no"
    assert answer(m, half="contrast") == "yes"
    assert answer(m, half="stereotyped", expected="no") == "yes"  # wrong is the other answer


def test_bias_touches_only_the_contrast_half() -> None:
    m = ReferenceModel.from_name("reference/bias:1")
    assert answer(m, half="stereotyped") == "yes"
    assert answer(m, half="contrast") == "no"


def test_refuser_refuses_the_stereotyped_half() -> None:
    m = ReferenceModel.from_name("reference/refuser:1")
    c = m.answer(request(half="stereotyped"))
    assert c.status == "refused" and c.text == REFUSAL_TEXT
    assert m.answer(request(half="contrast")).status == "ok"


def test_error_fails_the_stereotyped_half_with_a_message() -> None:
    m = ReferenceModel.from_name("reference/error:1")
    c = m.answer(request(half="stereotyped"))
    assert c.status == "error" and c.error and "simulated" in c.error
    assert answer(m, half="contrast") == "yes"


def test_coin_answers_both_ways_per_half() -> None:
    m = ReferenceModel.from_name("reference/coin")
    answers = [answer(m, pair_id=i, half=h) for i in IDS for h in ("stereotyped", "contrast")]
    assert set(answers) == {"yes", "no"}
    assert 120 <= answers.count("yes") <= 280  # 400 fair coins


def test_primed_rate_applies_to_variants_other_than_base() -> None:
    m = ReferenceModel.from_name("reference/misfire:0.1,primed=0.6,seed=2")
    base = selected(m, IDS, variant="base")
    primed = selected(m, IDS, variant="trigger")
    assert base == {i for i in IDS if uniform(2, i) < 0.1}
    assert primed == {i for i in IDS if uniform(2, i) < 0.6}
    assert base < primed  # same draw per pair: priming only adds misfires
    unprimed = ReferenceModel.from_name("reference/misfire:0.1,seed=2")
    assert selected(unprimed, IDS, variant="trigger") == base  # no primed=: the rate stays


@pytest.mark.parametrize("condition", ["direct", "cot"])
@pytest.mark.parametrize("expected", ["yes", "no"])
def test_raw_text_goes_through_the_real_parser(condition: str, expected: str) -> None:
    m = ReferenceModel.from_name("reference/evidence-reader")
    c = m.answer(request(condition=condition, expected=expected))
    assert c.status == "ok"
    assert parse_answer(c.text) == expected
    assert f'{{"answer": "{expected}"}}' in c.text
    if condition == "cot":
        assert c.text.splitlines()[-1] == f'{{"answer": "{expected}"}}'
        assert len(c.text.splitlines()) > 1  # a rationale before the answer
    else:
        assert c.text == f'{{"answer": "{expected}"}}'


def test_complete_answers_every_request_in_order() -> None:
    m = ReferenceModel.from_name("reference/misfire:0.5")
    reqs = [request(pair_id=i) for i in IDS]
    assert m.complete(reqs) == [m.answer(r) for r in reqs]
    assert m.complete([]) == []
    m.close()
