"""Where the parts the lens tools need live inside a loaded causal language model.

For a transformers causal LM, :func:`find_architecture` returns the decoder layers, the
final norm, the output head, each layer's attention output projection (whose *input* is
the concatenation of the per-head outputs), the number of heads, the head dimension and
the final logit soft-cap. Known model types (Llama, Mistral, Qwen2, Qwen3, Gemma 2,
Gemma 3 text and multimodal, GPT-2, Phi) are looked up by ``config.model_type``; any
other model is tried with common attribute paths, and is accepted only if every part is
found and the projection's input width equals heads x head dim. Anything else raises
:class:`UnsupportedArchitecture` naming what was missing.

Nothing heavy is imported here: the functions only walk attributes of the model object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class LensError(ValueError):
    """The lens tools cannot run on this model or these inputs."""


class UnsupportedArchitecture(LensError):
    """The model's layers, norm, head or attention projections could not be located."""


@dataclass(frozen=True)
class _Layout:
    """Attribute paths, relative to the causal LM object."""

    layers: str
    norm: str
    attn_out: str  # relative to one decoder layer


_DECODER = _Layout("model.layers", "model.norm", "self_attn.o_proj")
#: Known model types. Gemma 3 multimodal keeps its text stack under ``language_model``.
KNOWN: dict[str, _Layout] = {
    "llama": _DECODER,
    "mistral": _DECODER,
    "qwen2": _DECODER,
    "qwen3": _DECODER,
    "gemma": _DECODER,
    "gemma2": _DECODER,
    "gemma3_text": _DECODER,
    "gemma3": _Layout(
        "model.language_model.layers", "model.language_model.norm", "self_attn.o_proj"
    ),
    "gpt2": _Layout("transformer.h", "transformer.ln_f", "attn.c_proj"),
    "phi": _Layout("model.layers", "model.final_layernorm", "self_attn.dense"),
}
#: Fallback paths tried, in order, for model types not in ``KNOWN``.
FALLBACK_LAYERS = (
    "model.layers",
    "model.language_model.layers",
    "transformer.h",
    "gpt_neox.layers",
    "model.decoder.layers",
    "transformer.layers",
)
FALLBACK_NORMS = ("norm", "final_layernorm", "ln_f", "final_layer_norm")
FALLBACK_ATTN_OUT = (
    "self_attn.o_proj",
    "self_attn.dense",
    "attn.c_proj",
    "attention.dense",
    "self_attn.out_proj",
    "attn.out_proj",
    "attention.o_proj",
)


@dataclass(frozen=True, eq=False)
class Architecture:
    """The parts of one loaded model that the logit lens and head ablation use.

    ``attn_out[l]`` is layer ``l``'s attention output projection; its input has width
    ``num_heads * head_dim`` and head ``h`` owns columns ``[h * head_dim, (h + 1) *
    head_dim)``. ``softcap`` is the final logit soft-cap (Gemma 2), ``None`` when the
    model has none.
    """

    model_type: str
    layers: tuple[Any, ...]
    final_norm: Any
    lm_head: Any
    attn_out: tuple[Any, ...]
    num_heads: int
    head_dim: int
    softcap: float | None

    @property
    def num_layers(self) -> int:
        """Number of decoder blocks."""
        return len(self.layers)

    def describe(self) -> dict[str, Any]:
        """Plain data for reports: the sizes, not the modules."""
        return {
            "model_type": self.model_type,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "head_dim": self.head_dim,
            "softcap": self.softcap,
        }


def _get(obj: Any, path: str) -> Any:
    for name in path.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _text_config(config: Any) -> Any:
    """The language model's config (multimodal configs nest it as ``text_config``)."""
    text = getattr(config, "text_config", None)
    return text if text is not None else config


def _in_features(module: Any) -> int | None:
    """Input width of a Linear (``in_features``) or of GPT-2's Conv1D (weight is in x out)."""
    width = getattr(module, "in_features", None)
    if width is not None:
        return int(width)
    weight = getattr(module, "weight", None)
    if weight is not None and getattr(module, "nf", None) is not None:
        return int(weight.shape[0])
    return None


def _first(obj: Any, paths: Sequence[str]) -> tuple[str | None, Any]:
    for path in paths:
        found = _get(obj, path)
        if found is not None:
            return path, found
    return None, None


def find_architecture(model: Any) -> Architecture:
    """Locate the lens parts of ``model`` (a transformers causal LM); see the module doc."""
    config = getattr(model, "config", None)
    if config is None:
        raise UnsupportedArchitecture(
            f"{type(model).__name__} has no config: not a transformers model"
        )
    model_type = str(getattr(config, "model_type", "") or "")
    text = _text_config(config)
    layout = KNOWN.get(model_type)
    missing: list[str] = []
    if layout is not None:
        layers = _get(model, layout.layers)
        norm = _get(model, layout.norm)
        attn_paths: Sequence[str] = (layout.attn_out,)
    else:
        layers_path, layers = _first(model, FALLBACK_LAYERS)
        norm = None
        if layers_path is not None:
            owner = layers_path.rsplit(".", 1)[0]
            _, norm = _first(model, [f"{owner}.{n}" for n in FALLBACK_NORMS])
        attn_paths = FALLBACK_ATTN_OUT
    if layers is None or len(layers) == 0:
        missing.append("decoder layers")
        layers = []
    if norm is None:
        missing.append("final norm")
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    head = head if head is not None else _get(model, "lm_head")
    if head is None:
        missing.append("output head (lm_head)")
    attn_out: list[Any] = []
    for index, layer in enumerate(layers):
        _, proj = _first(layer, attn_paths)
        if proj is None:
            missing.append(
                f"attention output projection of layer {index} (tried {', '.join(attn_paths)})"
            )
            break
        attn_out.append(proj)
    heads_found: Any = getattr(text, "num_attention_heads", None) or getattr(text, "n_head", None)
    if not heads_found:
        missing.append("number of attention heads")
    if missing:
        known = ", ".join(sorted(KNOWN))
        raise UnsupportedArchitecture(
            f"model type {model_type or '?'} ({type(model).__name__}) is not supported by the "
            f"lens tools: could not find {'; '.join(missing)}. Known model types: {known}"
        )
    num_heads = int(heads_found)
    head_dim = int(getattr(text, "head_dim", None) or int(text.hidden_size) // num_heads)
    width = _in_features(attn_out[0])
    if width is not None and width != num_heads * head_dim:
        raise UnsupportedArchitecture(
            f"model type {model_type}: the attention output projection takes {width} inputs, "
            f"not heads x head_dim = {num_heads} x {head_dim}"
        )
    softcap = getattr(text, "final_logit_softcapping", None)
    return Architecture(
        model_type=model_type or type(model).__name__,
        layers=tuple(layers),
        final_norm=norm,
        lm_head=head,
        attn_out=tuple(attn_out),
        num_heads=num_heads,
        head_dim=head_dim,
        softcap=float(softcap) if softcap else None,
    )
