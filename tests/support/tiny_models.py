"""Tiny random transformers models built from configs (no downloads, seconds), shared by
the lens tests (architecture lookup, logit lens, head ablation).

Every family is hidden 32, four heads (two kv heads where supported), three layers by
default, with wide initial weights so that lenses and ablations move LDs visibly. The
weights are random but seeded: the same arguments give the same model. torch and
transformers are imported when a model is built, so importing this module needs neither.
"""

from __future__ import annotations

from typing import Any


def tiny_config(kind: str, vocab: int, layers: int = 3) -> Any:
    """A tiny config of one family (hidden 32, 4 heads, 2 kv heads where supported)."""
    import transformers as t

    common: dict[str, Any] = {
        "vocab_size": vocab,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": layers,
        "num_attention_heads": 4,
        "max_position_embeddings": 256,
    }
    kv = {"num_key_value_heads": 2}
    configs = {
        "llama": lambda: t.LlamaConfig(**common, **kv),
        "mistral": lambda: t.MistralConfig(**common, **kv),
        "qwen2": lambda: t.Qwen2Config(**common, **kv),
        "qwen3": lambda: t.Qwen3Config(**common, **kv, head_dim=16),
        # head_dim 16 != 32 / 4: the projection's input is wider than the hidden size
        "gemma2": lambda: t.Gemma2Config(
            **common, **kv, head_dim=16, sliding_window=8, final_logit_softcapping=5.0
        ),
        "gemma3_text": lambda: t.Gemma3TextConfig(**common, **kv, head_dim=16, sliding_window=8),
        "gpt2": lambda: t.GPT2Config(
            vocab_size=vocab,
            n_embd=32,
            n_layer=layers,
            n_head=4,
            n_positions=256,
            bos_token_id=0,
            eos_token_id=0,
        ),
        "phi": lambda: t.PhiConfig(**common),
    }
    return configs[kind]()


def tiny_model(kind: str, vocab: int, layers: int = 3, seed: int = 0) -> Any:
    """A tiny random model of one family in eval mode; wide weights (initializer range
    0.3) so ablations move LDs visibly."""
    import torch
    import transformers

    config = tiny_config(kind, vocab, layers)
    config.initializer_range = 0.3
    torch.manual_seed(seed)
    return transformers.AutoModelForCausalLM.from_config(config).eval()


def tiny_model_perturbed_norms(kind: str, vocab: int, layers: int = 3, seed: int = 0) -> Any:
    """``tiny_model`` with perturbed norm weights: with norm weights of 1 an RMSNorm is
    idempotent, and a doubly applied norm would go unnoticed."""
    import torch

    model = tiny_model(kind, vocab, layers, seed)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name or ".ln_" in name:
                param.add_(0.5 * torch.randn(param.shape, generator=generator))
    return model
