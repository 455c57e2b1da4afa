"""How a run decodes: token budget, temperature, chat-template keywords, parse rule.

veto-spec section 3 gives the published settings, which depend on the condition, on the
kind of backend and on the model's family (``backends/families.py``):

=====================================  ==========  =====================
model                                   direct      chain of thought
=====================================  ==========  =====================
API model (litellm)                     512         8,192
OpenAI reasoning model (o1/o3/o4, gpt-5+) 1,024 (``max_completion_tokens``, no temperature)  8,192
local model (``hf/``)                   128         8,192
local Qwen3/Qwen3.5                     2,048       8,192
DeepSeek-R1 (always thinks)             8,192       8,192
=====================================  ==========  =====================

Qwen3/Qwen3.5 get ``enable_thinking`` through the chat template (False direct, True for
chain of thought; an API model gets it as ``chat_template_kwargs`` in the request body,
which vLLM and SGLang servers read), and a model that thinks natively is asked with the
direct user tail in the chain-of-thought condition (its thinking is the chain of
thought), as the published runs did. Local Qwen3's direct budget is the published code's
2,048, not the 128 of other local models.

:func:`decoding_for` builds the frozen :class:`DecodingSettings` from those rules and the
user's :class:`DecodingOverrides` (``--veto-max-new-tokens``,
``--veto-chat-template-kwargs``, ``--veto-extra-body``, ``--veto-no-early-stop``); the
report records it (``run.decoding``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_veto.backends import backend_kind
from pytest_veto.backends.families import always_thinks, openai_reasoning, qwen3_thinking_toggle
from pytest_veto.backends.litellm_request import request_shape
from pytest_veto.run.answers import PARSE_RULE
from pytest_veto.run.prompts import Condition

#: the chain-of-thought budget, everywhere
COT_BUDGET = 8192
#: direct-condition budgets by backend kind (a reference model generates nothing)
DIRECT_BUDGET: dict[str, int] = {"litellm": 512, "hf": 128, "reference": 512}
REASONING_DIRECT_BUDGET = 1024
QWEN3_LOCAL_DIRECT_BUDGET = 2048

TokenParameter = Literal["max_tokens", "max_completion_tokens", "max_new_tokens", "none"]


@dataclass(frozen=True)
class DecodingOverrides:
    """What the user changed (None: the published setting)."""

    max_new_tokens: int | None = None
    #: replaces the published chat-template keywords (``{}`` sends none)
    chat_template_kwargs: Mapping[str, Any] | None = None
    #: merged over the request body of an API model (its keys win)
    extra_body: Mapping[str, Any] | None = None
    #: local generation stops once the first JSON answer is out
    early_stop: bool = True


@dataclass(frozen=True)
class DecodingSettings:
    """The effective decoding of a run (one per run: condition, backend and model fixed)."""

    condition: Condition
    max_new_tokens: int
    #: ``published`` or the option that set it
    budget_from: str
    #: the temperature sent (None: none is sent; local models decode greedily)
    temperature: float | None
    token_parameter: TokenParameter
    chat_template_kwargs: Mapping[str, Any] = field(default_factory=dict)
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    #: whose user tail the prompt ends with (``direct`` for native thinkers under CoT)
    user_tail: Condition = "direct"
    early_stop: bool = False
    parse_rule: str = PARSE_RULE
    think_blocks: str = "removed before parsing"

    def as_dict(self) -> dict[str, Any]:
        """The report's ``run.decoding``."""
        return {
            "max_new_tokens": self.max_new_tokens,
            "budget_from": self.budget_from,
            "temperature": self.temperature,
            "token_parameter": self.token_parameter,
            "chat_template_kwargs": dict(self.chat_template_kwargs),
            "extra_body": dict(self.extra_body),
            "user_tail": self.user_tail,
            "early_stop": self.early_stop,
            "parse_rule": self.parse_rule,
            "think_blocks": self.think_blocks,
        }


def published_budget(condition: Condition, kind: str, model: str) -> int:
    """The published token budget of ``model`` served by a backend of ``kind``."""
    if condition == "cot" or always_thinks(model):
        return COT_BUDGET
    if kind == "litellm" and openai_reasoning(model):
        return REASONING_DIRECT_BUDGET
    if kind == "hf" and qwen3_thinking_toggle(model):
        return QWEN3_LOCAL_DIRECT_BUDGET
    return DIRECT_BUDGET.get(kind, DIRECT_BUDGET["litellm"])


def published_template_kwargs(condition: Condition, model: str) -> dict[str, Any]:
    """``{"enable_thinking": ...}`` for Qwen3/Qwen3.5, else nothing."""
    if qwen3_thinking_toggle(model):
        return {"enable_thinking": condition == "cot"}
    return {}


def decoding_for(
    condition: Condition, model: str, overrides: DecodingOverrides | None = None
) -> DecodingSettings:
    """The decoding of ``model`` under ``condition``: published, then the overrides."""
    o = overrides or DecodingOverrides()
    kind = backend_kind(model)
    template = (
        published_template_kwargs(condition, model)
        if o.chat_template_kwargs is None
        else dict(o.chat_template_kwargs)
    )
    extra: dict[str, Any] = {}
    if kind == "litellm":
        if template:
            extra["chat_template_kwargs"] = template
        extra.update(o.extra_body or {})
    native = qwen3_thinking_toggle(model) or always_thinks(model)
    temperature: float | None = None  # a reference model is sent nothing
    parameter: TokenParameter = "none"
    if kind == "litellm":  # what the litellm backend sends, from the same rule
        shape = request_shape(model)
        temperature = shape.temperature
        parameter = "max_completion_tokens" if shape.reasoning else "max_tokens"
    elif kind == "hf":
        temperature, parameter = 0.0, "max_new_tokens"  # greedy
    return DecodingSettings(
        condition=condition,
        max_new_tokens=o.max_new_tokens or published_budget(condition, kind, model),
        budget_from="published" if o.max_new_tokens is None else "--veto-max-new-tokens",
        temperature=temperature,
        token_parameter=parameter,
        chat_template_kwargs=template if kind == "hf" else {},
        extra_body=extra,
        user_tail="direct" if condition == "cot" and native else condition,
        early_stop=kind == "hf" and o.early_stop,
    )


def plain_decoding(condition: Condition) -> DecodingSettings:
    """The settings of a bare condition (tests, tools without a model): an API model's."""
    return decoding_for(condition, "openai/unnamed")
