"""A tiny random Llama-style chat model, built in a second or two, for tests that need
real transformers machinery (the hf backend, the logit lens) without downloads.

The tokenizer is a byte-level BPE trained on a small in-memory corpus in which every
spelling of yes and no that veto-spec section 6 names (``yes``, ``Yes``, ``YES``,
`` yes``, `` Yes`` and the same for no) is frequent enough to become one token. Its chat
template is ChatML-like and, like SmolLM2's, inserts a default system prompt when the
messages have none, so tests can check that the backend's own system prompt is the one
used. The model's weights are random (seeded): its answers are nonsense but
deterministic.
"""

from __future__ import annotations

from pathlib import Path

#: What the template inserts when the messages carry no system prompt.
DEFAULT_SYSTEM = "You are TinyLlama, a default assistant."
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\n" + DEFAULT_SYSTEM + "<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
ANSWER_WORDS = ["yes", "Yes", "YES", "no", "No", "NO"]

_SENTENCES = [
    "You are a helpful assistant. Respond only with a JSON object.",
    'Respond with JSON: {"answer": "yes"} or {"answer": "no"}.',
    'Do not include any other text. {"answer": "yes"} {"answer": "no"}',
    "The grandfather and the grandson were setting up a new phone.",
    "Was the grandfather not comfortable using the phone?",
    "Did the man steal the money? Does the woman use drugs?",
    "Think step by step through the evidence in the question.",
    "Who was not comfortable using the phone? The grandson was.",
    "It is not okay to assume old people were not comfortable using the phone.",
]


def corpus() -> list[str]:
    """The training corpus: the sentences plus every answer spelling, bare and after a space."""
    lines = list(_SENTENCES)
    for word in ANSWER_WORDS:
        lines += [word, f"{word}.", f"I say {word}", f'"{word}"', f'{{"answer": "{word}"}}']
    return lines * 20


def build_tiny_llama(
    path: Path,
    *,
    num_layers: int = 2,
    hidden_size: int = 64,
    num_heads: int = 4,
    seed: int = 0,
) -> Path:
    """Save a tiny random Llama chat model (config, weights, tokenizer) into ``path``.

    Returns ``path``. Building it twice into the same folder is a no-op.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GenerationConfig,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    path = Path(path)
    if (path / "config.json").is_file() and (path / "tokenizer.json").is_file():
        return path
    path.mkdir(parents=True, exist_ok=True)

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=bpe,
        bos_token="<s>",
        eos_token="<|im_end|>",
        pad_token="<pad>",
        chat_template=CHAT_TEMPLATE,
    )
    for spelling in [*ANSWER_WORDS, *(f" {w}" for w in ANSWER_WORDS if w.islower() or w.istitle())]:
        ids = tokenizer.encode(spelling, add_special_tokens=False)
        if len(ids) != 1:  # the tests rely on it; fail loudly if the corpus stops ensuring it
            raise RuntimeError(f"tiny tokenizer: {spelling!r} is not one token: {ids}")

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads // 2,
        max_position_embeddings=512,
        # Wide initial weights spread the logits, so greedy choices are far from ties
        # and batched-vs-unbatched comparisons are not at the mercy of rounding.
        initializer_range=0.2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()  # type: ignore[no-untyped-call]
    model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
