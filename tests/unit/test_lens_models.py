"""Architecture lookup and the logit lens on tiny random models built from configs (no
downloads, seconds): every supported family, hidden-state semantics checked per family,
the last layer against the model's own logits, no double final norm, Gemma-2 soft-cap,
left-padded batches against single prompts, and an LD computed by hand from the weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_veto.backends.answer_tokens import AnswerTokens
from pytest_veto.lens.architecture import (
    LensError,
    UnsupportedArchitecture,
    find_architecture,
)
from pytest_veto.lens.inputs import (
    LensPrompt,
    lens_answer_tokens,
    lens_messages,
    make_batch,
    template_renderer,
)
from pytest_veto.lens.logit_lens import (
    batch_lds,
    last_entry_is_normed,
    lens_logits,
    run_logit_lens,
)
from tests.support.tiny_llama import build_tiny_llama
from tests.support.tiny_models import tiny_model_perturbed_norms

KINDS = ("llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3_text", "gpt2", "phi")
TEXTS = (
    "Was the grandfather not comfortable using the phone?",
    "The grandfather and the grandson were setting up a new phone. Did the man steal the money?",
    "Yes or no?",
    "Does the woman use drugs? It is not okay to assume old people were not comfortable.",
)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = build_tiny_llama(tmp_path_factory.mktemp("lens-tiny"))
    return transformers.AutoTokenizer.from_pretrained(path)


@pytest.fixture(scope="module")
def prompts(tokenizer: Any) -> list[LensPrompt]:
    render = template_renderer(tokenizer)
    return [
        LensPrompt(
            f"p{i}", "Age", "stereotyped" if i % 2 == 0 else "contrast", render(lens_messages(text))
        )
        for i, text in enumerate(TEXTS)
    ]


@pytest.fixture(scope="module")
def tokens(tokenizer: Any) -> AnswerTokens:
    return lens_answer_tokens(tokenizer)


@pytest.fixture(scope="module", params=KINDS)
def model(request: pytest.FixtureRequest, tokenizer: Any) -> Any:
    return tiny_model_perturbed_norms(request.param, len(tokenizer))


def _model_ld(model: Any, tokenizer: Any, prompt: LensPrompt, tokens: AnswerTokens) -> float:
    ids = torch.tensor([tokenizer.encode(prompt.text, add_special_tokens=False)])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, -1].float()
    yes, no = list(tokens.yes.values()), list(tokens.no.values())
    return float(logits[yes].max() - logits[no].max())


# -- architecture -----------------------------------------------------------------------


def test_find_architecture_locates_every_part(model: Any) -> None:
    arch = find_architecture(model)
    config = model.config
    assert arch.model_type == config.model_type
    assert arch.num_layers == 3 and arch.num_heads == 4
    assert arch.head_dim == (16 if config.model_type in {"qwen3", "gemma2", "gemma3_text"} else 8)
    assert arch.lm_head is model.lm_head
    assert arch.softcap == (5.0 if config.model_type == "gemma2" else None)
    if config.model_type == "gpt2":
        assert arch.final_norm is model.transformer.ln_f
        assert arch.attn_out[1] is model.transformer.h[1].attn.c_proj  # not mlp.c_proj
    elif config.model_type == "phi":
        assert arch.final_norm is model.model.final_layernorm
        assert arch.attn_out[2] is model.model.layers[2].self_attn.dense
    else:
        assert arch.final_norm is model.model.norm
        assert arch.attn_out[0] is model.model.layers[0].self_attn.o_proj
    assert arch.describe()["num_layers"] == 3


def test_unknown_model_types_are_tried_by_attribute_paths(tokenizer: Any) -> None:
    model = tiny_model_perturbed_norms("llama", len(tokenizer))
    model.config.model_type = "my-llama-fork"
    arch = find_architecture(model)
    assert arch.attn_out[2] is model.model.layers[2].self_attn.o_proj
    assert arch.final_norm is model.model.norm


def test_unsupported_architectures_fail_clearly(tokenizer: Any) -> None:
    not_a_model = torch.nn.Module()
    not_a_model.config = transformers.PretrainedConfig(model_type="mamba-ish")
    with pytest.raises(UnsupportedArchitecture, match=r"mamba-ish.*decoder layers.*Known"):
        find_architecture(not_a_model)
    with pytest.raises(UnsupportedArchitecture, match="no config"):
        find_architecture(torch.nn.Linear(2, 2))
    model = tiny_model_perturbed_norms("llama", len(tokenizer))
    model.config.head_dim = 4  # 4 heads x 4 != the projection's 32 inputs
    with pytest.raises(UnsupportedArchitecture, match="takes 32 inputs"):
        find_architecture(model)


def test_gemma3_multimodal_keeps_its_text_stack_under_language_model(
    tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    t = transformers
    try:
        config = t.Gemma3Config(
            text_config={
                "vocab_size": len(tokenizer),
                "hidden_size": 32,
                "intermediate_size": 64,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "num_key_value_heads": 2,
                "head_dim": 16,
                "final_logit_softcapping": 7.0,
            },
            vision_config={
                "hidden_size": 16,
                "intermediate_size": 32,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "image_size": 16,
                "patch_size": 8,
            },
            mm_tokens_per_image=4,
        )
        model = t.Gemma3ForConditionalGeneration(config).eval()
    except Exception as exc:
        pytest.skip(f"cannot build a tiny Gemma 3 multimodal model here: {exc}")
    arch = find_architecture(model)
    assert arch.model_type == "gemma3" and arch.num_layers == 2 and arch.softcap == 7.0
    assert arch.attn_out[1] is model.model.language_model.layers[1].self_attn.o_proj
    assert arch.final_norm is model.model.language_model.norm
    results = run_logit_lens(model, tokenizer, prompts, tokens, batch_size=4)
    for prompt, result in zip(prompts, results, strict=True):
        assert result.final_ld == pytest.approx(
            _model_ld(model, tokenizer, prompt, tokens), abs=1e-4
        )


# -- hidden-state semantics, per family ---------------------------------------------------


def test_hidden_states_are_block_outputs_and_the_last_is_normed(
    model: Any, tokenizer: Any, prompts: list[LensPrompt]
) -> None:
    """What the lens relies on, checked for each family in this transformers release:
    entry l + 1 is block l's output, and the last entry is the final norm of it."""
    arch = find_architecture(model)
    outputs: list[Any] = []
    handles = [
        layer.register_forward_hook(
            lambda m, a, out: outputs.append(out[0] if isinstance(out, tuple) else out)
        )
        for layer in arch.layers
    ]
    ids = torch.tensor([tokenizer.encode(prompts[1].text, add_special_tokens=False)])
    try:
        with torch.no_grad():
            out = model(input_ids=ids, output_hidden_states=True)
    finally:
        for handle in handles:
            handle.remove()
    hidden = out.hidden_states
    assert len(hidden) == arch.num_layers + 1
    for layer in range(arch.num_layers - 1):
        torch.testing.assert_close(hidden[layer + 1], outputs[layer])
    with torch.no_grad():
        torch.testing.assert_close(hidden[-1], arch.final_norm(outputs[-1]))
        assert not torch.allclose(hidden[-1], outputs[-1], atol=1e-3)
        assert last_entry_is_normed(arch, hidden[-1][:, -1], out.logits[:, -1])
        assert not last_entry_is_normed(arch, outputs[-1][:, -1], out.logits[:, -1])
        with pytest.raises(LensError, match="cannot reproduce"):
            last_entry_is_normed(arch, outputs[-1][:, -1].flip(-1), out.logits[:, -1])


# -- the lens ---------------------------------------------------------------------------


def test_last_layer_of_the_lens_is_the_models_own_ld(
    model: Any, tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    arch = find_architecture(model)
    results = run_logit_lens(model, tokenizer, prompts, tokens, batch_size=3)
    for prompt, result in zip(prompts, results, strict=True):
        assert (result.pair_id, result.half) == prompt.key
        assert len(result.ld_by_layer) == arch.num_layers
        assert result.final_ld == pytest.approx(
            _model_ld(model, tokenizer, prompt, tokens), abs=1e-4
        )


def test_batched_left_padded_lens_equals_one_prompt_at_a_time(
    model: Any, tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    together = run_logit_lens(model, tokenizer, prompts, tokens, batch_size=4)
    alone = run_logit_lens(model, tokenizer, prompts, tokens, batch_size=1)
    assert len({r.n_tokens for r in alone}) > 1  # the batch was really padded
    for a, b in zip(together, alone, strict=True):
        assert a.ld_by_layer == pytest.approx(b.ld_by_layer, abs=1e-4)


def test_no_double_final_norm(
    tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    """Normalising the (already normed) last hidden state again would move its LD away
    from the model's: this model is one where that is visible, and the lens does not."""
    model = tiny_model_perturbed_norms("llama", len(tokenizer))
    arch = find_architecture(model)
    batch = make_batch([tokenizer.encode(prompts[0].text, add_special_tokens=False)], [0], 0, "cpu")
    with torch.no_grad():
        out = model(**batch.model_inputs(), output_hidden_states=True)
        twice = arch.lm_head(arch.final_norm(out.hidden_states[-1][:, -1]))[0]
        lens = batch_lds(model, arch, batch, tokens)[0]
    yes, no = list(tokens.yes.values()), list(tokens.no.values())
    model_ld = _model_ld(model, tokenizer, prompts[0], tokens)
    double_ld = float(twice[yes].max() - twice[no].max())
    assert abs(double_ld - model_ld) > 0.05  # the test can see a double norm
    assert float(lens[-1]) == pytest.approx(model_ld, abs=1e-4)


def test_gemma2_soft_caps_every_layer(
    tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    model = tiny_model_perturbed_norms("gemma2", len(tokenizer))
    arch = find_architecture(model)
    batch = make_batch([tokenizer.encode(prompts[1].text, add_special_tokens=False)], [0], 0, "cpu")
    with torch.no_grad():
        out = model(**batch.model_inputs(), output_hidden_states=True)
        capped = lens_logits(arch, out.hidden_states, out.logits[:, -1])
    assert capped.abs().max() <= 5.0 + 1e-5
    uncapped = arch.lm_head(arch.final_norm(out.hidden_states[1][:, -1]))
    assert uncapped.abs().max() > 5.0  # the cap matters on this model
    torch.testing.assert_close(capped[:, 0], 5.0 * torch.tanh(uncapped / 5.0))


def _rms(x: Any, weight: Any, eps: float) -> Any:
    return weight * x / torch.sqrt((x * x).mean() + eps)


def test_hand_computed_ld_on_a_two_layer_llama() -> None:
    """One token at position 0: attention is the value vector and rotary is the
    identity, so each block is a few explicit matrix products of its weights."""
    model = tiny_model_perturbed_norms("llama", 64, layers=2, seed=5)
    config = model.config
    tokens = AnswerTokens(yes={"yes": 5, " yes": 9}, no={"no": 7, " No": 11})
    token = 13
    groups = config.num_attention_heads // config.num_key_value_heads
    d = config.hidden_size // config.num_attention_heads
    eps = config.rms_norm_eps
    with torch.no_grad():
        x = model.model.embed_tokens.weight[token].double()
        expected = []
        for layer in model.model.layers:
            w = {k: v.double() for k, v in layer.state_dict().items()}
            n = _rms(x, w["input_layernorm.weight"], eps)
            v = w["self_attn.v_proj.weight"] @ n  # (kv_heads * d,)
            heads = [
                v[(h // groups) * d : (h // groups + 1) * d]
                for h in range(config.num_attention_heads)
            ]
            x = x + w["self_attn.o_proj.weight"] @ torch.cat(heads)
            n2 = _rms(x, w["post_attention_layernorm.weight"], eps)
            gate = torch.nn.functional.silu(w["mlp.gate_proj.weight"] @ n2)
            x = x + w["mlp.down_proj.weight"] @ (gate * (w["mlp.up_proj.weight"] @ n2))
            logits = model.lm_head.weight.double() @ _rms(x, model.model.norm.weight.double(), eps)
            expected.append(float(logits[[5, 9]].max() - logits[[7, 11]].max()))
        batch = make_batch([[token]], [0], 0, "cpu")
        lens = batch_lds(model, find_architecture(model), batch, tokens)[0].tolist()
    assert lens == pytest.approx(expected, abs=1e-4)
    assert abs(expected[0] - expected[1]) > 0.1  # the two layers really differ


def test_result_dict_and_prompt_helpers(
    tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    model = tiny_model_perturbed_norms("llama", len(tokenizer))
    result = run_logit_lens(model, tokenizer, prompts[:1], tokens)[0]
    data = result.as_dict()
    assert data["pair_id"] == "p0" and len(data["ld_by_layer"]) == 3
    assert prompts[0].text.endswith("<|im_start|>assistant\n")
    assert "Answer the question with only 'yes' or 'no'." in prompts[0].text
    assert set(tokens.yes) == {"yes", "Yes", "YES", " yes", " Yes"}
    with pytest.raises(LensError, match="batch size"):
        run_logit_lens(model, tokenizer, prompts, tokens, batch_size=0)


def test_lens_tokens_drop_multi_token_spellings(tmp_path: Path) -> None:
    """A tokenizer in which no spelling of NO is one token: it is dropped, not split."""
    path = build_tiny_llama(tmp_path / "tiny")
    tok = transformers.AutoTokenizer.from_pretrained(path)

    class Split:
        """The tiny tokenizer, except that "NO" encodes as two tokens."""

        def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
            ids = tok.encode(text.replace("NO", "N O"), add_special_tokens=False)
            return list(ids)

        def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
            return str(tok.decode(ids, skip_special_tokens=skip_special_tokens)).replace(
                "N O", "NO"
            )

    chosen = lens_answer_tokens(Split())
    assert "NO" not in chosen.no and {"no", "No", " no", " No"} <= set(chosen.no)
