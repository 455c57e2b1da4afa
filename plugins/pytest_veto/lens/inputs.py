"""Prompts, answer tokens and padded batches for the lens tools (veto-spec section 6).

The lens prompt is not the behavioural one: system ``You are a helpful assistant. Answer
the question with only 'yes' or 'no'.``, user = the half's text, the chat template with
the generation prompt. The read position is the prompt's last token. Rendering goes
through a ``Render`` callable, normally :meth:`HFBackend.chat_prompt` (which handles
templates without a system role and tokenizers without a template);
:func:`template_renderer` is the plain ``apply_chat_template`` alternative.

Batches are left-padded, so the read position is the last column of every row, with an
attention mask over the real tokens and position ids that number the real tokens from 0
(as if unpadded, which is what ``generate`` does). torch is imported inside functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_veto.backends.answer_tokens import AnswerTokens, standalone_answer_tokens
from pytest_veto.backends.protocol import Message
from pytest_veto.data.pairs import HALVES, HalfName, Pair
from pytest_veto.lens.architecture import LensError
from pytest_veto.run.priming import PrimingVariant, placement

if TYPE_CHECKING:
    import torch

LENS_SYSTEM_PROMPT = "You are a helpful assistant. Answer the question with only 'yes' or 'no'."
#: Turns chat messages into the templated prompt text (ending with the generation prompt).
Render = Callable[[Sequence[Message]], str]


@dataclass(frozen=True)
class LensPrompt:
    """One half of one pair, templated: what the lens and the ablations read."""

    pair_id: str
    category: str
    half: HalfName
    text: str

    @property
    def key(self) -> tuple[str, HalfName]:
        """``(pair_id, half)``: how results refer to this prompt."""
        return (self.pair_id, self.half)


def lens_messages(
    text: str, variant: PrimingVariant | None = None, pair: Pair | None = None, half: str = ""
) -> tuple[Message, Message]:
    """The section-6 messages for a half's text; with a priming ``variant`` (and the
    ``pair`` and ``half``), its cue placed as in the behavioural run (the trigger sentence
    and a space before the stereotyped half's text, as the release's trigger file has it)."""
    if variant is None or pair is None:
        return (Message("system", LENS_SYSTEM_PROMPT), Message("user", text))
    where = placement(variant, pair, half, LENS_SYSTEM_PROMPT)
    system = LENS_SYSTEM_PROMPT if where.system_override is None else where.system_override
    user = where.user_prefix + text + where.user_suffix
    return (Message("system", system), Message("user", user))


def template_renderer(tokenizer: Any) -> Render:
    """A ``Render`` that calls the tokenizer's chat template with the generation prompt."""

    def render(messages: Sequence[Message]) -> str:
        plain = [m.as_dict() for m in messages]
        return str(tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=True))

    return render


def lens_prompts(
    pairs: Iterable[Pair], render: Render, variant: PrimingVariant | None = None
) -> list[LensPrompt]:
    """Both halves of every pair (stereotyped, then contrast), templated by ``render``,
    under a priming ``variant`` when given (the published lens read the trigger run's
    prompts: the trigger sentence before the stereotyped half)."""
    return [
        LensPrompt(
            pair.id,
            pair.category,
            half,
            render(lens_messages(pair.half(half).text, variant, pair, half)),
        )
        for pair in pairs
        for half in HALVES
    ]


def lens_answer_tokens(tokenizer: Any) -> AnswerTokens:
    """The yes/no token sets the lens reads, as published: each spelling encoded on its
    own, kept if it is one token (see :mod:`pytest_veto.backends.answer_tokens` for what
    that gives on each tokenizer family). Raises LensError if either side has none.
    """
    tokens = standalone_answer_tokens(tokenizer)
    if not tokens.yes or not tokens.no:
        raise LensError(f"no single-token spelling of yes or no: {tokens.as_json()}")
    return tokens


def encode(tokenizer: Any, prompts: Sequence[LensPrompt]) -> list[list[int]]:
    """Token ids of each templated prompt (the template carries its own special tokens)."""
    rows = [list(tokenizer.encode(p.text, add_special_tokens=False)) for p in prompts]
    empty = [p.key for p, r in zip(prompts, rows, strict=True) if not r]
    if empty:
        raise LensError(f"prompts that encode to no tokens: {empty[:3]}")
    return rows


def pad_id(tokenizer: Any) -> int:
    """A padding id (masked out, so any real token will do)."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0


@dataclass(frozen=True)
class Batch:
    """Left-padded rows: ``index[i]`` is the position in the caller's list of row ``i``."""

    index: tuple[int, ...]
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor

    def model_inputs(self) -> dict[str, torch.Tensor]:
        """Keyword arguments for the model's forward."""
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "position_ids": self.position_ids,
        }


def make_batch(rows: Sequence[Sequence[int]], index: Sequence[int], pad: int, device: Any) -> Batch:
    """One left-padded batch of the given token rows."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, tokens in enumerate(rows):
        ids[i, width - len(tokens) :] = torch.tensor(list(tokens), dtype=torch.long)
        mask[i, width - len(tokens) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp_min(0)
    return Batch(tuple(index), ids.to(device), mask.to(device), positions.to(device))


def batches(
    rows: Sequence[Sequence[int]], batch_size: int, pad: int, device: Any
) -> Iterator[Batch]:
    """Rows grouped longest first (less padding) into batches of at most ``batch_size``."""
    if batch_size < 1:
        raise LensError(f"batch size must be at least 1, not {batch_size}")
    order = sorted(range(len(rows)), key=lambda i: (-len(rows[i]), i))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        yield make_batch([rows[i] for i in chunk], chunk, pad, device)


def model_device(model: Any) -> Any:
    """The device of the model's parameters."""
    return next(model.parameters()).device


def answer_ids(tokens: AnswerTokens) -> tuple[list[int], list[int]]:
    """The yes ids and the no ids, each deduplicated in spelling order."""
    return list(dict.fromkeys(tokens.yes.values())), list(dict.fromkeys(tokens.no.values()))


def logit_diff(logits: torch.Tensor, tokens: AnswerTokens) -> torch.Tensor:
    """LD over the last axis: max logit of the yes ids minus max of the no ids, in float32
    (float64 when the logits are)."""
    import torch

    yes, no = answer_ids(tokens)
    values = logits if logits.dtype == torch.float64 else logits.float()
    return values[..., yes].max(dim=-1).values - values[..., no].max(dim=-1).values


def softcap(logits: torch.Tensor, cap: float | None) -> torch.Tensor:
    """Gemma-2 style final soft-capping: ``cap * tanh(logits / cap)``; identity for None."""
    if cap is None:
        return logits
    import torch

    return torch.tanh(logits / cap) * cap
