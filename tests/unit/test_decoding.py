"""The published decoding settings (veto-spec section 3) and the user's overrides."""

from __future__ import annotations

import pytest

from pytest_veto.backends.families import always_thinks, openai_reasoning, qwen3_thinking_toggle
from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.cases import Case, requests_for
from pytest_veto.run.decoding import DecodingOverrides, decoding_for
from pytest_veto.run.prompts import USER_TAILS


@pytest.mark.parametrize(
    ("model", "direct", "cot"),
    [
        ("openai/gpt-4o-mini", 512, 8192),
        ("anthropic/claude-sonnet-4-5", 512, 8192),
        ("openai/gpt-5-mini", 1024, 8192),
        ("openai/o3-mini", 1024, 8192),
        ("openrouter/openai/o4-mini", 1024, 8192),
        ("openai/gpt-5.4-nano", 1024, 8192),
        ("deepseek/deepseek-reasoner", 8192, 8192),
        ("hosted_vllm/Qwen/Qwen3-8B", 512, 8192),
        ("hf/smollm2-135m-instruct", 128, 8192),
        ("hf/Qwen/Qwen3-4B", 2048, 8192),
    ],
)
def test_published_budgets(model: str, direct: int, cot: int) -> None:
    assert decoding_for("direct", model).max_new_tokens == direct
    assert decoding_for("cot", model).max_new_tokens == cot
    assert decoding_for("direct", model).budget_from == "published"


@pytest.mark.parametrize(
    ("name", "reasoning"),
    [
        ("gpt-5-mini", True),
        ("openai/gpt-5", True),
        ("gpt-5.4", True),
        ("gpt-6-turbo", True),
        ("o1", True),
        ("o1-mini", True),
        ("o3-mini", True),
        ("azure/o4-mini", True),
        ("gpt-4o", False),
        ("gpt-4.1-mini", False),
        ("gpt-3.5-turbo", False),
        ("claude-opus-4", False),
        ("omni-moderation", False),
    ],
)
def test_openai_reasoning_models_by_the_published_rule(name: str, reasoning: bool) -> None:
    assert openai_reasoning(name) is reasoning


def test_families() -> None:
    assert qwen3_thinking_toggle("hf/Qwen/Qwen3-8B") and qwen3_thinking_toggle("qwen3.5-27b")
    assert not qwen3_thinking_toggle("hf/Qwen/Qwen2.5-7B-Instruct")
    assert always_thinks("deepseek/deepseek-reasoner") and always_thinks("hf/deepseek-r1-8b")
    assert not always_thinks("deepseek/deepseek-chat")
    assert always_thinks("hf/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")
    # only the last segment names the family: a folder or organisation does not
    assert not always_thinks("hf/reasoner-lab/llama-3-8b")
    assert not always_thinks("hf//models/deepseek-r1-notes/smollm2")
    assert not always_thinks("openai/my-reasoner-eval-gpt-4o")


def test_reasoning_models_get_max_completion_tokens_and_no_temperature() -> None:
    d = decoding_for("direct", "openai/o3-mini")
    assert (d.temperature, d.token_parameter) == (None, "max_completion_tokens")
    plain = decoding_for("direct", "openai/gpt-4o-mini")
    assert (plain.temperature, plain.token_parameter) == (0.0, "max_tokens")
    local = decoding_for("direct", "hf/x")
    assert (local.temperature, local.token_parameter, local.early_stop) == (
        0.0,
        "max_new_tokens",
        True,
    )


def test_qwen3_thinking_through_the_template_or_the_body() -> None:
    local = decoding_for("direct", "hf/Qwen/Qwen3-8B")
    assert local.chat_template_kwargs == {"enable_thinking": False} and not local.extra_body
    assert decoding_for("cot", "hf/Qwen/Qwen3-8B").chat_template_kwargs == {"enable_thinking": True}
    served = decoding_for("direct", "openai/Qwen/Qwen3-8B")
    assert served.extra_body == {"chat_template_kwargs": {"enable_thinking": False}}
    assert not served.chat_template_kwargs
    assert not decoding_for("direct", "openai/gpt-4o").extra_body


def test_native_thinkers_get_the_direct_tail_under_cot() -> None:
    assert decoding_for("cot", "hf/Qwen/Qwen3-8B").user_tail == "direct"
    assert decoding_for("cot", "deepseek/deepseek-reasoner").user_tail == "direct"
    assert decoding_for("cot", "openai/gpt-4o").user_tail == "cot"
    pair = load_pairs(sample_pairs_path())[0]
    request = requests_for(Case(pair), decoding_for("cot", "hf/Qwen/Qwen3-8B"))[0]
    assert request.messages[1].content.endswith(USER_TAILS["direct"])
    assert request.chat_template_kwargs == {"enable_thinking": True}
    assert request.max_new_tokens == 8192 and request.stop_at_answer


def test_overrides() -> None:
    o = DecodingOverrides(
        max_new_tokens=64,
        chat_template_kwargs={},
        extra_body={"top_k": 1, "chat_template_kwargs": {"x": 1}},
        early_stop=False,
    )
    served = decoding_for("direct", "openai/Qwen/Qwen3-8B", o)
    assert served.max_new_tokens == 64 and served.budget_from == "--veto-max-new-tokens"
    assert served.extra_body == {"top_k": 1, "chat_template_kwargs": {"x": 1}}
    local = decoding_for("direct", "hf/Qwen/Qwen3-8B", o)
    assert local.chat_template_kwargs == {} and not local.early_stop
    assert (
        decoding_for("direct", "hf/x", DecodingOverrides(early_stop=False)).as_dict()["early_stop"]
        is False
    )
