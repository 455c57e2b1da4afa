"""Stopping local generation once the first JSON answer is out.

The parser reads the first JSON-style answer outside thinking
(``answer_text.first_json_answer``); once a row's text holds one, no later token can
change what the parser reads, so generating the rest of the budget is wasted time. The
criterion below stops each row there (transformers stops a batch when every row is done;
a finished row is padded meanwhile, and the other rows' tokens do not change).

A JSON answer ends with a double quote, so a row's text is decoded and searched only on
the steps whose newest token holds one: a few decodes per row, not one per token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_veto.backends.answer_text import first_json_answer

if TYPE_CHECKING:
    import torch


def first_answer_stop(tokenizer: Any, prompt_width: int, prefix: str = "") -> Any:
    """A ``StoppingCriteriaList`` that marks a row done once ``prefix`` + its new text (from
    position ``prompt_width``) holds the first JSON answer."""
    from transformers import StoppingCriteria, StoppingCriteriaList

    quotes: dict[int, bool] = {}

    def has_quote(token: int) -> bool:
        if token not in quotes:
            quotes[token] = '"' in tokenizer.decode([token], skip_special_tokens=True)
        return quotes[token]

    class FirstAnswer(StoppingCriteria):
        """Done once the row's text holds the first JSON answer (see the module)."""

        def __call__(
            self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
        ) -> torch.BoolTensor:
            import torch

            done = [False] * input_ids.shape[0]
            for row, ids in enumerate(input_ids.tolist()):
                new = ids[prompt_width:]
                if new and has_quote(new[-1]):
                    text = tokenizer.decode(new, skip_special_tokens=True)
                    done[row] = first_json_answer(prefix + text) is not None
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]

    return StoppingCriteriaList([FirstAnswer()])
