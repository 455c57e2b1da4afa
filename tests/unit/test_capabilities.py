"""``capabilities_of(model)`` answers at collection time, without creating a backend, what
a created backend's ``capabilities`` would say: the lens checks are skipped or run on it,
so the two must agree for every backend kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_veto.backends import BackendOptions, backend_kind, capabilities_of, create_backend


@pytest.mark.parametrize(
    "model", ["reference/evidence-reader", "reference/misfire:0.1", "reference/coin"]
)
def test_reference_models_agree(model: str) -> None:
    backend = create_backend(model, BackendOptions())
    assert backend.kind == backend_kind(model) == "reference"
    assert backend.capabilities == capabilities_of(model) == frozenset()


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "anthropic/claude-x", "ollama/llama3"])
def test_litellm_models_agree(model: str) -> None:
    pytest.importorskip("litellm")
    # constructing the backend sends nothing: requests go out only in complete()
    backend = create_backend(model, BackendOptions(api_base="http://127.0.0.1:9"))
    try:
        assert backend.kind == backend_kind(model) == "litellm"
        assert backend.capabilities == capabilities_of(model) == frozenset()
    finally:
        backend.close()


def test_a_local_model_agrees(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.support.tiny_llama import build_tiny_llama

    model = f"hf/{build_tiny_llama(tmp_path / 'tiny')}"
    backend = create_backend(model, BackendOptions())
    try:
        assert backend.kind == backend_kind(model) == "hf"
        assert backend.capabilities == capabilities_of(model)
        assert {"logits", "hidden_states", "head_ablation"} <= capabilities_of(model)
    finally:
        backend.close()


def test_the_answer_needs_no_backend_library_and_loads_no_model() -> None:
    """A model that does not exist still gets its kind's answer: nothing is loaded."""
    assert capabilities_of("hf/no/such/folder") == capabilities_of("hf/smollm2-135m-instruct")
    assert "hidden_states" not in capabilities_of("openai/gpt-4o-mini")
