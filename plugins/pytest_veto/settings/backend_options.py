"""Options of the model's backend (cache, API, local model) and of its decoding."""

from __future__ import annotations

from typing import Any

from pytest_veto.settings.choices import API_CLIENTS, DTYPES, SCORINGS, TEXT_MODES


def add_backend_options(add: Any, add_ini: Any) -> None:
    """The response cache, the API client and the local model."""
    add(
        "--veto-cache-dir",
        dest="veto_cache_dir",
        default=None,
        metavar="DIR",
        help="response cache folder (default: the user cache folder)",
    )
    add(
        "--veto-model-revision",
        dest="veto_model_revision",
        default=None,
        metavar="TEXT",
        help="the model's release (a version, digest or date): part of every response-"
        "cache key, so a new release behind the same --model name is asked afresh",
    )
    add_ini("veto_model_revision", "same as --veto-model-revision", default=None)
    add(
        "--veto-no-cache",
        dest="veto_no_cache",
        action="store_true",
        help="do not read or write the response cache",
    )
    add(
        "--api-base",
        dest="api_base",
        default=None,
        metavar="URL",
        help="base URL of an OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama, a proxy)",
    )
    add(
        "--veto-api-client",
        dest="veto_api_client",
        default="auto",
        choices=list(API_CLIENTS),
        help="the HTTP client of API models: litellm, or the OpenAI client directly (same "
        "request body, a fifth of the CPU per call); auto (default): openai for an openai/ "
        "model at --api-base (but OpenAI reasoning models), else litellm",
    )
    add(
        "--veto-no-preflight",
        dest="veto_no_preflight",
        action="store_true",
        help="do not check the model before the first test (one request to an API model, "
        "finding a local one); without the check a broken model fails every test",
    )
    add(
        "--veto-timeout",
        dest="veto_timeout",
        type=float,
        default=60.0,
        help="per-request timeout in seconds (default 60)",
    )
    add(
        "--veto-retries",
        dest="veto_retries",
        type=int,
        default=3,
        help="retries on 408/409/425/429/5xx, timeouts, connection errors and malformed or "
        "empty answers (default 3)",
    )
    add(
        "--veto-backoff",
        dest="veto_backoff",
        type=float,
        default=0.5,
        help="first retry delay in seconds, doubled per retry with jitter; a server's "
        "Retry-After is honoured as a minimum (default 0.5)",
    )
    add(
        "--veto-concurrency",
        dest="veto_concurrency",
        type=int,
        default=8,
        help="concurrent requests per worker (default 8)",
    )
    add(
        "--veto-batch-size",
        dest="veto_batch_size",
        type=int,
        default=16,
        help="batch size for local models (default 16)",
    )
    add(
        "--veto-scoring",
        dest="veto_scoring",
        default="generate",
        choices=list(SCORINGS),
        help="local models: greedy generation (default) or logit-difference scoring",
    )
    add(
        "--veto-dtype",
        dest="veto_dtype",
        default="auto",
        choices=list(DTYPES),
        help="local models: weight dtype (default auto)",
    )
    add(
        "--veto-device",
        dest="veto_device",
        default="auto",
        help="local models: torch device (default auto: CUDA when present)",
    )
    add_protocol_options(add, add_ini)


def add_protocol_options(add: Any, add_ini: Any) -> None:
    """Decoding and text options (the published protocol, veto-spec section 3)."""
    add(
        "--veto-text",
        dest="veto_text",
        default=None,
        choices=list(TEXT_MODES),
        help="when --veto-data is a BBQ folder: build the released VETO text exactly "
        "(release, the default) or with the listed grammatical corrections (corrected), "
        "as pytest-veto build-pairs --text",
    )
    add_ini("veto_text", "same as --veto-text", default=None)
    add(
        "--veto-max-new-tokens",
        dest="veto_max_new_tokens",
        type=int,
        default=None,
        metavar="N",
        help="token budget of every answer (default: the published budget of the model "
        "and condition: 512 API, 1024 OpenAI reasoning, 128 local, 2048 local Qwen3, 8192 "
        "chain of thought and DeepSeek-R1)",
    )
    add_ini("veto_max_new_tokens", "same as --veto-max-new-tokens", default=None)
    add(
        "--veto-chat-template-kwargs",
        dest="veto_chat_template_kwargs",
        default=None,
        metavar="JSON",
        help="keyword arguments of the chat template, replacing the published ones "
        '(Qwen3: {"enable_thinking": false} direct, true for CoT); local models get them '
        "in apply_chat_template, API models as chat_template_kwargs in the request body",
    )
    add_ini("veto_chat_template_kwargs", "same as --veto-chat-template-kwargs", default=None)
    add(
        "--veto-extra-body",
        dest="veto_extra_body",
        default=None,
        metavar="JSON",
        help="API models: a JSON object merged into every request body (its keys win)",
    )
    add_ini("veto_extra_body", "same as --veto-extra-body", default=None)
    add(
        "--veto-no-early-stop",
        dest="veto_no_early_stop",
        action="store_true",
        help="local models: generate the whole budget instead of stopping once the first "
        "JSON answer is out (the parsed answer is the same either way)",
    )
