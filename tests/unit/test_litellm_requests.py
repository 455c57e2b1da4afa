"""The requests litellm really sends under the published decoding (veto-spec section 3),
captured at a loopback server: OpenAI reasoning models get ``max_completion_tokens`` and
no temperature, a served Qwen3 gets ``enable_thinking`` in ``chat_template_kwargs``, an
Anthropic and an ordinary chat model get ``temperature=0`` and ``max_tokens``; none is
rejected by litellm before it is sent. The direct OpenAI client (``--veto-api-client``)
sends the same bodies wherever ``auto`` picks it."""

from __future__ import annotations

from typing import Any, Literal

import pytest

pytest.importorskip("litellm")

from pytest_veto.backends.families import openai_reasoning
from pytest_veto.backends.litellm_backend import LiteLLMBackend
from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.cases import Case, requests_for
from pytest_veto.run.decoding import DecodingOverrides, decoding_for
from pytest_veto.run.prompts import Condition
from tests.support.capture_server import CaptureServer

PAIR = load_pairs(sample_pairs_path())[0]


def _sent(
    model: str,
    condition: Condition = "direct",
    client: Literal["litellm", "openai"] = "litellm",
    **overrides: Any,
) -> tuple[str, dict[str, Any]]:
    """The one request body the backend sent for a pair's stereotyped half, through
    ``client``."""
    decoding = decoding_for(condition, model, DecodingOverrides(**overrides))
    request = requests_for(Case(PAIR), decoding)[0]
    with CaptureServer() as server:
        options = BackendOptions(api_base=server.base_url, retries=0, api_client=client)
        backend = LiteLLMBackend(model, options)
        completion = backend.complete([request])[0]
    assert completion.status == "ok", completion.error  # nothing rejected client-side
    assert completion.text == '{"answer": "yes"}'
    assert len(server.bodies) == 1
    return server.bodies[0]


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-key")


@pytest.mark.parametrize("model", ["openai/gpt-5-mini", "openai/o3-mini"])
def test_openai_reasoning_models(model: str) -> None:
    path, body = _sent(model)
    assert path.endswith("/chat/completions")
    assert body["max_completion_tokens"] == 1024
    assert "temperature" not in body and "max_tokens" not in body
    _, cot = _sent(model, "cot")
    assert cot["max_completion_tokens"] == 8192 and "temperature" not in cot


def test_an_anthropic_model() -> None:
    path, body = _sent("anthropic/claude-sonnet-4-5")
    assert path.endswith("/v1/messages")
    assert body["max_tokens"] == 512 and body["temperature"] == 0
    assert body["model"] == "claude-sonnet-4-5"
    assert "You are a helpful assistant." in str(body["system"])
    assert "chat_template_kwargs" not in body and "thinking" not in body


def test_a_qwen3_model_behind_an_openai_compatible_server() -> None:
    _, body = _sent("openai/Qwen/Qwen3-8B")
    assert body["model"] == "Qwen/Qwen3-8B"
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["max_tokens"] == 512 and body["temperature"] == 0
    _, cot = _sent("openai/Qwen/Qwen3-8B", "cot")
    assert cot["chat_template_kwargs"] == {"enable_thinking": True}
    assert cot["max_tokens"] == 8192


def test_an_ordinary_chat_model() -> None:
    _, body = _sent("openai/gpt-4o-mini")
    assert body["max_tokens"] == 512 and body["temperature"] == 0
    assert "max_completion_tokens" not in body and "chat_template_kwargs" not in body
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_the_users_budget_and_extra_body_are_sent() -> None:
    _, body = _sent(
        "openai/Qwen/Qwen3-8B",
        max_new_tokens=64,
        chat_template_kwargs={},
        extra_body={"top_k": 1},
    )
    assert body["max_tokens"] == 64 and body["top_k"] == 1
    assert "chat_template_kwargs" not in body


def test_every_model_litellm_refuses_temperature_zero_for_gets_none() -> None:
    """litellm's own model data: each OpenAI chat model whose litellm config rejects
    ``temperature=0`` is one the published rule sends no temperature."""
    import litellm
    from litellm.types.utils import LlmProviders
    from litellm.utils import ProviderConfigManager

    rejected = []
    for model in sorted(litellm.open_ai_chat_completion_models):
        config = ProviderConfigManager.get_provider_chat_config(
            model=model, provider=LlmProviders.OPENAI
        )
        try:
            config.map_openai_params(  # type: ignore[union-attr]
                non_default_params={"temperature": 0},
                optional_params={},
                model=model,
                drop_params=False,
            )
        except litellm.UnsupportedParamsError:
            rejected.append(model)
    assert len(rejected) > 10  # the check checks something
    assert [m for m in rejected if not openai_reasoning(m)] == []


OPENAI_COMPATIBLE = [
    ("openai/gpt-4o-mini", "direct", {}),
    ("openai/gpt-4o-mini", "cot", {}),
    ("openai/Qwen/Qwen3-8B", "direct", {}),
    ("openai/Qwen/Qwen3-8B", "cot", {}),
    (
        "openai/Qwen/Qwen3-8B",
        "direct",
        {"max_new_tokens": 64, "chat_template_kwargs": {}, "extra_body": {"top_k": 1}},
    ),
]


@pytest.mark.parametrize(("model", "condition", "overrides"), OPENAI_COMPATIBLE)
def test_the_openai_client_sends_what_litellm_sends(
    model: str, condition: Condition, overrides: dict[str, Any]
) -> None:
    """``--veto-api-client=auto`` may swap litellm for the OpenAI client only because the
    server receives the same request: path and JSON body, field for field."""
    through_litellm = _sent(model, condition, "litellm", **overrides)
    through_openai = _sent(model, condition, "openai", **overrides)
    assert through_openai == through_litellm


def test_auto_takes_the_openai_client_only_for_openai_models_at_an_api_base() -> None:
    from pytest_veto.backends.api_clients import choose_client

    base = "http://127.0.0.1:1/v1"
    assert choose_client("openai/x", BackendOptions(api_base=base)) == "openai"
    assert choose_client("openai/x", BackendOptions()) == "litellm"
    assert choose_client("hosted_vllm/x", BackendOptions(api_base=base)) == "litellm"
    assert choose_client("anthropic/x", BackendOptions(api_base=base)) == "litellm"
    # litellm rewrites some reasoning models' requests (o3-mini: the system turn as a user's)
    assert choose_client("openai/o3-mini", BackendOptions(api_base=base)) == "litellm"
    assert choose_client("openai/gpt-5-mini", BackendOptions(api_base=base)) == "litellm"
    forced = BackendOptions(api_base=base, api_client="litellm")
    assert choose_client("openai/x", forced) == "litellm"
    assert choose_client("openai/x", BackendOptions(api_client="openai")) == "openai"


def test_every_openai_chat_model_auto_sends_directly_gets_the_same_body() -> None:
    """Over litellm's OpenAI chat models (its own model data): wherever ``auto`` would take
    the OpenAI client, litellm sends that very body, so it rewrites none of them."""
    import litellm

    from pytest_veto.backends.api_clients import choose_client

    request = requests_for(Case(PAIR), decoding_for("direct", "openai/x", DecodingOverrides()))[0]
    with CaptureServer() as server:
        direct = [
            f"openai/{name}"
            for name, info in sorted(litellm.model_cost.items())
            if info.get("litellm_provider") == "openai" and info.get("mode") == "chat"
        ]
        direct = [
            m
            for m in direct
            if choose_client(m, BackendOptions(api_base=server.base_url)) == "openai"
        ]
        differ = []
        for model in direct:
            sent = []
            for client in ("litellm", "openai"):
                options = BackendOptions(api_base=server.base_url, retries=0, api_client=client)
                completion = LiteLLMBackend(model, options).complete([request])[0]
                assert completion.status == "ok", (model, client, completion.error)
                sent.append(server.bodies[-1])
            if sent[0] != sent[1]:
                differ.append(model)
    assert len(direct) > 20  # the check checks something
    assert differ == []


def test_the_direct_clients_filter_finish_reasons_are_litellms() -> None:
    """Finish reasons litellm reads as ``content_filter`` (a refusal) are the direct
    client's too; an upgrade of litellm that adds one fails here."""
    from litellm.litellm_core_utils.core_helpers import _FINISH_REASON_MAP

    from pytest_veto.backends.openai_reply import FILTER_FINISH_REASONS

    litellms = {k for k, v in _FINISH_REASON_MAP.items() if v == "content_filter"}
    assert litellms | {"content_filter"} == FILTER_FINISH_REASONS


def test_the_direct_client_is_refused_where_it_would_not_send_litellms_request() -> None:
    from pytest_veto.backends.api_clients import forced_client_problem

    assert forced_client_problem("openai/gpt-4o-mini", "openai") is None
    assert forced_client_problem("hosted_vllm/my-model", "litellm") is None
    assert forced_client_problem("openai/o3-mini", "auto") is None
    for model in ("hosted_vllm/my-model", "anthropic/claude-x", "gpt-4o-mini"):
        problem = forced_client_problem(model, "openai")
        assert problem is not None and "openai/" in problem
    problem = forced_client_problem("openai/o3-mini", "openai")
    assert problem is not None and "reasoning" in problem
