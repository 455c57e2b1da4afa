"""Backends by ``--model`` prefix, imported lazily: ``reference/``, ``hf/``, else litellm."""

from __future__ import annotations

from pytest_veto.backends.protocol import (
    Backend,
    BackendError,
    BackendOptions,
    Completion,
    PromptRequest,
)

__all__ = [
    "Backend",
    "BackendError",
    "BackendOptions",
    "Completion",
    "PromptRequest",
    "backend_kind",
    "create_backend",
]


def backend_kind(model: str) -> str:
    """Which backend serves ``model``: ``reference``, ``hf`` or ``litellm``."""
    if model.startswith("reference/"):
        return "reference"
    if model.startswith("hf/"):
        return "hf"
    return "litellm"


def create_backend(model: str, options: BackendOptions) -> Backend:
    """Instantiate the backend for ``model``; only that backend's module is imported."""
    kind = backend_kind(model)
    if kind == "reference":
        from pytest_veto.backends.reference import ReferenceModel

        return ReferenceModel.from_name(model, seed=options.seed)
    if kind == "hf":
        from pytest_veto.backends.hf import HFBackend

        return HFBackend(model, options)
    from pytest_veto.backends.litellm_backend import LiteLLMBackend

    return LiteLLMBackend(model, options)
