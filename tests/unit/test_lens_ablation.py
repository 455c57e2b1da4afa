"""Head ablation on tiny random models: the hooks' arithmetic and clean-up, the batched
sweep against one-head-at-a-time ablation (Llama, Gemma 2, GPT-2), top-K recovery, and
the attribution screen against a finite-difference derivative."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_veto.backends.answer_tokens import AnswerTokens
from pytest_veto.lens.ablation import dataset_means, final_lds, head_sweep
from pytest_veto.lens.architecture import LensError, find_architecture
from pytest_veto.lens.attribution import attribution_screen
from pytest_veto.lens.hooks import ablate_heads, capture_attn_inputs, start_at_layer
from pytest_veto.lens.inputs import (
    LensPrompt,
    lens_answer_tokens,
    lens_messages,
    make_batch,
    template_renderer,
)
from pytest_veto.lens.ranking import rank_agreement
from pytest_veto.lens.recovery import topk_recovery
from tests.support.tiny_llama import build_tiny_llama
from tests.support.tiny_models import tiny_model

TEXTS = (
    "Was the grandfather not comfortable using the phone?",
    "The grandfather and the grandson were setting up a new phone. Was the grandson?",
    "Did the man steal the money?",
    "Yes or no? Does the woman use drugs? The grandson was.",
)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return transformers.AutoTokenizer.from_pretrained(
        build_tiny_llama(tmp_path_factory.mktemp("lens-ablation"))
    )


@pytest.fixture(scope="module")
def prompts(tokenizer: Any) -> list[LensPrompt]:
    render = template_renderer(tokenizer)
    return [
        LensPrompt(
            f"p{i // 2}",
            "Age",
            "stereotyped" if i % 2 == 0 else "contrast",
            render(lens_messages(text)),
        )
        for i, text in enumerate(TEXTS)
    ]


@pytest.fixture(scope="module")
def tokens(tokenizer: Any) -> AnswerTokens:
    return lens_answer_tokens(tokenizer)


@pytest.fixture(scope="module")
def llama(tokenizer: Any) -> Any:
    return tiny_model("llama", len(tokenizer))


def _logits(model: Any, tokenizer: Any, prompts: list[LensPrompt]) -> Any:
    rows = [tokenizer.encode(p.text, add_special_tokens=False) for p in prompts]
    batch = make_batch(rows, range(len(rows)), 0, "cpu")
    with torch.no_grad():
        return model(**batch.model_inputs()).logits


# -- the hooks --------------------------------------------------------------------------


def test_zero_ablation_removes_exactly_the_heads_input_slice(llama: Any) -> None:
    arch = find_architecture(llama)
    proj = arch.attn_out[1]
    z = torch.randn(2, 5, arch.num_heads * arch.head_dim)
    expected = z.clone()
    expected[:, :, 2 * arch.head_dim : 3 * arch.head_dim] = 0
    with torch.no_grad(), ablate_heads(arch, {1: [2]}):
        got = proj(z)
    torch.testing.assert_close(got, torch.nn.functional.linear(expected, proj.weight, proj.bias))


def test_per_row_and_mean_ablation(llama: Any) -> None:
    arch = find_architecture(llama)
    proj, d = arch.attn_out[0], arch.head_dim
    z = torch.randn(2, 4, arch.num_heads * d)
    mask = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]])  # row 0 has one padding position
    select = torch.tensor([[True, False, False, False], [False, False, False, True]])
    seen: dict[int, Any] = {}
    with torch.no_grad(), ablate_heads(arch, {0: select}, mode="mean", attention_mask=mask):
        handle = proj.register_forward_pre_hook(lambda m, a: seen.setdefault(0, a[0].clone()))
        try:
            proj(z)
        finally:
            handle.remove()
    got = seen[0]  # the hook registered later sees the ablated input
    expected = z.clone()
    expected[0, :, 0:d] = z[0, 1:, 0:d].mean(0)  # padding excluded from the mean
    expected[1, :, 3 * d :] = z[1, :, 3 * d :].mean(0)
    torch.testing.assert_close(got, expected)


def test_ablation_arguments_are_checked(llama: Any) -> None:
    arch = find_architecture(llama)
    with pytest.raises(LensError, match=r"heads 0\.\.3"), ablate_heads(arch, {0: [4]}):
        pass
    with pytest.raises(LensError, match=r"layers 0\.\.2"), ablate_heads(arch, {3: [0]}):
        pass
    with (
        pytest.raises(LensError, match="needs a mean vector"),
        ablate_heads(arch, {0: [0]}, mode="dataset_mean"),
    ):
        pass
    with (
        pytest.raises(LensError, match="unknown ablation mode"),
        ablate_heads(arch, {0: [0]}, mode="random"),
    ):  # type: ignore[arg-type]
        pass


def test_hooks_leave_the_model_unchanged_also_after_an_error(
    llama: Any, tokenizer: Any, prompts: list[LensPrompt]
) -> None:
    arch = find_architecture(llama)
    before = _logits(llama, tokenizer, prompts)
    with ablate_heads(arch, {0: [0, 1], 2: [3]}), capture_attn_inputs(arch, [0, 1, 2]):
        assert not torch.equal(_logits(llama, tokenizer, prompts), before)
    with (
        pytest.raises(RuntimeError, match="boom"),
        ablate_heads(arch, {1: [1]}, mode="mean"),
        capture_attn_inputs(arch, [1]),
    ):
        raise RuntimeError("boom")
    cached = torch.zeros(1, 3, 32)
    with pytest.raises(RuntimeError, match="boom"), start_at_layer(arch, 2, cached):
        raise RuntimeError("boom")
    assert all(not p._forward_pre_hooks for p in arch.attn_out)
    assert all("forward" not in vars(layer) for layer in arch.layers)
    assert torch.equal(_logits(llama, tokenizer, prompts), before)


def test_ablating_no_head_changes_nothing_and_every_head_changes_the_output(
    llama: Any, tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    clean = final_lds(llama, tokenizer, prompts, tokens)
    assert final_lds(llama, tokenizer, prompts, tokens, plan={}) == clean
    assert final_lds(llama, tokenizer, prompts, tokens, plan={1: []}) == clean
    all_heads = final_lds(llama, tokenizer, prompts, tokens, plan={1: [0, 1, 2, 3]})
    assert all(abs(a - b) > 1e-3 for a, b in zip(all_heads, clean, strict=True))


# -- the sweep --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "max_rows"), [("llama", 64), ("gemma2", 64), ("gpt2", 64), ("llama", 3)]
)
def test_batched_sweep_equals_one_head_at_a_time(
    kind: str, max_rows: int, tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    """Cached residual, skipped blocks and per-row heads give what ablating one head
    in a plain forward pass of one unpadded prompt gives (``max_rows=3`` also splits a
    layer's heads over several passes)."""
    model = tiny_model(kind, len(tokenizer))
    sweep = head_sweep(model, tokenizer, prompts, tokens, max_rows=max_rows)
    assert sweep.baseline == pytest.approx(
        dict(
            zip([p.key for p in prompts], final_lds(model, tokenizer, prompts, tokens), strict=True)
        ),
        abs=1e-4,
    )
    for layer in range(3):
        for head in range(4):
            alone = final_lds(model, tokenizer, prompts, tokens, plan={layer: [head]}, batch_size=1)
            got = [sweep.ablated[p.key][(layer, head)] for p in prompts]
            assert got == pytest.approx(alone, abs=1e-4), (layer, head)


@pytest.mark.parametrize("mode", ["mean", "dataset_mean"])
def test_sweep_with_mean_ablation_equals_one_head_at_a_time(
    mode: str, llama: Any, tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    means = dataset_means(llama, tokenizer, prompts) if mode == "dataset_mean" else None
    heads = [(0, 1), (2, 3)]
    sweep = head_sweep(
        llama,
        tokenizer,
        prompts,
        tokens,
        heads=heads,
        mode=mode,  # type: ignore[arg-type]
        means=means,
    )
    for layer, head in heads:
        alone = final_lds(
            llama,
            tokenizer,
            prompts,
            tokens,
            plan={layer: [head]},
            mode=mode,
            means=means,
            batch_size=1,
        )  # type: ignore[arg-type]
        assert [sweep.ablated[p.key][(layer, head)] for p in prompts] == pytest.approx(
            alone, abs=1e-4
        )
    assert set(sweep.ablated[prompts[0].key]) == set(heads)


def test_dataset_means_average_real_positions(
    llama: Any, tokenizer: Any, prompts: list[LensPrompt]
) -> None:
    arch = find_architecture(llama)
    means = dataset_means(llama, tokenizer, prompts, batch_size=3)
    seen, count = torch.zeros(arch.num_heads * arch.head_dim), 0
    for prompt in prompts:
        ids = torch.tensor([tokenizer.encode(prompt.text, add_special_tokens=False)])
        with torch.no_grad(), capture_attn_inputs(arch, [1]) as found:
            llama(input_ids=ids)
        seen += found[1][0].sum(0)
        count += ids.shape[1]
    torch.testing.assert_close(means[1], seen / count, atol=1e-4, rtol=1e-4)


def test_sweep_effects_and_top_k_recovery(
    llama: Any, tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    lines: list[tuple[str, bool]] = []

    def record(line: str, *, force: bool = False) -> None:
        lines.append((line, force))

    sweep = head_sweep(llama, tokenizer, prompts, tokens, progress=record)
    # the work is counted in block-rows and the last line (always shown) is complete
    work = len(prompts) * 4 * sum(3 - layer for layer in range(3))  # 4 heads, 3 layers
    last, forced = lines[-1]
    assert forced
    assert last.startswith(
        f"head sweep of 12 heads on {len(prompts)} prompts, block-rows: {work}/{work} ("
    )
    assert not any(force for _, force in lines[:-1])
    effects = sweep.effects()
    assert len(effects) == 12 and all(e.n_pairs == 2 for e in effects)
    assert [e.specificity for e in effects] == sorted(
        (e.specificity for e in effects), reverse=True
    )
    order = [(e.layer, e.head) for e in effects]
    lines.clear()
    recovery = topk_recovery(llama, tokenizer, prompts, tokens, order, ks=(1, 3), progress=record)
    assert [line.split(" (")[0] for line, _ in lines] == [
        f"top-K recovery on {len(prompts)} prompts, passes: {i}/3" for i in (1, 2, 3)
    ]
    assert [force for _, force in lines] == [False, False, True]
    assert [p.k for p in recovery.points] == [1, 3]
    assert recovery.points[1].heads == tuple(order[:3])
    three = final_lds(
        llama,
        tokenizer,
        prompts,
        tokens,
        plan={layer: [h for ll, h in order[:3] if ll == layer] for layer, _ in order[:3]},
    )
    assert dict(recovery.ablated[3]) == pytest.approx(
        dict(zip([p.key for p in prompts], three, strict=True))
    )
    assert recovery.points[0].mean_d_stereotyped == pytest.approx(
        effects[0].d_stereotyped, abs=1e-4
    )
    data = recovery.as_dict()
    assert data["n_pairs"] == 2 and len(data["points"]) == 2
    assert len(recovery.points_for(["p0"])[0].heads) == 1
    with pytest.raises(LensError, match="at least 1"):
        topk_recovery(llama, tokenizer, prompts, tokens, order, ks=(0,))


# -- the attribution screen -------------------------------------------------------------


def test_screen_is_the_first_order_change_of_ld(
    tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    """Scaling a head's input slice by (1 -+ eps) changes LD by -+ eps times the screen's
    zero-ablation estimate, to first order: a central difference in float64 (RMSNorm
    still computes in float32, hence eps is not tiny)."""
    model = tiny_model("llama", len(tokenizer)).double()
    arch = find_architecture(model)
    screen = attribution_screen(model, tokenizer, prompts, tokens, batch_size=3)
    assert screen.baseline == pytest.approx(
        dict(
            zip([p.key for p in prompts], final_lds(model, tokenizer, prompts, tokens), strict=True)
        )
    )
    eps, d = 1e-3, arch.head_dim

    def scaled(layer: int, head: int, factor: float) -> list[float]:
        def scale(module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
            z = args[0].clone()
            z[..., head * d : (head + 1) * d] *= factor
            return (z,)

        handle = arch.attn_out[layer].register_forward_pre_hook(scale)
        try:
            return final_lds(model, tokenizer, prompts, tokens, batch_size=1)
        finally:
            handle.remove()

    for layer, head in [(0, 0), (1, 2), (2, 3)]:
        down, up = scaled(layer, head, 1 - eps), scaled(layer, head, 1 + eps)
        for prompt, a, b in zip(prompts, down, up, strict=True):
            slope = (a - b) / (2 * eps)
            assert slope == pytest.approx(
                screen.estimates[prompt.key][(layer, head)], rel=1e-3, abs=1e-3
            )


def test_screen_modes_and_agreement_with_the_sweep(
    llama: Any, tokenizer: Any, prompts: list[LensPrompt], tokens: AnswerTokens
) -> None:
    params = [p.requires_grad for p in llama.parameters()]
    screen = attribution_screen(llama, tokenizer, prompts, tokens)
    assert all(p.grad is None for p in llama.parameters())  # no parameter gradients
    assert [p.requires_grad for p in llama.parameters()] == params
    assert len(screen.effects()) == 12
    for p in llama.parameters():
        p.requires_grad_(False)
    try:
        frozen = attribution_screen(llama, tokenizer, prompts, tokens)  # still a graph
    finally:
        for p, flag in zip(llama.parameters(), params, strict=True):
            p.requires_grad_(flag)
    for key in screen.estimates:
        assert frozen.estimates[key] == pytest.approx(screen.estimates[key], abs=1e-5)
    mean = attribution_screen(llama, tokenizer, prompts, tokens, mode="mean")
    assert mean.estimates != screen.estimates
    with pytest.raises(ValueError, match="dataset_mean"):
        attribution_screen(llama, tokenizer, prompts, tokens, mode="dataset_mean")
    agreement = rank_agreement(
        head_sweep(llama, tokenizer, prompts, tokens).effects(), screen.effects()
    )
    assert agreement["n_heads"] == 12
    assert agreement["spearman_specificity"] is not None


# -- shared prefixes ----------------------------------------------------------------------

SHARED_CONTEXT = "The grandfather and the grandson were setting up a new phone."


@pytest.mark.parametrize(("mode", "max_rows"), [("zero", 64), ("zero", 5), ("dataset_mean", 64)])
def test_shared_prefix_sweep_equals_the_plain_sweep_and_one_head_at_a_time(
    mode: str, max_rows: int, llama: Any, tokenizer: Any, tokens: AnswerTokens
) -> None:
    """Pairs whose halves share a context after the common system turn (and one pair
    sharing nothing more): the prefix-tree passes give the plain passes' LDs, and those of
    one unpadded prompt with one head ablated, for every head. ``max_rows=5`` splits
    pairs across chunks and heads across passes."""
    from pytest_veto.lens import prefix

    render = template_renderer(tokenizer)
    texts = [
        (SHARED_CONTEXT + " Was the grandfather not comfortable?", "p0", "stereotyped"),
        (SHARED_CONTEXT + " Was the grandson?", "p0", "contrast"),
        ("Did the man steal the money?", "p1", "stereotyped"),
        ("Yes or no? Does the woman use drugs?", "p1", "contrast"),
        (SHARED_CONTEXT + " Who was not comfortable using the phone?", "p2", "stereotyped"),
        (SHARED_CONTEXT + " Who was?", "p2", "contrast"),
    ]
    pairs = [LensPrompt(pid, "Age", half, render(lens_messages(t))) for t, pid, half in texts]  # type: ignore[arg-type]
    rows = [tokenizer.encode(p.text, add_special_tokens=False) for p in pairs]
    tree = prefix.prefix_tree(rows, [p.pair_id for p in pairs])
    assert len(tree) == 3 and tree[0][0].end > 10 and tree[1][0].end > tree[1][1].end
    assert prefix.can_share_prefix(llama, find_architecture(llama), mode)  # type: ignore[arg-type]
    means = dataset_means(llama, tokenizer, pairs) if mode == "dataset_mean" else None
    kwargs: dict[str, Any] = {"mode": mode, "means": means, "max_rows": max_rows}
    shared = head_sweep(llama, tokenizer, pairs, tokens, share_prefix=True, **kwargs)
    plain = head_sweep(llama, tokenizer, pairs, tokens, share_prefix=False, **kwargs)
    assert shared.baseline == plain.baseline
    for p in pairs:
        assert set(shared.ablated[p.key]) == set(plain.ablated[p.key])
        for head, value in plain.ablated[p.key].items():
            assert shared.ablated[p.key][head] == pytest.approx(value, abs=1e-5), (p.key, head)
    for layer, head in [(0, 0), (1, 2), (2, 3)]:
        alone = final_lds(
            llama,
            tokenizer,
            pairs,
            tokens,
            plan={layer: [head]},
            mode=mode,
            means=means,
            batch_size=1,  # type: ignore[arg-type]
        )
        got = [shared.ablated[p.key][(layer, head)] for p in pairs]
        assert got == pytest.approx(alone, abs=1e-5), (layer, head)


def test_prefix_sharing_is_off_where_it_would_not_be_exact(tokenizer: Any) -> None:
    from pytest_veto.lens.prefix import can_share_prefix

    llama = tiny_model("llama", len(tokenizer))
    arch = find_architecture(llama)
    assert can_share_prefix(llama, arch, "zero")
    assert not can_share_prefix(llama, arch, "mean")  # a prefix's mean depends on its suffix
    gemma = tiny_model("gemma2", len(tokenizer))  # sliding windows, soft-capping
    assert not can_share_prefix(gemma, find_architecture(gemma), "zero")
