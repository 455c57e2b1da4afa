"""The logit lens over every layer at once (veto-spec section 6).

One forward pass per batch of prompts with ``output_hidden_states=True``. transformers
returns ``num_layers + 1`` hidden states: entry 0 is the input to the first block (the
embeddings), entry ``l + 1`` the residual stream after block ``l``, and the last entry is
the final norm's output, not the last block's raw output (current transformers ties it
to ``last_hidden_state``). So for block ``l`` the lens reads entry ``l + 1`` at the read
position, applies the final norm for every block but the last, and applies the output
head and the soft-cap (Gemma 2). The last block's value is therefore exactly the model's
own prediction.

**Index convention:** ``LensResult.ld_by_layer[l]`` is LD after block ``l``, counting
blocks from 0; it has ``num_layers`` entries, the embeddings are not included, and
``ld_by_layer[-1]`` is the LD of the model's own final logits. A "layer 24 of 32" in the
published work is index 24 here.

Whether the last hidden state is already normed is checked on every batch rather than
assumed: the head applied to it must reproduce the model's own final logits. If it does
not but head(norm(.)) does (an older transformers, or a model that does not tie the last
entry), the norm is applied; if neither does, LensError is raised. The check costs one
extra head projection per row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_veto.backends.answer_tokens import AnswerTokens
from pytest_veto.data.pairs import HalfName
from pytest_veto.lens.architecture import Architecture, LensError, find_architecture
from pytest_veto.lens.inputs import (
    Batch,
    LensPrompt,
    batches,
    encode,
    logit_diff,
    model_device,
    pad_id,
    softcap,
)

if TYPE_CHECKING:
    import torch

#: How close head(last hidden state) must come to the model's logits, relative to their
#: scale: float32 and wider, then half precision (different kernels round differently).
_TIE_TOLERANCE = (1e-3, 3e-2)


@dataclass(frozen=True)
class LensResult:
    """LD by layer for one half of one pair (see the module docstring for the indexing)."""

    pair_id: str
    category: str
    half: HalfName
    ld_by_layer: tuple[float, ...]
    n_tokens: int

    @property
    def final_ld(self) -> float:
        """LD of the model's own output (the last block)."""
        return self.ld_by_layer[-1]

    def as_dict(self) -> dict[str, Any]:
        """Plain data (non-finite values become None)."""
        return {
            "pair_id": self.pair_id,
            "category": self.category,
            "half": self.half,
            "n_tokens": self.n_tokens,
            "ld_by_layer": [v if math.isfinite(v) else None for v in self.ld_by_layer],
        }


def _head(arch: Architecture, hidden: torch.Tensor) -> torch.Tensor:
    return softcap(arch.lm_head(hidden), arch.softcap)


def _scale_gap(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest absolute difference relative to the larger magnitude (at least 1)."""
    scale = max(1.0, float(b.abs().max()))
    return float((a.float() - b.float()).abs().max()) / scale


def last_entry_is_normed(
    arch: Architecture, last_hidden: torch.Tensor, logits: torch.Tensor
) -> bool:
    """Is the last hidden state at the read position already through the final norm?

    ``last_hidden`` is ``(rows, hidden)``, ``logits`` the model's ``(rows, vocab)``.
    True when head(last_hidden) reproduces the logits; False when head(norm(last_hidden))
    does instead. Raises LensError when neither does.
    """
    tolerance = _TIE_TOLERANCE[0 if last_hidden.element_size() >= 4 else 1]
    raw = _scale_gap(_head(arch, last_hidden), logits)
    if raw <= tolerance:
        return True
    normed = _scale_gap(_head(arch, arch.final_norm(last_hidden)), logits)
    if normed <= tolerance:
        return False
    raise LensError(
        f"cannot reproduce the model's logits from its last hidden state (relative gap "
        f"{raw:.3g} without and {normed:.3g} with the final norm): the lens would be wrong"
    )


def lens_logits(
    arch: Architecture, hidden_states: Sequence[torch.Tensor], logits: torch.Tensor
) -> torch.Tensor:
    """``(rows, num_layers, vocab)`` lens logits at the last position of every row.

    ``hidden_states`` is the model's tuple of ``num_layers + 1`` tensors ``(rows, seq,
    hidden)`` and ``logits`` its final logits at the last position ``(rows, vocab)``.
    """
    import torch

    if len(hidden_states) != arch.num_layers + 1:
        raise LensError(f"expected {arch.num_layers + 1} hidden states, got {len(hidden_states)}")
    stack = torch.stack([h[:, -1, :] for h in hidden_states[1:]], dim=1)  # (rows, L, hidden)
    inner = arch.final_norm(stack[:, :-1, :])
    last = stack[:, -1, :]
    if not last_entry_is_normed(arch, last, logits):
        last = arch.final_norm(last)
    return _head(arch, torch.cat([inner, last[:, None, :]], dim=1))


def batch_lds(model: Any, arch: Architecture, batch: Batch, tokens: AnswerTokens) -> torch.Tensor:
    """``(rows, num_layers)`` LD by layer for one batch: one forward pass."""
    out = model(
        **batch.model_inputs(), output_hidden_states=True, use_cache=False, logits_to_keep=1
    )
    return logit_diff(lens_logits(arch, out.hidden_states, out.logits[:, -1, :]), tokens)


def run_logit_lens(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[LensPrompt],
    tokens: AnswerTokens,
    *,
    arch: Architecture | None = None,
    batch_size: int = 8,
) -> list[LensResult]:
    """LD by layer for every prompt, in the order given (batched, left-padded)."""
    import torch

    arch = arch or find_architecture(model)
    rows = encode(tokenizer, prompts)
    found: dict[int, tuple[float, ...]] = {}
    with torch.inference_mode():
        for batch in batches(rows, batch_size, pad_id(tokenizer), model_device(model)):
            lds = batch_lds(model, arch, batch, tokens).cpu().tolist()
            for i, values in zip(batch.index, lds, strict=True):
                found[i] = tuple(float(v) for v in values)
    return [
        LensResult(p.pair_id, p.category, p.half, found[i], len(rows[i]))
        for i, p in enumerate(prompts)
    ]
