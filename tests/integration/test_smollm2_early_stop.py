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
