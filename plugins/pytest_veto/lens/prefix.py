"""The exact head sweep's ablated passes with shared prefixes computed once (veto-spec 6).

Every lens prompt starts with the same templated system turn, and the two halves of a
pair share their context up to the first differing token. With a head of layer ``l``
ablated by ``zero`` or ``dataset_mean`` (both position-wise), a token's states depend
only on the tokens up to it, so a prefix shared by several prompts has the same states
in all of them, ablated or not. :func:`shared_prefix_pass` therefore runs one ablated
pass as a chain of cached passes over a prefix tree:

1. the prefix common to every prompt of the chunk, one row per ablated head;
2. each pair's own shared context, one row per (pair, head), attending to (1) through
   the key/value cache;
3. each prompt's remaining tokens, one row per (prompt, head), attending to (1) and (2).

Each level starts at layer ``l`` like the plain pass (:func:`pytest_veto.lens.hooks.start_at_layer`
returns the clean residual stream of the level's own tokens), so blocks below ``l`` run
for no row. Segments of different lengths are left-padded inside their level: the
attention mask covers the padding and the position ids count real tokens only, so each
row sees exactly its own prompt. The skipped blocks' cache entries are one-wide
placeholders that only carry the sequence length the model reads its mask size from.

Only for model types whose every layer attends to the full context without extra
state (:data:`SHARED_PREFIX_TYPES`); ``mean`` ablation averages over the whole prompt,
so a prefix's states depend on its suffix there: both take the plain path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_veto.backends.answer_tokens import AnswerTokens
from pytest_veto.backends.prefix import shared_prefix, with_cache
from pytest_veto.lens.architecture import Architecture
from pytest_veto.lens.hooks import AblationMode, ablate_heads, row_masks, start_at_layer
from pytest_veto.lens.inputs import logit_diff

if TYPE_CHECKING:
    import torch

#: Model types tested against one-head-at-a-time ablation through this path.
SHARED_PREFIX_TYPES = frozenset({"llama"})


def can_share_prefix(model: Any, arch: Architecture, mode: AblationMode) -> bool:
    """Whether :func:`shared_prefix_pass` is exact for this model and mode."""
    config = getattr(model, "config", None)
    layer_types = getattr(config, "layer_types", None) or ()
    return (
        mode in ("zero", "dataset_mean")
        and arch.model_type in SHARED_PREFIX_TYPES
        and all(t == "full_attention" for t in layer_types)
        and not getattr(config, "sliding_window", None)
    )


@dataclass(frozen=True)
class Node:
    """One segment of the prefix tree: tokens ``[start, end)`` of chunk row ``row``
    (any row that shares them), under node ``parent`` of the level above (-1: none)."""

    parent: int
    row: int
    start: int
    end: int


def prefix_tree(rows: Sequence[Sequence[int]], groups: Sequence[str]) -> list[list[Node]]:
    """Levels of the tree for a chunk: the common prefix, each group's (pair's) shared
    context, each row's rest (never empty, so every row ends on its own last token; the
    last level lists the rows in order). A level whose segments are all empty is left
    out, its children hanging from its own parents."""
    common = shared_prefix(rows)
    members: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    middle: list[Node] = []
    owner: dict[int, int] = {}
    for index in members.values():
        shared = shared_prefix([rows[i] for i in index])
        for i in index:
            owner[i] = len(middle)
        middle.append(Node(0, index[0], common, max(shared, common)))
    last = [Node(owner[i], i, middle[owner[i]].end, len(row)) for i, row in enumerate(rows)]
    levels = [[Node(-1, 0, 0, common)], middle, last]
    kept: list[list[Node]] = []
    for depth, level in enumerate(levels):
        if depth == len(levels) - 1 or any(n.end > n.start for n in level):
            kept.append(level)
            continue
        below = levels[depth + 1]  # this level is empty: skip it
        levels[depth + 1] = [Node(level[c.parent].parent, c.row, c.start, c.end) for c in below]
    return kept


def _placeholder(cache: Any, start: int, rows: int, length: int, like: torch.Tensor) -> None:
    """Grow the skipped blocks' cache entries by ``length`` one-wide positions."""
    import torch

    dummy = torch.zeros((rows, 1, length, 1), dtype=like.dtype, device=like.device)
    for layer in range(start):
        cache.update(dummy, dummy, layer)


def shared_prefix_pass(
    model: Any,
    arch: Architecture,
    rows: Sequence[Sequence[int]],
    groups: Sequence[str],
    hidden: torch.Tensor,
    layer: int,
    heads: Sequence[int],
    tuple_out: bool,
    tokens: AnswerTokens,
    mode: AblationMode,
    means: Mapping[int, torch.Tensor] | None,
    pad: int,
) -> list[list[float]]:
    """``[row][head]`` final LDs with each of ``heads`` of ``layer`` ablated alone.

    ``rows`` are the chunk's token rows, ``groups`` their pairs, ``hidden`` the clean
    residual stream entering ``layer`` for the chunk's left-padded batch.
    """
    import torch
    from transformers import DynamicCache

    n = len(heads)
    width = hidden.shape[1]
    device = hidden.device
    cache = DynamicCache()
    mask = torch.zeros((n, 0), dtype=torch.long, device=device)
    seen = torch.zeros(n, dtype=torch.long, device=device)
    logits: torch.Tensor | None = None
    for level in prefix_tree(rows, groups):
        parents = torch.tensor([max(node.parent, 0) for node in level], device=device)
        parent_rows = (parents[:, None] * n + torch.arange(n, device=device)).reshape(-1)
        if mask.shape[1]:
            cache.batch_select_indices(parent_rows)
        mask, seen = mask[parent_rows], seen[parent_rows]
        seg = max(node.end - node.start for node in level)
        ids = torch.full((len(level), seg), pad, dtype=torch.long)
        seg_mask = torch.zeros((len(level), seg), dtype=torch.long)
        cached = torch.zeros((len(level), seg, hidden.shape[2]), dtype=hidden.dtype)
        for k, node in enumerate(level):
            size = node.end - node.start
            if not size:
                continue
            ids[k, seg - size :] = torch.tensor(list(rows[node.row][node.start : node.end]))
            seg_mask[k, seg - size :] = 1
            offset = width - len(rows[node.row])
            cached[k, seg - size :] = hidden[node.row, offset + node.start : offset + node.end]
        ids, seg_mask = ids.repeat_interleave(n, 0), seg_mask.repeat_interleave(n, 0)
        ids, seg_mask = ids.to(device), seg_mask.to(device)
        positions = (seen[:, None] + seg_mask.cumsum(-1) - 1).clamp_min(0)
        mask = torch.cat([mask, seg_mask], dim=1)
        select = row_masks(arch, [[(layer, h)] for _ in level for h in heads])[layer]
        inputs = {
            "input_ids": ids,
            "attention_mask": mask,
            "position_ids": positions,
            **with_cache(model, cache),
        }
        residual = cached.to(device).repeat_interleave(n, 0) if layer > 0 else None
        with (
            start_at_layer(arch, layer, residual, tuple_out),
            ablate_heads(arch, {layer: select}, mode=mode, means=means),
        ):
            out = model(**inputs, use_cache=True, logits_to_keep=1)
        _placeholder(cache, layer, len(level) * n, seg, hidden)
        seen = seen + seg_mask.sum(-1)
        logits = out.logits[:, -1, :]
    assert logits is not None
    lds = logit_diff(logits, tokens).view(len(rows), n)
    return [[float(v) for v in row] for row in lds.tolist()]
