"""Next-token logits of a batch whose prompts share their first tokens, computed once.

Every VETO prompt starts with the same system turn (about a third of its tokens on
SmolLM2's template), and a batch's rows are otherwise unrelated. :func:`prefill` (for
logits scoring, :func:`last_logits`; for generation, ``greedy.py``) finds the rows'
longest common token prefix, runs it once (one row), repeats its key-value cache over
the batch, and runs only each row's own suffix on top. The suffixes
are left-padded inside their block (``[prefix][padding][suffix]``), with the attention
mask and position ids the plain path would give the real tokens, so each row's logits
are the plain path's up to floating-point rounding (tests compare them). No assumption
about the chat template is made: the shared part is found in the token ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

#: a shorter shared prefix is not worth a second forward
MIN_PREFIX = 8


def with_cache(model: Any, cache: Any) -> dict[str, Any]:
    """The keyword that hands ``cache`` to ``model``'s forward: ``cache`` in recent
    transformers, ``past_key_values`` before (an unknown keyword would be swallowed by
    the forward's ``**kwargs`` and the cache silently left empty)."""
    import inspect

    params = inspect.signature(model.forward).parameters
    return {"cache": cache} if "cache" in params else {"past_key_values": cache}


def check_filled(cache: Any, length: int) -> None:
    """The cache holds ``length`` positions after a forward that should have filled it."""
    from pytest_veto.backends.protocol import BackendError

    held = cache.get_seq_length()
    if held != length:
        raise BackendError(
            f"the key-value cache holds {held} positions after {length} tokens: this "
            "transformers version does not take the cache as pytest-veto passes it"
        )


def shared_prefix(rows: Sequence[Sequence[int]]) -> int:
    """The length of the rows' common prefix, leaving every row at least one token."""
    if not rows:
        return 0
    limit = min(len(r) for r in rows) - 1
    first = rows[0]
    length = 0
    while length < limit and all(r[length] == first[length] for r in rows):
        length += 1
    return max(length, 0)


def last_logits(
    model: Any, rows: Sequence[Sequence[int]], pad_id: int, device: Any
) -> torch.Tensor:
    """The logits after each row's last token, shape (rows, vocabulary)."""
    from transformers import DynamicCache

    logits, _, _ = prefill(model, rows, pad_id, device, DynamicCache())
    return logits


def prefill(
    model: Any, rows: Sequence[Sequence[int]], pad_id: int, device: Any, cache: Any
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run the rows into ``cache`` (their shared prefix once, when it is long enough):
    the logits after each row's last token, the attention mask over the cache's
    positions, and each row's last position id (what generation continues from)."""
    import torch

    width = shared_prefix(rows)
    if len(rows) < 2 or width < MIN_PREFIX:
        width = 0  # nothing worth running apart: the batch whole
    else:
        prefix = torch.tensor([list(rows[0][:width])], dtype=torch.long, device=device)
        model(input_ids=prefix, use_cache=True, logits_to_keep=1, **with_cache(model, cache))
        check_filled(cache, width)
        cache.batch_repeat_interleave(len(rows))
    ids, own = left_padded([r[width:] for r in rows], pad_id, device)
    mask = torch.cat([own.new_ones((len(rows), width)), own], dim=-1)
    # forward() would number positions 0..n-1 regardless of padding: give the real
    # tokens the positions they have unpadded, as generate() does
    positions = width + (own.cumsum(-1) - 1).clamp_min(0)
    out = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        use_cache=True,
        logits_to_keep=1,
        **with_cache(model, cache),
    )
    check_filled(cache, width + ids.shape[1])
    return out.logits[:, -1, :], mask, positions[:, -1:]


def _plain(model: Any, rows: Sequence[Sequence[int]], pad_id: int, device: Any) -> torch.Tensor:
    """The logits after each row's last token from one plain forward of the whole batch,
    without a cache: the reference the shared-prefix path is tested against."""
    ids, mask = left_padded(rows, pad_id, device)
    positions = (mask.cumsum(-1) - 1).clamp_min(0)
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=1)
    logits: torch.Tensor = out.logits[:, -1, :]
    return logits


def left_padded(
    rows: Sequence[Sequence[int]], pad_id: int, device: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded ``input_ids`` and ``attention_mask`` on ``device``."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, tokens in enumerate(rows):
        if tokens:
            ids[row, width - len(tokens) :] = torch.tensor(list(tokens), dtype=torch.long)
            mask[row, width - len(tokens) :] = 1
    return ids.to(device), mask.to(device)
