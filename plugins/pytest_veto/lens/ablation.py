"""Per-head ablation: the exact single-head sweep and top-K joint ablation (veto-spec 6).

**What is ablated.** Head ``h`` of layer ``l`` is removed by replacing its slice
``[h * head_dim, (h + 1) * head_dim)`` of the *input* to the layer's attention output
projection (``o_proj``; GPT-2 ``c_proj``, Phi ``dense``) at every position, with zeros
or a mean (:mod:`pytest_veto.lens.hooks`). That input is the concatenation of the
per-head attention outputs, so the head's whole contribution ``W_O[:, slice] @ z_h``
leaves the residual stream and nothing else changes (the projection's bias stays).

**Why this differs from the published code.** The authors' released code zeroes the
slice ``[h * head_dim, (h + 1) * head_dim)`` of the projection's *output*. Those are
``head_dim`` coordinates of the residual stream, and every head writes into all of them
through ``W_O``: zeroing them removes part of every head's output (and of the bias) in
those coordinates and keeps head ``h``'s output in all the others. It is a
residual-subspace ablation, not a head ablation, so its ranking of "heads" need not
match ours.

**Means.** ``mean``: the slice's mean over the same prompt's real (unpadded) positions,
so the head keeps its average output and loses its position-specific information.
``dataset_mean``: one vector per layer, the slice's mean over all real positions of a
set of prompts (:func:`dataset_means`, e.g. both halves of the control pairs).

**How the sweep is batched.** A head in block ``l`` changes nothing before ``l``. For a
chunk of prompts we run the model once (clean, with hidden states), keep the residual
stream entering each block (``hidden_states[l]``) and then, per layer, run a batch with
one row per (prompt, head) in which blocks ``0..l-1`` are skipped (block ``l - 1``
returns the cached stream) and a per-row mask ablates a different head in each row.
Blocks are skipped by replacing their ``forward`` for the duration of the call, not by
running blocks by hand, so the model still builds its own masks, rotary tables and
position embeddings; that keeps it correct across architectures (tested against
one-at-a-time ablation on Llama, Gemma 2 and GPT-2). On average this halves the work of
H full forward passes per layer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_veto.backends.answer_tokens import AnswerTokens
from pytest_veto.lens.architecture import Architecture, LensError, find_architecture
from pytest_veto.lens.hooks import (
    AblationMode,
    ablate_heads,
    capture_attn_inputs,
    row_masks,
    start_at_layer,
)
from pytest_veto.lens.inputs import (
    LensPrompt,
    batches,
    encode,
    logit_diff,
    make_batch,
    model_device,
    pad_id,
)
from pytest_veto.lens.prefix import can_share_prefix, shared_prefix_pass
from pytest_veto.lens.ranking import HeadEffect, HeadKey, PromptKey, head_effects
from pytest_veto.run.progress import ProgressSink, count_line

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class SweepResult:
    """Exact final LD of every prompt with each swept head ablated alone."""

    mode: AblationMode
    baseline: Mapping[PromptKey, float]
    ablated: Mapping[PromptKey, Mapping[HeadKey, float]]
    seconds: float

    def deltas(self) -> dict[PromptKey, dict[HeadKey, float]]:
        """Ablated minus baseline, per prompt and head."""
        return {
            k: {h: v - self.baseline[k] for h, v in heads.items()}
            for k, heads in self.ablated.items()
        }

    def effects(self) -> list[HeadEffect]:
        """Per-head mean deltas and specificity, most specific first."""
        return head_effects(self.deltas())

    def as_dict(self) -> dict[str, Any]:
        """Plain data: every head's effect, ranked."""
        return {
            "mode": self.mode,
            "seconds": self.seconds,
            "n_prompts": len(self.baseline),
            "effects": [e.as_dict() for e in self.effects()],
        }


def plan_of(heads: Sequence[HeadKey]) -> dict[int, list[int]]:
    """``layer -> heads`` for a list of ``(layer, head)``."""
    plan: dict[int, list[int]] = {}
    for layer, head in heads:
        plan.setdefault(layer, []).append(head)
    return plan


def final_lds(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[LensPrompt],
    tokens: AnswerTokens,
    *,
    arch: Architecture | None = None,
    plan: Mapping[int, Sequence[int]] | None = None,
    mode: AblationMode = "zero",
    means: Mapping[int, torch.Tensor] | None = None,
    batch_size: int = 8,
    heads_per_prompt: Sequence[Sequence[HeadKey]] | None = None,
) -> list[float]:
    """Final LD of each prompt (in order), with the heads in ``plan`` ablated if given,
    or with each prompt's own heads (``heads_per_prompt``, one list per prompt)."""
    import torch

    arch = arch or find_architecture(model)
    rows = encode(tokenizer, prompts)
    if heads_per_prompt is not None and len(heads_per_prompt) != len(prompts):
        raise LensError(f"{len(heads_per_prompt)} head lists for {len(prompts)} prompts")
    found: dict[int, float] = {}
    with torch.inference_mode():
        for batch in batches(rows, batch_size, pad_id(tokenizer), model_device(model)):
            rows_plan: Mapping[int, Any] = (
                (plan or {})
                if heads_per_prompt is None
                else row_masks(arch, [heads_per_prompt[i] for i in batch.index])
            )
            with ablate_heads(
                arch, rows_plan, mode=mode, attention_mask=batch.attention_mask, means=means
            ):
                out = model(**batch.model_inputs(), use_cache=False, logits_to_keep=1)
            for i, ld in zip(
                batch.index, logit_diff(out.logits[:, -1, :], tokens).tolist(), strict=True
            ):
                found[i] = float(ld)
    return [found[i] for i in range(len(prompts))]


def dataset_means(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[LensPrompt],
    *,
    arch: Architecture | None = None,
    batch_size: int = 8,
) -> dict[int, torch.Tensor]:
    """Per layer, the mean input of the attention output projection over every real
    position of ``prompts``: the vectors ``dataset_mean`` ablation substitutes."""
    import torch

    arch = arch or find_architecture(model)
    rows = encode(tokenizer, prompts)
    layers = list(range(arch.num_layers))
    sums: dict[int, torch.Tensor] = {}
    count = 0
    with torch.inference_mode():
        for batch in batches(rows, batch_size, pad_id(tokenizer), model_device(model)):
            real = batch.attention_mask[:, :, None].float()
            with capture_attn_inputs(arch, layers) as seen:
                model(**batch.model_inputs(), use_cache=False, logits_to_keep=1)
            for layer in layers:
                total = (seen[layer].float() * real).sum(dim=(0, 1))
                sums[layer] = sums[layer] + total if layer in sums else total
            count += int(batch.attention_mask.sum())
    return {layer: total / max(count, 1) for layer, total in sums.items()}


def _returns_tuple(model: Any, arch: Architecture, inputs: Mapping[str, Any]) -> tuple[bool, Any]:
    """Run the clean pass with hidden states, noting whether blocks return tuples."""
    kind: list[bool] = []
    handle = arch.layers[0].register_forward_hook(
        lambda m, a, out: kind.append(isinstance(out, tuple))
    )
    try:
        out = model(**inputs, output_hidden_states=True, use_cache=False, logits_to_keep=1)
    finally:
        handle.remove()
    return bool(kind and kind[0]), out


def head_sweep(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[LensPrompt],
    tokens: AnswerTokens,
    *,
    arch: Architecture | None = None,
    heads: Sequence[HeadKey] | None = None,
    mode: AblationMode = "zero",
    means: Mapping[int, torch.Tensor] | None = None,
    max_rows: int = 64,
    progress: ProgressSink | None = None,
    share_prefix: bool = False,
) -> SweepResult:
    """Ablate each ``(layer, head)`` in ``heads`` (default: every head) alone on every prompt.

    ``max_rows`` bounds the rows of one forward pass (prompts x heads of a layer); it
    trades memory for speed. ``progress`` receives a line after every pass, counting
    the work in block-rows (a row through one block), so the estimate of the time left
    holds although passes for early layers cost more than late ones. ``share_prefix``
    computes prompts' shared prefixes once per ablated head where that is exact
    (:mod:`pytest_veto.lens.prefix`). Off by default: on SmolLM2 on two CPU cores it was
    not faster than the plain passes (docs/performance.md, 2026-12-04).
    """
    import torch

    start = time.perf_counter()
    arch = arch or find_architecture(model)
    keys = (
        list(heads)
        if heads is not None
        else [(layer, h) for layer in range(arch.num_layers) for h in range(arch.num_heads)]
    )
    if not keys:
        raise LensError("nothing to sweep: no heads")
    by_layer = {layer: sorted(set(hs)) for layer, hs in sorted(plan_of(keys).items())}
    rows = encode(tokenizer, prompts)
    share = share_prefix and can_share_prefix(model, arch, mode)
    order = _sweep_order(rows, [p.pair_id for p in prompts])
    per_chunk = max(1, max_rows // max(len(hs) for hs in by_layer.values()))
    baseline: dict[PromptKey, float] = {}
    ablated: dict[PromptKey, dict[HeadKey, float]] = {p.key: {} for p in prompts}
    device = model_device(model)
    work = len(rows) * sum(len(hs) * (arch.num_layers - layer) for layer, hs in by_layer.items())
    done = 0
    with torch.inference_mode():
        for c in range(0, len(order), per_chunk):
            chunk = order[c : c + per_chunk]
            batch = make_batch([rows[i] for i in chunk], chunk, pad_id(tokenizer), device)
            tuple_out, clean = _returns_tuple(model, arch, batch.model_inputs())
            for i, ld in zip(
                chunk, logit_diff(clean.logits[:, -1, :], tokens).tolist(), strict=True
            ):
                baseline[prompts[i].key] = float(ld)
            group = max(1, max_rows // len(chunk))  # heads per pass
            for layer, layer_heads in by_layer.items():
                for g in range(0, len(layer_heads), group):
                    part = layer_heads[g : g + group]
                    if share:
                        lds = shared_prefix_pass(
                            model,
                            arch,
                            [rows[i] for i in chunk],
                            [prompts[i].pair_id for i in chunk],
                            clean.hidden_states[layer],
                            layer,
                            part,
                            tuple_out,
                            tokens,
                            mode,
                            means,
                            pad_id(tokenizer),
                        )
                    else:
                        lds = _ablated_pass(
                            model,
                            arch,
                            batch.model_inputs(),
                            clean.hidden_states,
                            layer,
                            part,
                            tuple_out,
                            tokens,
                            mode,
                            means,
                        )
                    for r, i in enumerate(chunk):
                        for j, head in enumerate(part):
                            ablated[prompts[i].key][(layer, head)] = lds[r][j]
                    done += len(chunk) * len(part) * (arch.num_layers - layer)
                    if progress is not None:
                        progress(
                            count_line(
                                f"head sweep of {len(keys)} heads on {len(rows)} "
                                "prompts, block-rows",
                                done,
                                work,
                                time.perf_counter() - start,
                            ),
                            force=done == work,
                        )
    return SweepResult(mode, baseline, ablated, time.perf_counter() - start)


def _sweep_order(rows: Sequence[Sequence[int]], pairs: Sequence[str]) -> list[int]:
    """Prompts longest pair first (less padding), the halves of a pair next to each other
    (so a chunk shares their context)."""
    longest: dict[str, int] = {}
    for row, pair in zip(rows, pairs, strict=True):
        longest[pair] = max(longest.get(pair, 0), len(row))
    return sorted(range(len(rows)), key=lambda i: (-longest[pairs[i]], pairs[i], i))


def _ablated_pass(
    model: Any,
    arch: Architecture,
    inputs: Mapping[str, torch.Tensor],
    hidden_states: Sequence[torch.Tensor],
    layer: int,
    heads: Sequence[int],
    tuple_out: bool,
    tokens: AnswerTokens,
    mode: AblationMode,
    means: Mapping[int, torch.Tensor] | None,
) -> list[list[float]]:
    """One pass with one row per (prompt, head): ``[prompt][head]`` final LDs."""

    n = len(heads)
    expanded = {k: v.repeat_interleave(n, dim=0) for k, v in inputs.items()}
    prompts = inputs["input_ids"].shape[0]
    select = row_masks(arch, [[(layer, h)] for _ in range(prompts) for h in heads])[layer]
    cached = hidden_states[layer].repeat_interleave(n, dim=0) if layer > 0 else None
    with (
        start_at_layer(arch, layer, cached, tuple_out),
        ablate_heads(
            arch, {layer: select}, mode=mode, attention_mask=expanded["attention_mask"], means=means
        ),
    ):
        out = model(**expanded, use_cache=False, logits_to_keep=1)
    lds = logit_diff(out.logits[:, -1, :], tokens).view(prompts, n)
    return [[float(v) for v in row] for row in lds.tolist()]
