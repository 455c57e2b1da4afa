"""Sending a batch of requests to a backend through the response cache (Stage I tools).

The same contract as the gate's runner: answered completions (``ok``, ``refused``) are
stored under :func:`pytest_veto.run.response_cache.request_key` and served on the next run; errors are
never stored, so a rerun retries them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pytest_veto.backends.protocol import Backend, Completion, PromptRequest


class CacheLike(Protocol):
    """What is needed of :class:`pytest_veto.run.response_cache.ResponseCache`."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]: ...

    def put_many(self, items: Sequence[tuple[str, Any]]) -> int: ...


def complete(
    backend: Backend,
    requests: Sequence[PromptRequest],
    cache: CacheLike | None = None,
    answer_of: Callable[[Completion], str] = lambda c: c.status,
) -> list[Completion]:
    """One completion per request, in order; cached answers are not sent again.

    ``answer_of`` gives the parsed answer stored beside a completion's text.
    """
    if not requests:
        return []
    if cache is None:
        return _checked(backend, requests, backend.complete(list(requests)))
    from pytest_veto.run.response_cache import CachedResponse, request_key

    identity = backend.cache_identity()
    keys = [request_key(identity, r) for r in requests]
    found = cache.get_many(keys)
    out: list[Completion | None] = [
        found[k].to_completion() if k in found else None for k in keys
    ]
    todo = [i for i, c in enumerate(out) if c is None]
    if todo:
        batch = [requests[i] for i in todo]
        answers = _checked(backend, batch, backend.complete(batch))
        stored = []
        for i, completion in zip(todo, answers):
            out[i] = completion
            if completion.status != "error":
                stored.append((keys[i], CachedResponse.from_completion(
                    completion, answer_of(completion))))
        if stored:
            cache.put_many(stored)
    return [c for c in out if c is not None]


def _checked(
    backend: Backend, requests: Sequence[PromptRequest], completions: list[Completion]
) -> list[Completion]:
    if len(completions) != len(requests):
        raise RuntimeError(f"backend {backend.kind} returned {len(completions)} completions "
                           f"for {len(requests)} requests")
    return completions
