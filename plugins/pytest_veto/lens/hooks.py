"""Temporary changes to a model's forward pass, each a context manager that undoes itself.

- :func:`ablate_heads`: a forward pre-hook on a layer's attention output projection
  that replaces head ``h``'s slice ``[h * head_dim, (h + 1) * head_dim)`` of the
  projection's *input* at every position: with zeros (``zero``), with that slice's mean
  over the row's real (unpadded) positions (``mean``), or with a fixed vector per layer
  computed beforehand over a set of prompts (``dataset_mean``, see
  :func:`pytest_veto.lens.ablation.dataset_means`). Heads can differ per batch row, which
  is what the batched single-head sweep uses.
- :func:`start_at_layer`: blocks before ``start`` are not run; the block just before it
  returns a cached residual stream instead. Everything else the model computes before
  its blocks (embeddings, causal and sliding-window masks, rotary tables, position
  embeddings) is still computed by the model itself, which is why this is safe across
  architectures where running blocks by hand is not.

Hooks and patches are removed on exit, also when the body raises.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from pytest_veto.lens.architecture import Architecture, LensError

if TYPE_CHECKING:
    import torch

AblationMode = Literal["zero", "mean", "dataset_mean"]
ABLATION_MODES: tuple[AblationMode, ...] = ("zero", "mean", "dataset_mean")


def row_masks(
    arch: Architecture, heads: Sequence[Sequence[tuple[int, int]]]
) -> dict[int, torch.Tensor]:
    """``layer -> (rows, num_heads)`` boolean masks ablating each row's own heads (layers
    no row ablates are left out)."""
    import torch

    masks: dict[int, torch.Tensor] = {}
    for row, keys in enumerate(heads):
        for layer, head in keys:
            if layer not in masks:
                masks[layer] = torch.zeros((len(heads), arch.num_heads), dtype=torch.bool)
            masks[layer][row, head] = True
    return masks


def _selection_mask(arch: Architecture, layer: int, selection: Any) -> torch.Tensor:
    """``(rows or 1, num_heads)`` float mask, 1 where a head is ablated."""
    import torch

    if isinstance(selection, torch.Tensor):
        if selection.ndim != 2 or selection.shape[1] != arch.num_heads:
            raise LensError(f"layer {layer}: a per-row head mask must be (rows, {arch.num_heads})")
        return selection.to(torch.float32)
    mask = torch.zeros((1, arch.num_heads), dtype=torch.float32)
    for head in selection:
        if not 0 <= int(head) < arch.num_heads:
            raise LensError(f"layer {layer} has heads 0..{arch.num_heads - 1}, not {head}")
        mask[0, int(head)] = 1.0
    return mask


def _replace(
    x: torch.Tensor,
    ablate: torch.Tensor,
    arch: Architecture,
    mode: AblationMode,
    attention_mask: torch.Tensor | None,
    fixed: torch.Tensor | None,
) -> torch.Tensor:
    """``x`` (rows, seq, heads*dim) with the ablated heads' slices replaced."""
    rows, seq, width = x.shape
    view = x.reshape(rows, seq, arch.num_heads, arch.head_dim)
    if ablate.shape[0] not in (1, rows):
        raise LensError(f"a per-row head mask has {ablate.shape[0]} rows, the batch {rows}")
    gate = ablate.to(device=x.device, dtype=x.dtype)[:, None, :, None]  # (r, 1, H, 1)
    if mode == "zero":
        out = view * (1 - gate)
    elif mode == "mean":
        if attention_mask is not None:
            real = attention_mask.to(device=x.device, dtype=x.dtype)[:, :, None, None]
            mean = (view * real).sum(1, keepdim=True) / real.sum(1, keepdim=True).clamp_min(1)
        else:
            mean = view.mean(1, keepdim=True)
        out = view * (1 - gate) + mean * gate
    else:
        assert fixed is not None
        vector = fixed.to(device=x.device, dtype=x.dtype).reshape(
            1, 1, arch.num_heads, arch.head_dim
        )
        out = view * (1 - gate) + vector * gate
    return out.reshape(rows, seq, width)


@contextmanager
def ablate_heads(
    arch: Architecture,
    plan: Mapping[int, Any],
    *,
    mode: AblationMode = "zero",
    attention_mask: torch.Tensor | None = None,
    means: Mapping[int, torch.Tensor] | None = None,
) -> Iterator[None]:
    """Ablate heads while the block runs: ``plan`` maps a layer to the heads to ablate,
    either head numbers (the same for every row) or a ``(rows, num_heads)`` boolean
    tensor (True = ablate) when rows differ.

    ``attention_mask`` (rows, seq) keeps padding out of the ``mean`` mode's average;
    ``means`` maps each planned layer to its ``(num_heads * head_dim,)`` vector for
    ``dataset_mean``.
    """
    if mode not in ABLATION_MODES:
        raise LensError(
            f"unknown ablation mode {mode!r}; choose one of {', '.join(ABLATION_MODES)}"
        )
    masks: dict[int, torch.Tensor] = {}
    for layer, selection in plan.items():
        if not 0 <= layer < arch.num_layers:
            raise LensError(f"the model has layers 0..{arch.num_layers - 1}, not {layer}")
        masks[layer] = _selection_mask(arch, layer, selection)
        if mode == "dataset_mean" and (means is None or layer not in means):
            raise LensError(f"dataset_mean ablation needs a mean vector for layer {layer}")
    handles: list[Any] = []
    try:
        for layer, ablate in masks.items():
            fixed = means[layer] if means is not None and mode == "dataset_mean" else None

            def hook(
                module: Any,
                args: tuple[Any, ...],
                kwargs: dict[str, Any],
                ablate: torch.Tensor = ablate,
                fixed: torch.Tensor | None = fixed,
            ) -> tuple[tuple[Any, ...], dict[str, Any]]:
                if args:
                    new = _replace(args[0], ablate, arch, mode, attention_mask, fixed)
                    return (new, *args[1:]), kwargs
                key = next(iter(kwargs))  # Linear.forward(input=...)
                kwargs = {
                    **kwargs,
                    key: _replace(kwargs[key], ablate, arch, mode, attention_mask, fixed),
                }
                return args, kwargs

            handles.append(arch.attn_out[layer].register_forward_pre_hook(hook, with_kwargs=True))
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def capture_attn_inputs(arch: Architecture, layers: Sequence[int]) -> Iterator[dict[int, Any]]:
    """Record the input of each listed layer's attention output projection (the same
    tensor the model uses, so gradients can be taken with respect to it)."""
    found: dict[int, Any] = {}
    handles: list[Any] = []
    try:
        for layer in layers:

            def hook(
                module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], layer: int = layer
            ) -> None:
                found[layer] = args[0] if args else next(iter(kwargs.values()))

            handles.append(arch.attn_out[layer].register_forward_pre_hook(hook, with_kwargs=True))
        yield found
    finally:
        for handle in handles:
            handle.remove()


def _layer_input(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[0] if args else kwargs["hidden_states"]


@contextmanager
def start_at_layer(
    arch: Architecture, start: int, cached: torch.Tensor | None, tuple_output: bool = False
) -> Iterator[None]:
    """Skip blocks ``0..start-1``: block ``start - 1`` returns ``cached`` (the residual
    stream entering block ``start``, shaped like the batch), earlier blocks return their
    input untouched. ``tuple_output``: the blocks return tuples (older transformers).
    ``start == 0`` changes nothing.
    """
    if start == 0:
        yield
        return
    if cached is None or not 0 < start < arch.num_layers:
        raise LensError(f"cannot start at layer {start} of {arch.num_layers} without a cache")

    def wrap(value: Any) -> Any:
        return (value,) if tuple_output else value

    def passthrough(*args: Any, **kwargs: Any) -> Any:
        return wrap(_layer_input(args, kwargs))

    def cached_output(*args: Any, **kwargs: Any) -> Any:
        incoming = _layer_input(args, kwargs)
        if incoming.shape != cached.shape:
            raise LensError(
                f"cached residual {tuple(cached.shape)} does not fit the batch "
                f"{tuple(incoming.shape)}"
            )
        return wrap(cached)

    patched = list(arch.layers[:start])
    try:
        for layer in patched[:-1]:
            layer.forward = passthrough
        patched[-1].forward = cached_output
        yield
    finally:
        for layer in patched:
            if "forward" in vars(layer):
                del layer.forward
