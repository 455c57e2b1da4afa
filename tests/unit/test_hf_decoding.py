"""The local backend under the published decoding: chat-template keywords, think blocks
opened by the template, and the early stop at the first JSON answer."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch

from pytest_veto.backends.answer_text import first_json_answer
from pytest_veto.backends.early_stop import answer_done
from pytest_veto.backends.greedy import greedy_generate
from pytest_veto.backends.hf import HFBackend
from pytest_veto.backends.prefix import MIN_PREFIX, shared_prefix
from pytest_veto.backends.protocol import BackendOptions, PromptRequest
from pytest_veto.run.answers import parse_answer
from pytest_veto.run.prompts import build_messages
from tests.support.tiny_llama import CHAT_TEMPLATE, build_tiny_llama

THINKING = CHAT_TEMPLATE.replace(
    "'<|im_start|>assistant\\n' }}",
    "'<|im_start|>assistant\\n' }}{% if enable_thinking is defined and not enable_thinking %}"
    "{{ '<think>\\n\\n</think>\\n\\n' }}{% elif opens is defined %}{{ '<think>\\n' }}{% endif %}",
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> HFBackend:
    path = build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))
    found = HFBackend(f"hf/{path}", BackendOptions(batch_size=4))
    found.tokenizer.chat_template = THINKING
    return found


def _request(i: int, **fields: object) -> PromptRequest:
    messages = build_messages(f"Was the grandson number {i} not comfortable?")
    return PromptRequest(f"p{i}", "stereotyped", "base", messages, "yes", 8, **fields)  # type: ignore[arg-type]


def test_template_keywords_reach_the_chat_template(backend: HFBackend) -> None:
    messages = _request(0).messages
    assert "</think>" not in backend.chat_prompt(messages)
    off = backend.chat_prompt(messages, {"enable_thinking": False})
    assert off.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    request = _request(0, chat_template_kwargs={"enable_thinking": False})
    assert backend.tokenizer.decode(backend.encode_prompt(request)) == off


def test_a_think_block_the_template_opens_starts_the_text(backend: HFBackend) -> None:
    opened, plain = _request(1, chat_template_kwargs={"opens": True}), _request(2)
    out = backend.complete([opened, plain])
    assert out[0].text.startswith("<think>") and not out[1].text.startswith("<think>")
    # the model's text never closed the block: it gave no answer
    assert "</think>" not in out[0].text and parse_answer(out[0].text) == "unknown"


def test_the_early_stop_changes_nothing_when_no_answer_is_out(backend: HFBackend) -> None:
    requests = [_request(i) for i in range(5)]
    stopping = [_request(i, stop_at_answer=True) for i in range(5)]
    assert [c.text for c in backend.complete(stopping)] == [
        c.text for c in backend.complete(requests)
    ]


@pytest.mark.parametrize("prefix", ["", "<think>"])
def test_the_stop_fires_on_the_token_that_closes_the_first_answer(
    backend: HFBackend, prefix: str
) -> None:
    tok = backend.tokenizer
    before = "</think>" if prefix else ""
    said = tok.encode(
        f'I say{before} {{"answer": "no"}} then {{"answer": "yes"}}', add_special_tokens=False
    )
    done = answer_done(tok, prefix)
    fired = None
    for n in range(len(said) + 1):
        if done(0, said[:n]) and fired is None:
            fired = n
    assert fired is not None
    text = prefix + tok.decode(said[:fired])
    assert parse_answer(text) == "no" and "yes" not in text  # stopped at the first answer
    assert first_json_answer(prefix + tok.decode(said[: fired - 1])) is None  # not before
    assert parse_answer(prefix + tok.decode(said)) == "no"


def test_a_first_answer_inside_thinking_does_not_stop(backend: HFBackend) -> None:
    tok = backend.tokenizer
    said = tok.encode('<think>{"answer": "no"}', add_special_tokens=False)
    assert not answer_done(tok)(0, said)


def test_requests_that_stop_and_that_do_not_are_batched_apart(backend: HFBackend) -> None:
    out = backend.complete([_request(0), _request(1, stop_at_answer=True), _request(2)])
    assert [c.extra["batch_size"] for c in out] == [2, 1, 2]


def _reference_generate(
    backend: HFBackend, rows: list[list[int]], budget: int, stop: set[int]
) -> list[list[int]]:
    """transformers' own greedy generate(), each row cut after its first stop token."""
    ids, mask = backend._padded(rows)
    with torch.inference_mode():
        out = backend.hf_model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=budget)
    cut = []
    for tokens in out[:, ids.shape[1] :].tolist():
        end = next((i + 1 for i, t in enumerate(tokens) if t in stop), len(tokens))
        cut.append(tokens[:end])
    return cut


@pytest.mark.parametrize("budget", [1, 5, 24])
@pytest.mark.parametrize("shared", [True, False], ids=["shared-prefix", "plain"])
def test_dropping_finished_rows_gives_generates_tokens(
    backend: HFBackend, budget: int, shared: bool
) -> None:
    """Rows of different lengths (left padding), some stopping early: our loop drops
    them from the batch, and every row's tokens are transformers' generate()'s, whether
    the rows' shared system turn is run once (``prefix.prefill``) or, with a prompt too
    short to share it, the batch is run whole."""
    rows = [backend.encode_prompt(_request(i)) for i in range(6)]
    if not shared:
        rows[2] = rows[2][:7]  # a much shorter prompt: more padding, no shared prefix
    assert (shared_prefix(rows) >= MIN_PREFIX) == shared
    eos = set(backend.eos_token_ids)
    expected = _reference_generate(backend, rows, budget, eos)
    pad, device = int(backend.tokenizer.pad_token_id), backend.hf_model.device
    with torch.inference_mode():
        plain = greedy_generate(backend.hf_model, rows, pad, device, budget, eos)
    assert plain == expected
    # stop rows on a frequent token, as the early stop does: the others are unchanged
    frequent = max(
        {t for r in expected for t in r}, key=lambda t: sum(r.count(t) for r in expected)
    )
    with torch.inference_mode():
        stopped = greedy_generate(
            backend.hf_model, rows, pad, device, budget, eos, lambda row, new: new[-1] == frequent
        )
    assert stopped == _reference_generate(backend, rows, budget, eos | {frequent})
