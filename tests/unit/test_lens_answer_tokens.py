"""The lens's yes/no token sets are the published ones (each spelling encoded on its own)
on the two tokenizer families of the published models, built here as tiny tokenizers
with the ``tokenizers`` library: a Llama-3-style byte-level BPE, and SentencePiece-style
vocabularies as Mistral (a word-start marker ``▁`` added at the start) and Gemma (none
added) convert them."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("tokenizers")
transformers = pytest.importorskip("transformers")

from pytest_veto.backends.answer_tokens import (
    NO_SPELLINGS,
    YES_SPELLINGS,
    resolve_answer_tokens,
    standalone_answer_tokens,
)
from pytest_veto.lens.architecture import LensError
from pytest_veto.lens.inputs import lens_answer_tokens

#: Llama 3's pre-tokenizer split (tiktoken's cl100k pattern), then byte-level mapping
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
    r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
WORDS = ("yes", "Yes", "YES", "no", "No", "NO")
#: what follows the generation prompt of a Mistral-style template
MISTRAL_CONTEXT = "<s>[INST] Was the grandson not comfortable? [/INST]"


def _fast(tokenizer: Any) -> Any:
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    fast.add_special_tokens({"additional_special_tokens": ["[INST]", "[/INST]"]})
    return fast


def llama3_style() -> Any:
    """A byte-level BPE trained on a corpus in which every spelling is frequent."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    bpe.decoder = decoders.ByteLevel()
    corpus = [f"{w}. I say {w}, {w}!" for w in WORDS] * 30
    bpe.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=300,
            special_tokens=["<unk>", "<s>", "</s>", "[INST]", "[/INST]"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    return _fast(bpe)


def sentencepiece_style(marker_at_start: bool) -> Any:
    """A unigram vocabulary with every answer word both as a bare piece and as a
    word-start piece (``▁yes``), as in Mistral's and Gemma's vocabularies.
    ``marker_at_start``: Mistral/Llama 2 (``▁`` added before the text); else Gemma."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    chars = [*"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ?.,'! ", "▁"]
    vocab = [(p, 0.0) for p in ("<unk>", "<s>", "</s>", "[INST]", "[/INST]")]
    vocab += [(c, -10.0) for c in chars]
    vocab += [(w, -2.0) for w in WORDS] + [(f"▁{w}", -1.0) for w in WORDS]
    sp = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=False))
    if marker_at_start:
        sp.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
        sp.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
    else:
        sp.normalizer = normalizers.Replace(" ", "▁")
        sp.decoder = decoders.Replace("▁", " ")
    return _fast(sp)


def _pieces(tokenizer: Any, ids: dict[str, int]) -> dict[str, str]:
    return {s: tokenizer.convert_ids_to_tokens(i) for s, i in ids.items()}


def test_byte_level_bpe_llama3_style_every_spelling_its_own_token() -> None:
    tok = llama3_style()
    tokens = lens_answer_tokens(tok)
    assert _pieces(tok, tokens.yes) == {
        "yes": "yes",
        "Yes": "Yes",
        "YES": "YES",
        " yes": "Ġyes",
        " Yes": "ĠYes",
    }
    assert _pieces(tok, tokens.no) == {
        "no": "no",
        "No": "No",
        "NO": "NO",
        " no": "Ġno",
        " No": "ĠNo",
    }
    # five different ids a side; on this family the context does not change the ids
    assert len(set(tokens.yes.values())) == 5 and len(set(tokens.no.values())) == 5
    assert resolve_answer_tokens(tok, MISTRAL_CONTEXT) == tokens


def test_sentencepiece_mistral_style_only_word_start_pieces() -> None:
    """Mistral / Llama 2: every spelling, spaced or not, encodes to its ``▁`` piece, so
    the set holds those only; the bare ``no`` piece (what follows ``[/INST]`` without a
    space) is not in it. Resolving in context, as the lens once did, added it."""
    tok = sentencepiece_style(marker_at_start=True)
    tokens = lens_answer_tokens(tok)
    assert _pieces(tok, tokens.yes) == {
        "yes": "▁yes",
        "Yes": "▁Yes",
        "YES": "▁YES",
        " yes": "▁yes",
        " Yes": "▁Yes",
    }
    assert _pieces(tok, tokens.no) == {
        "no": "▁no",
        "No": "▁No",
        "NO": "▁NO",
        " no": "▁no",
        " No": "▁No",
    }
    assert set(tokens.no.values()) == {tok.convert_tokens_to_ids(p) for p in ("▁no", "▁No", "▁NO")}
    in_context = resolve_answer_tokens(tok, MISTRAL_CONTEXT)
    assert _pieces(tok, in_context.no)["no"] == "no"  # the bare piece the lens no longer reads


def test_sentencepiece_gemma_style_bare_and_word_start_pieces() -> None:
    """Gemma adds no marker at the start: ``no`` is the bare piece, `` no`` the ``▁`` one."""
    tok = sentencepiece_style(marker_at_start=False)
    tokens = lens_answer_tokens(tok)
    assert _pieces(tok, tokens.yes) == {
        "yes": "yes",
        "Yes": "Yes",
        "YES": "YES",
        " yes": "▁yes",
        " Yes": "▁Yes",
    }
    assert _pieces(tok, tokens.no) == {
        "no": "no",
        "No": "No",
        "NO": "NO",
        " no": "▁no",
        " No": "▁No",
    }


def test_a_spelling_of_two_tokens_is_dropped_and_no_spelling_at_all_is_an_error() -> None:
    class Spaced:
        """Every spelling but ``yes`` and ``no`` is two tokens; or none is one token."""

        def __init__(self, single: tuple[str, ...]) -> None:
            self.single = single

        def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
            assert not add_special_tokens
            return [len(text)] if text in self.single else [1, 2]

    tokens = standalone_answer_tokens(Spaced(("yes", "no")))
    assert tokens.as_json() == {"yes": {"yes": 3}, "no": {"no": 2}}
    assert set(YES_SPELLINGS) > set(tokens.yes) and set(NO_SPELLINGS) > set(tokens.no)
    with pytest.raises(LensError, match="no single-token spelling of yes or no"):
        lens_answer_tokens(Spaced(("yes",)))
