"""Model families the published protocol treats apart, recognised by the model's name.

The published runs (veto-spec section 3) decide three things by the model's name, and
this module states those rules once for the run's decoding settings and the backends:

- OpenAI reasoning models (o1/o3/o4 series, gpt-5 and later) take
  ``max_completion_tokens`` and no temperature, and their hidden reasoning counts
  against the budget;
- Qwen3 and Qwen3.5 switch their native thinking with the chat template's
  ``enable_thinking`` keyword;
- DeepSeek-R1 (``deepseek-reasoner``, ``deepseek-r1...``) always thinks.

Only the last path segment of a name counts (``openai/gpt-5-mini``,
``openrouter/openai/o3-mini``, ``hf/Qwen/Qwen3-8B`` and ``hosted_vllm/Qwen/Qwen3-8B``
all name their family). The litellm backend also asks litellm's own model data
(``backends/litellm_request.py``); a test checks that every model litellm treats as an
OpenAI reasoning model is one here too.
"""

from __future__ import annotations

import re

_GPT_MAJOR = re.compile(r"^gpt-(\d+(?:\.\d+)?)")


def _last_segment(model: str) -> str:
    return model.rstrip("/").rsplit("/", 1)[-1].lower()


def openai_reasoning(model: str) -> bool:
    """An OpenAI reasoning model: a name starting ``o1``, ``o3`` or ``o4``, or ``gpt-N``
    with N >= 5 (``gpt-5-mini``, ``gpt-5.4-nano``)."""
    name = _last_segment(model)
    if name.startswith(("o1", "o3", "o4")):
        return True
    found = _GPT_MAJOR.match(name)
    return found is not None and float(found.group(1)) >= 5


def qwen3_thinking_toggle(model: str) -> bool:
    """Qwen3 or Qwen3.5 (``qwen3-8b``, ``qwen3.5-27b``): ``enable_thinking`` applies."""
    return _last_segment(model).startswith("qwen3")


def always_thinks(model: str) -> bool:
    """DeepSeek-R1 (``deepseek-reasoner``, ``deepseek-r1``, its distills
    ``DeepSeek-R1-Distill-...``): it reasons whatever it is asked, so the published runs
    give it the chain-of-thought budget in both conditions. Like the other rules, only
    the name's last segment counts: an organisation or folder called ``reasoner`` does
    not make a model think."""
    name = _last_segment(model)
    return name.startswith(("deepseek-reasoner", "deepseek-r1"))
