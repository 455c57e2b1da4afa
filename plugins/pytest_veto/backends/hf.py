"""The local transformers backend: ``--model=hf/<folder | hub name | alias>``.

Two scorings (``BackendOptions.scoring``):

- ``generate`` (default): the chat-templated prompt (with the request's
  ``chat_template_kwargs``, e.g. Qwen3's ``enable_thinking``), greedy decoding of at most
  ``request.max_new_tokens`` new tokens, decoded without special tokens. With
  ``request.stop_at_answer`` a row stops as soon as its text holds the first JSON answer
  outside thinking (``answer_text.first_json_answer``, the parser's own rule), so the
  parsed answer is the one the whole budget would give. When the template opens a think
  block in the prompt, the text starts with ``<think>`` so it says where thinking ends.
  Requests are grouped by budget and early stop, sorted by length and run in left-padded
  batches of ``options.batch_size``; results come back in request order.
- ``logits``: one forward pass over the templated prompt followed by the answer's JSON
  prefix ``{"answer": "``. LD = max logit over the single-token spellings of yes minus
  max over those of no (veto-spec section 6); the text is ``{"answer": "yes"}`` when
  LD > 0, else ``{"answer": "no"}``, so it goes through the normal parser, and
  ``Completion.logit_diff`` holds LD.

The loaded ``hf_model`` and ``tokenizer`` and :meth:`HFBackend.chat_prompt` are public
for the logit-lens and head-ablation tools. ``model`` is the name (the Protocol's field).
Importing this module is free: torch and transformers load when a backend is created.
"""

from __future__ import annotations

import gc
import hashlib
import math
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pytest_veto.backends.answer_text import THINK_OPEN, opens_thinking
from pytest_veto.backends.answer_tokens import ANSWER_PREFIX, resolve_answer_tokens
from pytest_veto.backends.early_stop import answer_done
from pytest_veto.backends.greedy import greedy_generate
from pytest_veto.backends.hf_models import (
    LoadInfo,
    ModelLocation,
    load,
    locate,
    resolve_device,
    resolve_dtype,
)
from pytest_veto.backends.prefix import last_logits, left_padded
from pytest_veto.backends.protocol import (
    BackendError,
    BackendOptions,
    Capability,
    Completion,
    Message,
    PromptRequest,
)

if TYPE_CHECKING:
    import torch

#: How the system prompt reaches the model: the template's system role, merged into the
#: first user message (templates that reject a system role), or a plain-text rendering
#: (tokenizers without a chat template, e.g. base models).
TemplateMode = Literal["native", "merged", "plain"]


class HFBackend:
    """A causal language model loaded with transformers (see the module docstring)."""

    kind = "hf"

    def __init__(
        self,
        model: str,
        options: BackendOptions | None = None,
        *,
        cache_dir: str | PathLike[str] | None = None,
    ) -> None:
        """Load ``hf/<path>``. ``cache_dir`` holds converted GGUF models (default
        ``<pytest-veto cache>/models``, see :func:`hf_models.default_models_dir`)."""
        self.model = model
        self.options = options or BackendOptions()
        spec = model.removeprefix("hf/")
        if not spec:
            raise BackendError("hf/ needs a model: hf/<folder>, hf/<owner/name> or an alias")
        if self.options.batch_size < 1:
            raise BackendError(f"batch size must be at least 1, not {self.options.batch_size}")
        if cache_dir is None and self.options.cache_dir is not None:
            cache_dir = Path(self.options.cache_dir) / "models"
        self.location: ModelLocation = locate(spec, Path(cache_dir) if cache_dir else None)
        self.device = resolve_device(self.options.device)
        self.dtype = resolve_dtype(self.options.dtype, self.device)
        self.hf_model: Any
        self.tokenizer: Any
        self.load_info: LoadInfo
        self.hf_model, self.tokenizer, self.load_info = load(self.location, self.device, self.dtype)
        self._prepare_tokenizer_and_decoding()
        self.template_mode: TemplateMode = self._probe_template()
        #: keys of the current batch's requests whose templated prompt opens a think block
        self._thinking_prompts: set[str] = set()
        self.answer_tokens = resolve_answer_tokens(self.tokenizer)
        if self.options.scoring == "logits" and not (
            self.answer_tokens.yes and self.answer_tokens.no
        ):
            raise BackendError(
                f"{model}: logits scoring needs single-token spellings of both yes and no; "
                f"found {self.answer_tokens.as_json()}"
            )

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Open weights: logits, hidden states and head ablation are all available."""
        return frozenset({"logits", "hidden_states", "head_ablation"})

    # -- prompts ------------------------------------------------------------------------

    def _prepare_tokenizer_and_decoding(self) -> None:
        from transformers import GenerationConfig

        tok = self.tokenizer
        tok.padding_side = "left"
        if tok.pad_token_id is None:  # padding is masked out; any existing token will do
            tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
        if tok.pad_token_id is None:
            raise BackendError(f"{self.model}: the tokenizer has no pad, eos or unk token")
        eos: list[int] = []
        for source in (self.hf_model.generation_config.eos_token_id, tok.eos_token_id):
            for token in source if isinstance(source, list) else [source]:
                if token is not None and int(token) not in eos:
                    eos.append(int(token))
        self.eos_token_ids: tuple[int, ...] = tuple(eos)
        # Our own decoding settings only: a shipped generation_config.json may ask for
        # sampling or a repetition penalty, which the protocol's greedy decoding excludes.
        self.hf_model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
            do_sample=False,
            num_beams=1,
            eos_token_id=eos or None,
            pad_token_id=tok.pad_token_id,
            bos_token_id=self.hf_model.generation_config.bos_token_id,
        )

    def _probe_template(self) -> TemplateMode:
        if not getattr(self.tokenizer, "chat_template", None):
            return "plain"
        marker = "pytest-veto system probe 7f3a"
        try:
            text = self._render(
                [{"role": "system", "content": marker}, {"role": "user", "content": "q"}]
            )
        except Exception:
            return "merged"
        return "native" if text.count(marker) == 1 else "merged"

    def _render(
        self, messages: list[dict[str, str]], template_kwargs: Mapping[str, Any] | None = None
    ) -> str:
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, **dict(template_kwargs or {})
        )
        return str(text)

    def chat_prompt(
        self,
        messages: Sequence[Message | Mapping[str, str]],
        template_kwargs: Mapping[str, Any] | None = None,
    ) -> str:
        """The templated prompt text for ``messages``, ending with the generation prompt.

        The request's system prompt is always passed on (so a template's own default
        system prompt never appears); templates without a system role get it merged into
        the first user message. ``template_kwargs`` go to the chat template.
        """
        plain = [
            m.as_dict() if isinstance(m, Message) else {"role": m["role"], "content": m["content"]}
            for m in messages
        ]
        if self.template_mode == "plain":
            lines = [f"{m['role'].capitalize()}: {m['content']}" for m in plain]
            return "\n\n".join(lines) + "\n\nAssistant:"
        if self.template_mode == "merged" and plain and plain[0]["role"] == "system":
            system, rest = plain[0]["content"], plain[1:]
            if rest and rest[0]["role"] == "user":
                rest[0] = {"role": "user", "content": f"{system}\n\n{rest[0]['content']}"}
            else:
                rest.insert(0, {"role": "user", "content": system})
            plain = rest
        return self._render(plain, template_kwargs)

    def encode_prompt(self, request: PromptRequest) -> list[int]:
        """Token ids of the request's prompt (with the answer prefix under logits scoring).

        The templated text carries its own special tokens, so none are added again.
        """
        text = self.chat_prompt(request.messages, request.chat_template_kwargs)
        if self.options.scoring == "logits":
            text += ANSWER_PREFIX
        elif opens_thinking(text):
            self._thinking_prompts.add(request.key)
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    # -- completion ---------------------------------------------------------------------

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        """Complete every request, in order; a failure becomes that request's error."""
        import torch

        results: list[Completion | None] = [None] * len(requests)
        if getattr(self, "hf_model", None) is None:
            return [Completion("error", error=f"{self.model}: backend is closed") for _ in requests]
        encoded: dict[int, list[int]] = {}
        self._thinking_prompts = set()
        for index, request in enumerate(requests):
            try:
                encoded[index] = self.encode_prompt(request)
            except Exception as exc:
                results[index] = _error("cannot build the prompt", exc)
        with torch.inference_mode():
            for batch in self._batches(requests, encoded):
                for index, completion in zip(
                    batch, self._run(batch, requests, encoded), strict=False
                ):
                    results[index] = completion
        return [r if r is not None else Completion("error", error="not run") for r in results]

    def _batches(
        self, requests: Sequence[PromptRequest], encoded: Mapping[int, list[int]]
    ) -> Iterator[list[int]]:
        """Indices grouped by generation budget and early stop, longest first, in batches
        (less padding)."""

        def budget(i: int) -> tuple[int, bool, bool]:
            if self.options.scoring == "logits":
                return (0, False, False)
            r = requests[i]
            return (r.max_new_tokens, r.stop_at_answer, r.key in self._thinking_prompts)

        order = sorted(encoded, key=lambda i: (budget(i), -len(encoded[i]), i))
        batch: list[int] = []
        for index in order:
            if batch and (
                len(batch) == self.options.batch_size or budget(batch[0]) != budget(index)
            ):
                yield batch
                batch = []
            batch.append(index)
        if batch:
            yield batch

    def _run(
        self, batch: list[int], requests: Sequence[PromptRequest], encoded: Mapping[int, list[int]]
    ) -> list[Completion]:
        """One batch; when it fails (e.g. out of memory), each request alone, then errors."""
        first = requests[batch[0]]
        rows = [encoded[i] for i in batch]
        try:
            if self.options.scoring == "logits":
                return self._score(rows)
            return self._generate(
                rows,
                first.max_new_tokens,
                stop_at_answer=first.stop_at_answer,
                thinking=first.key in self._thinking_prompts,
            )
        except Exception as exc:
            _free_accelerator_memory()
            if len(batch) == 1:
                return [_error(f"{self.options.scoring} failed", exc)]
        return [completion for i in batch for completion in self._run([i], requests, encoded)]

    def _padded(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Left-padded ``input_ids`` and ``attention_mask`` on the model's device."""
        return left_padded(rows, int(self.tokenizer.pad_token_id), self.hf_model.device)

    def _generate(
        self,
        rows: list[list[int]],
        max_new_tokens: int,
        *,
        stop_at_answer: bool = False,
        thinking: bool = False,
    ) -> list[Completion]:
        start = time.perf_counter()
        prefix = THINK_OPEN if thinking else ""
        done = answer_done(self.tokenizer, prefix) if stop_at_answer else None
        # the rows' shared first tokens (the system turn) are computed once (prefix.py)
        new = greedy_generate(
            self.hf_model,
            rows,
            int(self.tokenizer.pad_token_id),
            self.hf_model.device,
            max_new_tokens,
            set(self.eos_token_ids),
            done,
        )
        texts = [prefix + t for t in self.tokenizer.batch_decode(new, skip_special_tokens=True)]
        elapsed = time.perf_counter() - start
        eos = set(self.eos_token_ids)
        return [
            Completion(
                "ok",
                text=text,
                latency_s=elapsed / len(rows),
                extra={
                    "batch_size": float(len(rows)),
                    "batch_latency_s": elapsed,
                    "prompt_tokens": float(len(row)),
                    "new_tokens": float(_generated_length(tokens, eos)),
                },
            )
            for row, tokens, text in zip(rows, new, texts, strict=True)
        ]

    def _score(self, rows: list[list[int]]) -> list[Completion]:
        start = time.perf_counter()
        # the rows' shared first tokens (the system turn) are computed once (prefix.py)
        logits = last_logits(
            self.hf_model, rows, int(self.tokenizer.pad_token_id), self.hf_model.device
        ).float()
        yes_ids = list(self.answer_tokens.yes.values())
        no_ids = list(self.answer_tokens.no.values())
        yes = logits[:, yes_ids].max(dim=-1).values.tolist()
        no = logits[:, no_ids].max(dim=-1).values.tolist()
        elapsed = time.perf_counter() - start
        completions = []
        for row, y, n in zip(rows, yes, no, strict=True):
            diff = y - n
            if not math.isfinite(diff):
                completions.append(Completion("error", error=f"non-finite logit difference {diff}"))
                continue
            answer = "yes" if diff > 0 else "no"
            completions.append(
                Completion(
                    "ok",
                    text=f'{{"answer": "{answer}"}}',
                    latency_s=elapsed / len(rows),
                    logit_diff=diff,
                    extra={
                        "yes_logit": y,
                        "no_logit": n,
                        "batch_size": float(len(rows)),
                        "batch_latency_s": elapsed,
                        "prompt_tokens": float(len(row)),
                    },
                )
            )
        return completions

    # -- identity and lifecycle ---------------------------------------------------------

    def cache_identity(self) -> dict[str, object]:
        """What besides the messages fixes an answer: model, weights, scoring, precision."""
        import transformers

        location = self.location
        template = str(getattr(self.tokenizer, "chat_template", None) or "")
        identity: dict[str, object] = {
            "backend": "hf",
            "model": self.model,
            "path": str(location.gguf_path) if location.gguf_path else location.load_path,
            "weights": location.weights_id or self.load_info.revision,
            "scoring": self.options.scoring,
            "dtype": str(self.dtype).removeprefix("torch."),
            "chat_template": hashlib.sha256(template.encode("utf-8")).hexdigest()[:16],
            "template_mode": self.template_mode,
            "transformers": transformers.__version__,
        }
        if self.options.scoring == "logits":
            identity["answer_prefix"] = ANSWER_PREFIX
            identity["answer_tokens"] = self.answer_tokens.as_json()
        else:
            identity["decoding"] = "greedy"
            identity["max_new_tokens_policy"] = "per-request"
        return identity

    def close(self) -> None:
        """Drop the model and tokenizer and return their memory."""
        self.hf_model = None
        self.tokenizer = None
        gc.collect()
        _free_accelerator_memory()


def _generated_length(tokens: list[int], eos: set[int]) -> int:
    for position, token in enumerate(tokens):
        if token in eos:
            return position + 1
    return len(tokens)


def _error(what: str, exc: BaseException) -> Completion:
    return Completion("error", error=f"{what}: {type(exc).__name__}: {exc}")


def _free_accelerator_memory() -> None:
    torch = sys.modules.get("torch")  # never import it just to free memory
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
