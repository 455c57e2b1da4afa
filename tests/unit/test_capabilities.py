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


def test_local_copies_cost_is_for_local_models_only(tmp_path: Path) -> None:
    """The -n N warning's figure: what each process's own copy of a local model costs."""
    from pytest_veto.backends import local_copies_cost

    assert local_copies_cost("openai/gpt-4o-mini", 2) is None
    assert local_copies_cost("reference/coin", 4) is None
    folder = tmp_path / "model"
    folder.mkdir()
    with (folder / "model.safetensors").open("wb") as weights:
        weights.truncate(2**29)  # sparse: 0.5 GiB on paper, nothing on disk
    (folder / "notes.txt").write_text("not weights")
    assert local_copies_cost(f"hf/{folder}", 2) == "0.50 GiB x 2 = 1.00 GiB"
    (folder / "model.safetensors").unlink()
    assert local_copies_cost(f"hf/{folder}", 3) == "its full size x 3"
