"""The early stop on the real SmolLM2-135M-Instruct: under the published local budget
(128 new tokens), stopping at the first JSON answer gives every half the answer the
whole budget gives, in fewer tokens. A few minutes on two loaded CPU cores."""

from __future__ import annotations

import pytest

from tests.support.smollm2 import MODEL, require_smollm2

require_smollm2()

from pytest_veto.backends.hf import HFBackend
from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.answers import parse_answer
from pytest_veto.run.cases import Case, requests_for
from pytest_veto.run.decoding import DecodingOverrides, decoding_for


def test_stopping_at_the_first_answer_changes_no_answer(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    backend = HFBackend(
        MODEL, BackendOptions(batch_size=8), cache_dir=tmp_path_factory.mktemp("models")
    )
    pairs = load_pairs(sample_pairs_path())[:4]
    stop = decoding_for("direct", MODEL)
    full = decoding_for("direct", MODEL, DecodingOverrides(early_stop=False))
    assert stop.max_new_tokens == full.max_new_tokens == 128 and stop.early_stop
    stopped = backend.complete([r for p in pairs for r in requests_for(Case(p), stop)])
    whole = backend.complete([r for p in pairs for r in requests_for(Case(p), full)])
    backend.close()
    assert [parse_answer(c.text) for c in stopped] == [parse_answer(c.text) for c in whole]
    for s, w in zip(stopped, whole, strict=True):
        assert w.text.startswith(s.text)  # the same greedy tokens, cut at the answer
    assert sum(c.extra["new_tokens"] for c in stopped) <= sum(c.extra["new_tokens"] for c in whole)


def test_dropping_finished_rows_gives_generates_tokens(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The backend's own greedy loop (finished rows leave the batch) against
    transformers' generate() on real SmolLM2 prompts of different lengths: the same
    tokens for every row, under the published budget."""
    import torch

    from pytest_veto.backends.greedy import greedy_generate

    backend = HFBackend(
        MODEL, BackendOptions(batch_size=8), cache_dir=tmp_path_factory.mktemp("models")
    )
    full = decoding_for("direct", MODEL, DecodingOverrides(early_stop=False))
    pairs = load_pairs(sample_pairs_path())[4:8]
    rows = [backend.encode_prompt(r) for p in pairs for r in requests_for(Case(p), full)]
    ids, mask = backend._padded(rows)
    eos = set(backend.eos_token_ids)
    pad, device = int(backend.tokenizer.pad_token_id), backend.hf_model.device
    with torch.inference_mode():
        # the shared system turn run once (prefix.prefill), then the rows' own tokens
        ours = greedy_generate(backend.hf_model, rows, pad, device, full.max_new_tokens, eos)
        theirs = backend.hf_model.generate(
            input_ids=ids, attention_mask=mask, max_new_tokens=full.max_new_tokens
        )[:, ids.shape[1] :].tolist()
    backend.close()
    for mine, reference in zip(ours, theirs, strict=True):
        end = next((i + 1 for i, t in enumerate(reference) if t in eos), len(reference))
        assert mine == reference[:end]
