"""Backends by ``--model`` prefix, imported lazily: ``reference/``, ``hf/``, else litellm."""

from __future__ import annotations

from pathlib import Path

from pytest_veto.backends.protocol import (
    Backend,
    BackendError,
    BackendOptions,
    Capability,
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
    "capabilities_of",
    "create_backend",
    "local_copies_cost",
    "validate_model",
]


def backend_kind(model: str) -> str:
    """Which backend serves ``model``: ``reference``, ``hf`` or ``litellm``."""
    if model.startswith("reference/"):
        return "reference"
    if model.startswith("hf/"):
        return "hf"
    return "litellm"


#: What each backend kind can do beyond text; its backend's ``capabilities`` says the same
_KIND_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "reference": frozenset(),
    "litellm": frozenset(),
    "hf": frozenset({"logits", "hidden_states", "head_ablation"}),
}


def capabilities_of(model: str) -> frozenset[Capability]:
    """What the backend of ``model`` can do beyond text completion, known without creating
    it (creating one may load a model): collection decides with it which checks can run.
    A created backend's ``capabilities`` agrees (tests/unit/test_capabilities.py)."""
    return _KIND_CAPABILITIES[backend_kind(model)]


def local_copies_cost(model: str, copies: int, cache_dir: str | None = None) -> str | None:
    """The memory ``copies`` processes take when each loads its own copy of ``model``
    (``0.50 GiB x 2 = 1.00 GiB``), or None when ``model`` is not loaded in the process
    (an API or reference model). Reads the size of the weights on disk, loads nothing."""
    if backend_kind(model) != "hf":
        return None
    from pytest_veto.backends.hf_models import weights_size

    models = Path(cache_dir) / "models" if cache_dir else None
    size = weights_size(model.removeprefix("hf/"), models)
    if not size:
        return f"its full size x {copies}"
    return f"{size / 2**30:.2f} GiB x {copies} = {size * copies / 2**30:.2f} GiB"


def validate_model(model: str) -> str | None:
    """What is wrong with a ``--model`` name (None: nothing seen), found without loading a
    model, importing a backend library or touching the network."""
    from importlib.util import find_spec

    kind = backend_kind(model)
    if not model.strip() or (kind == "hf" and not model.removeprefix("hf/").strip()):
        return "names no model; pass one, e.g. --model=reference/evidence-reader"
    if kind == "reference":
        from pytest_veto.backends.reference import ReferenceModel, ReferenceNameError

        try:
            ReferenceModel.from_name(model)
        except ReferenceNameError as exc:
            return str(exc).removeprefix(f"{model!r}: ")
        return None
    if kind == "hf":
        missing = [m for m in ("torch", "transformers") if find_spec(m) is None]
        if missing:
            return (
                f"a local model needs {' and '.join(missing)}, not installed: pip install "
                "'pytest-veto[local]' (pip install torch==2.13.0 first, for the CPU build)"
            )
        return None
    if find_spec("litellm") is None:
        return "an API model goes through litellm, not installed: pip install 'pytest-veto[api]'"
    return None


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
