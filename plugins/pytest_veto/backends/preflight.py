"""The preflight: one check of the model before the first test, on the controller.

A wrong model name, a missing key, an unreachable server or a local model that is not
there would otherwise be found once per test (a retried error each, minutes of them).
:func:`preflight` finds it once and says what failed, where and the likely fix:

- an API model (litellm): the provider's key must be set when no ``--api-base`` is given
  (litellm's own check of the environment, no request), then one short real request is
  sent (at most one retry); an answer or a refusal passes, an error fails;
- a local model (``hf/``): the folder, alias or hub name must be found (a hub name in the
  Hugging Face cache, else the hub must answer within a few seconds); loading it is the
  caller's choice (``load``), since in one process the run loads it anyway;
- a reference model: nothing to check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pytest_veto.backends import backend_kind, create_backend
from pytest_veto.backends.protocol import (
    Backend,
    BackendError,
    BackendOptions,
    Message,
    PromptRequest,
)

#: the one request sent: short, answerable by any chat model. The run sends it under its
#: own decoding (``probe``): a reasoning model given a few tokens can spend them all on
#: reasoning and return no text, which would fail a model the run can use.
PROBE = PromptRequest(
    pair_id="preflight",
    half="probe",
    variant="none",
    messages=(Message("user", 'Reply with the single word "yes".'),),
    max_new_tokens=8,
)
#: seconds the hub may take to say whether a model exists
HUB_TIMEOUT_S = 5.0
SKIP_HINT = "(--veto-no-preflight skips this check)"


@dataclass(frozen=True)
class PreflightFailure:
    """Why the model cannot be used: what failed, where, and the likely fix."""

    model: str
    what: str
    where: str
    fix: str

    def message(self) -> str:
        """One paragraph for the terminal."""
        where = "" if self.where in self.what else f" ({self.where})"
        return (
            f"pytest-veto preflight: --model={self.model}: {self.what}{where}. "
            f"Likely fix: {self.fix}. {SKIP_HINT}"
        )


def preflight(
    model: str,
    options: BackendOptions,
    *,
    load: Callable[[], Backend] | None = None,
    probe: PromptRequest = PROBE,
) -> PreflightFailure | None:
    """Check ``model`` once; None when it answered ``probe`` (or, for a local model, was
    found and, with ``load``, loaded by it)."""
    kind = backend_kind(model)
    if kind == "reference":
        return None
    if kind == "hf":
        return _local(model, options, load)
    return _api(model, options, probe)


def _api(model: str, options: BackendOptions, probe: PromptRequest) -> PreflightFailure | None:
    where = options.api_base or "the provider's default endpoint"
    if options.api_base is None:
        missing = _missing_keys(model)
        if missing:
            names = " and ".join(missing)
            return PreflightFailure(
                model,
                f"no API key: {names} is not set",
                where,
                f"export {names} (or point --api-base at a server that needs no key)",
            )
    quick = replace(options, retries=min(options.retries, 1), concurrency=1)
    try:
        backend = create_backend(model, quick)
        (completion,) = backend.complete([probe])
        backend.close()
    except BackendError as exc:
        return PreflightFailure(model, f"the backend failed: {exc}", where, _fix(str(exc)))
    if completion.status != "error":
        return None
    error = completion.error or "no answer"
    return PreflightFailure(model, f"one test request failed: {error}", where, _fix(error))


def _missing_keys(model: str) -> list[str]:
    """The environment variables litellm needs for ``model`` and does not find."""
    from pytest_veto.backends.litellm_backend import import_litellm

    found = import_litellm().validate_environment(model=model)
    missing = found.get("missing_keys") or []
    return [str(k) for k in missing if str(k).endswith("_KEY")]


#: words of an error message -> the likely fix (first match wins)
_FIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("connection refused",),
        "start the server, or correct the host and port of --api-base",
    ),
    (("dns failure",), "correct the host name of --api-base, or check the network"),
    (("tls error",), "check http:// or https:// in --api-base and the server's certificate"),
    (("timeout",), "check the server is up and answering; raise --veto-timeout if it is slow"),
    (
        ("http 401", "http 403", "credentials", "api key", "api_key"),
        "check the API key in the provider's environment variable",
    ),
    (
        ("http 404", "not found", "does not exist", "notfounderror", "model"),
        "check the model name in --model (and that the server serves it)",
    ),
    (("connection error",), "check --api-base and that the server is reachable"),
)


def _fix(error: str) -> str:
    lowered = error.lower()
    for words, fix in _FIXES:
        if any(w in lowered for w in words):
            return fix
    return "check --model, --api-base and the provider's API key"


def _local(
    model: str, options: BackendOptions, load: Callable[[], Backend] | None
) -> PreflightFailure | None:
    from pathlib import Path

    from pytest_veto.backends.hf_models import locate

    spec = model.removeprefix("hf/")
    cache = Path(options.cache_dir) / "models" if options.cache_dir else None
    fix = "pass an existing folder (hf/path/to/model), a built-in alias or owner/name on the hub"
    try:
        location = locate(spec, cache)
    except BackendError as exc:
        return PreflightFailure(model, str(exc), spec, fix)
    if location.source == "hub":
        problem = _hub_problem(spec)
        if problem is not None:
            return PreflightFailure(
                model,
                f"not a local folder, not in the Hugging Face cache, and the hub did not "
                f"confirm it: {problem}",
                f"https://huggingface.co/{spec}",
                f"{fix}; a hub model needs the network once",
            )
    if load is not None:
        try:
            load()
        except BackendError as exc:
            return PreflightFailure(model, str(exc), location.load_path, fix)
    return None


def _hub_problem(spec: str) -> str | None:
    """None when ``spec`` is in the Hugging Face cache or the hub knows it, else why not."""
    try:
        from huggingface_hub import model_info, try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers depends on it
        return None
    try:
        if isinstance(try_to_load_from_cache(spec, "config.json"), str):
            return None
    except ValueError:  # not a valid repository id
        return f"{spec!r} is not a repository id of the form owner/name"
    try:
        model_info(spec, timeout=HUB_TIMEOUT_S)
    except Exception as exc:  # offline, unknown repository, gated, rate limited...
        text = " ".join(str(exc).split())
        return f"{type(exc).__name__}: {text[:160]}"
    return None


def probe_request(
    max_new_tokens: int,
    chat_template_kwargs: Mapping[str, Any],
    extra_body: Mapping[str, Any],
) -> PromptRequest:
    """The probe under the run's budget, template keywords and extra body: the model is
    checked as the run will ask it."""
    return replace(
        PROBE,
        max_new_tokens=max_new_tokens,
        chat_template_kwargs=chat_template_kwargs,
        extra_body=extra_body,
    )
