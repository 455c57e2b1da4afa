"""A first-order screen of every head's ablation effect: one forward and one backward
pass per batch of prompts instead of one pass per head.

Ablating head ``h`` of layer ``l`` changes the input ``z`` of the layer's attention
output projection by ``delta`` on the head's slice (``-z`` for zero ablation, ``mean -
z`` for the mean modes). To first order the final LD changes by ``grad_z(LD) . delta``,
summed over positions and the head's dimensions; the gradient is taken with respect to
every layer's projection input in the same backward pass (activation patching's
"attribution patching"). The estimate ignores interactions and the curvature of LD
(a max over spellings, so the gradient follows the currently largest spelling), which
is why the exact sweep exists; :func:`pytest_veto.lens.ranking.rank_agreement` says how
well the screen's ranking matches it.

Model parameters never receive gradients (``torch.autograd.grad`` with respect to the
activations only); if the embedding output does not require grad (frozen weights), a
hook makes it a leaf that does, so the graph exists either way.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_veto.backends.answer_tokens import AnswerTokens
from pytest_veto.lens.architecture import Architecture, find_architecture
from pytest_veto.lens.hooks import AblationMode, capture_attn_inputs
from pytest_veto.lens.inputs import LensPrompt, batches, encode, logit_diff, model_device, pad_id
from pytest_veto.lens.ranking import HeadEffect, HeadKey, PromptKey, head_effects

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class ScreenResult:
    """Estimated change of each prompt's final LD when each head is ablated alone."""

    mode: AblationMode
    baseline: Mapping[PromptKey, float]
    estimates: Mapping[PromptKey, Mapping[HeadKey, float]]
    seconds: float

    def effects(self) -> list[HeadEffect]:
        """Per-head mean estimated deltas and specificity, most specific first."""
        return head_effects(self.estimates)

    def as_dict(self) -> dict[str, Any]:
        """Plain data: every head's estimated effect, ranked."""
        return {
            "mode": self.mode,
            "seconds": self.seconds,
            "n_prompts": len(self.baseline),
            "effects": [e.as_dict() for e in self.effects()],
        }


def _replacement_delta(
    z: torch.Tensor,
    mask: torch.Tensor,
    arch: Architecture,
    mode: AblationMode,
    fixed: torch.Tensor | None,
) -> torch.Tensor:
    """What ablation adds to ``z`` (rows, seq, heads, dim), for every head at once."""
    if mode == "zero":
        return -z
    if mode == "mean":
        real = mask[:, :, None, None].to(z.dtype)
        mean = (z * real).sum(1, keepdim=True) / real.sum(1, keepdim=True).clamp_min(1)
        return mean - z
    assert fixed is not None
    return fixed.to(z.dtype).reshape(1, 1, arch.num_heads, arch.head_dim) - z


def attribution_screen(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[LensPrompt],
    tokens: AnswerTokens,
    *,
    arch: Architecture | None = None,
    mode: AblationMode = "zero",
    means: Mapping[int, torch.Tensor] | None = None,
    batch_size: int = 4,
) -> ScreenResult:
    """First-order estimate of every head's ablation effect on every prompt's final LD."""
    import torch

    start = time.perf_counter()
    arch = arch or find_architecture(model)
    if mode == "dataset_mean" and means is None:
        raise ValueError("dataset_mean needs the means (ablation.dataset_means)")
    layers = list(range(arch.num_layers))
    rows = encode(tokenizer, prompts)
    baseline: dict[PromptKey, float] = {}
    estimates: dict[PromptKey, dict[HeadKey, float]] = {}
    embeddings = model.get_input_embeddings()

    def make_leaf(module: Any, args: Any, out: torch.Tensor) -> torch.Tensor | None:
        return None if out.requires_grad else out.detach().requires_grad_(True)

    handle = embeddings.register_forward_hook(make_leaf)
    try:
        with torch.inference_mode(False), torch.enable_grad():
            for batch in batches(rows, batch_size, pad_id(tokenizer), model_device(model)):
                with capture_attn_inputs(arch, layers) as seen:
                    out = model(**batch.model_inputs(), use_cache=False, logits_to_keep=1)
                ld = logit_diff(out.logits[:, -1, :], tokens)
                grads = torch.autograd.grad(ld.sum(), [seen[layer] for layer in layers])
                per_layer = []
                for layer, grad in zip(layers, grads, strict=True):
                    z = seen[layer].detach()
                    shape = (z.shape[0], z.shape[1], arch.num_heads, arch.head_dim)
                    fixed = means.get(layer) if means is not None else None
                    delta = _replacement_delta(
                        z.reshape(shape), batch.attention_mask, arch, mode, fixed
                    )
                    per_layer.append((grad.reshape(shape) * delta).float().sum(dim=(1, 3)))
                table = torch.stack(per_layer, dim=1).tolist()  # (rows, layers, heads)
                for r, i in enumerate(batch.index):
                    key = prompts[i].key
                    baseline[key] = float(ld[r].detach())
                    estimates[key] = {
                        (layer, h): float(table[r][layer][h])
                        for layer in layers
                        for h in range(arch.num_heads)
                    }
    finally:
        handle.remove()
    return ScreenResult(mode, baseline, estimates, time.perf_counter() - start)
