"""The shared prompt prefix computed once (``backends.prefix``): the same next-token
logits as the plain left-padded batch, on a tiny Llama in float32."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch

from pytest_veto.backends.hf import HFBackend
from pytest_veto.backends.prefix import MIN_PREFIX, _plain, last_logits, shared_prefix
from pytest_veto.backends.protocol import BackendOptions, PromptRequest
from pytest_veto.run.prompts import build_messages
from tests.support.tiny_llama import build_tiny_llama


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> HFBackend:
    path: Path = build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))
    return HFBackend(f"hf/{path}", BackendOptions(batch_size=8, scoring="logits"))


def _rows(backend: HFBackend, texts: list[str]) -> list[list[int]]:
    return [
        backend.encode_prompt(PromptRequest(f"p{i}", "stereotyped", "base", build_messages(t)))
        for i, t in enumerate(texts)
    ]


def test_the_shared_prefix_is_found_in_the_tokens() -> None:
    assert shared_prefix([[1, 2, 3, 4], [1, 2, 3, 5, 6], [1, 2, 9]]) == 2
    assert shared_prefix([[1, 2, 3], [1, 2, 3]]) == 2  # every row keeps a token of its own
    assert shared_prefix([[1], [2]]) == 0 and shared_prefix([]) == 0


def test_the_logits_are_the_plain_paths(backend: HFBackend) -> None:
    rows = _rows(
        backend,
        [
            "Was the grandson not comfortable?",
            "A much longer context about the grandmother and the teenager at the library "
            "computer class. Was the grandmother confused by the tablet?",
            "Short?",
        ],
    )
    assert shared_prefix(rows) >= MIN_PREFIX  # the system turn
    pad, device = int(backend.tokenizer.pad_token_id), backend.hf_model.device
    with torch.inference_mode():
        reused = last_logits(backend.hf_model, rows, pad, device)
        plain = _plain(backend.hf_model, rows, pad, device)
        alone = [_plain(backend.hf_model, [r], pad, device)[0] for r in rows]
    assert torch.allclose(reused, plain, atol=1e-4, rtol=1e-4)
    for row, single in zip(reused, alone, strict=True):
        assert torch.allclose(row, single, atol=1e-4, rtol=1e-4)


def test_scoring_through_the_backend_keeps_its_answers(backend: HFBackend) -> None:
    texts = [f"Was the grandson number {i} not comfortable?" for i in range(5)]
    rows = _rows(backend, texts)
    pad, device = int(backend.tokenizer.pad_token_id), backend.hf_model.device
    with torch.inference_mode():
        plain = _plain(backend.hf_model, rows, pad, device).float()
    yes = plain[:, list(backend.answer_tokens.yes.values())].max(-1).values
    no = plain[:, list(backend.answer_tokens.no.values())].max(-1).values
    requests = [
        PromptRequest(f"p{i}", "stereotyped", "base", build_messages(t))
        for i, t in enumerate(texts)
    ]
    scored = backend.complete(requests)
    for completion, y, n in zip(scored, yes.tolist(), no.tolist(), strict=True):
        assert completion.logit_diff == pytest.approx(y - n, abs=1e-4)


def test_the_cache_goes_by_the_keyword_the_model_takes() -> None:
    """An unknown keyword would vanish into the forward's **kwargs and leave the cache
    empty: old transformers take ``past_key_values``, new ones ``cache``."""
    from pytest_veto.backends.prefix import check_filled, with_cache
    from pytest_veto.backends.protocol import BackendError

    class New:
        def forward(self, input_ids: object = None, cache: object = None) -> None: ...

    class Old:
        def forward(self, input_ids: object = None, past_key_values: object = None) -> None: ...

    assert with_cache(New(), "c") == {"cache": "c"}
    assert with_cache(Old(), "c") == {"past_key_values": "c"}

    class Empty:
        def get_seq_length(self) -> int:
            return 0

    with pytest.raises(BackendError, match="holds 0 positions after 12 tokens"):
        check_filled(Empty(), 12)
