"""The one cache-through path from prompt requests to completions (VETO pairs, Mis-Align).

For a batch of requests, :meth:`CacheThrough.complete` serves what the response cache
holds, sends each remaining distinct prompt to the backend once, stores the answered
completions (``ok``, ``refused``) with their parsed answers under
:func:`pytest_veto.run.response_cache.request_key`, and returns one :class:`Answered`
per request, in request order. Errors are never stored, so a rerun retries them.

The caller's ``answer_of`` parses each completion exactly once (a cached one included:
the stored answer is not trusted, because parsing rules -- the answer parser, a judging
template's patterns -- are not part of the key); the parsed answer travels with the
completion, so no consumer parses it again.

Identical prompts are sent once only with a cache: sharing an answer by key is sound
only where the key determines the answer, which is the cache's own premise (reference
models read fields outside the key, and are never cached).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from pytest_veto.backends.protocol import Backend, Completion, PromptRequest, SubmitsBatches

if TYPE_CHECKING:
    from pytest_veto.run.response_cache import CachedResponse, CacheStats

#: A parsed answer: any string type (``run.answers.ParsedAnswer``, a Mis-Align verdict).
A = TypeVar("A", bound=str)


class CacheLike(Protocol):
    """What the path needs of a cache: :class:`pytest_veto.run.response_cache.ResponseCache`
    and :class:`~pytest_veto.run.response_cache.NullCache` both are one."""

    @property
    def degraded(self) -> str | None:
        """Why the cache was switched off, or None while it works."""
        ...

    @property
    def stats(self) -> CacheStats:
        """The cache's own counters."""
        ...

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        """Cached responses for the keys found."""
        ...

    def put_many(self, items: Sequence[tuple[str, CachedResponse]]) -> int:
        """Store responses (errors are skipped); return how many were written."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


@dataclass(frozen=True)
class Answered(Generic[A]):
    """A completion and its parsed answer."""

    completion: Completion
    answer: A


@dataclass
class Pending(Generic[A]):
    """A batch between ``CacheThrough.start`` and ``finish``: the requests, the answers
    known so far (cached ones), which were sent (``todo``) and which share a sent one's
    answer (``copies``), and the backend's future."""

    requests: Sequence[PromptRequest]
    answer_of: Callable[[PromptRequest, Completion], A]
    out: list[Answered[A] | None]
    keys: list[str] | None = None
    todo: list[int] = field(default_factory=list)
    copies: dict[int, list[int]] = field(default_factory=dict)
    future: Future[list[Completion]] | None = None
    started: float = 0.0
    kind: str = ""
    #: requests answered from the cache (counted by ``finish``)
    from_cache: int = 0

    def cancel(self) -> None:
        """Stop the batch's requests (an interrupted run): nothing is counted or cached."""
        if self.future is not None:
            self.future.cancel()
            self.future = None


@dataclass(frozen=True)
class CompletionCounts:
    """Where the completions of a run came from, for the terminal and the report.

    Every request handed to the path is counted once: ``from_cache`` + ``sent`` +
    ``shared`` of them. ``fresh`` of the ``sent`` ones got an answer (the rest are errors,
    retried on the next run). ``cache_note`` says why the cache was switched off, if it was.
    """

    #: requests sent to the backend
    sent: int = 0
    #: requests served from the response cache
    from_cache: int = 0
    #: sent requests answered (``ok`` or ``refused``): what was offered to the cache
    fresh: int = 0
    #: requests answered by an identical prompt sent in the same batch
    shared: int = 0
    #: why the response cache was degraded to no cache, or None
    cache_note: str | None = None

    @property
    def errors(self) -> int:
        """Sent requests that got no answer."""
        return self.sent - self.fresh


class CacheThrough:
    """The cache-through path for one process: a cache (or none) and running counts.

    The backend is passed per call (the caller owns it and may create it lazily). Not
    thread-safe: one caller at a time.
    """

    def __init__(self, cache: CacheLike | None = None, revision: str | None = None) -> None:
        self.cache = cache
        #: ``--veto-model-revision``: part of every cache key, so answers of one release
        #: of a model are never served for another behind the same name
        self.revision = revision
        self._sent = self._from_cache = self._fresh = self._shared = 0

    @property
    def counts(self) -> CompletionCounts:
        """The counts so far, with the cache's degradation note."""
        note = self.cache.degraded if self.cache is not None else None
        return CompletionCounts(self._sent, self._from_cache, self._fresh, self._shared, note)

    def complete(
        self,
        backend: Backend,
        requests: Sequence[PromptRequest],
        answer_of: Callable[[PromptRequest, Completion], A],
    ) -> list[Answered[A]]:
        """One answered completion per request, in order; cached answers are not sent.

        ``answer_of`` is called once per distinct completion (a cached one included).
        ``RuntimeError`` when the backend returns a different number of completions than
        it was sent.
        """
        return self.finish(self.start(backend, requests, answer_of, background=False))

    def start(
        self,
        backend: Backend,
        requests: Sequence[PromptRequest],
        answer_of: Callable[[PromptRequest, Completion], A],
        *,
        background: bool = True,
    ) -> Pending[A]:
        """``complete``'s first half: serve the cache, send the rest, and return at once
        when the backend can work in the background (``SubmitsBatches``, with
        ``background``); else the batch is complete on return. ``finish`` gives the
        answers. Only one pending batch at a time: the path is not thread-safe, and its
        counts and cache writes happen in ``finish``, on the caller's thread."""
        pending: Pending[A] = Pending(requests, answer_of, [None] * len(requests))
        if not requests:
            return pending
        found: dict[str, CachedResponse] = {}
        if self.cache is not None:
            from pytest_veto.run.response_cache import request_key

            identity = backend.cache_identity()
            if self.revision is not None:
                identity = {**identity, "model_revision": self.revision}
            pending.keys = [request_key(identity, r) for r in requests]
            found = self.cache.get_many(pending.keys)
        keys, out = pending.keys, pending.out
        first: dict[str, int] = {}  # cache key -> index of the request sent for it
        for i, request in enumerate(requests):
            hit = found.get(keys[i]) if keys is not None else None
            if hit is not None:
                completion = hit.to_completion()
                out[i] = Answered(completion, answer_of(request, completion))
                pending.from_cache += 1
            elif keys is not None and keys[i] in first:
                pending.copies.setdefault(first[keys[i]], []).append(i)
            else:
                if keys is not None:
                    first[keys[i]] = i
                pending.todo.append(i)
        if pending.todo:
            batch = [requests[i] for i in pending.todo]
            pending.started = time.perf_counter()
            if background and isinstance(backend, SubmitsBatches):
                pending.future = backend.submit(batch)
            else:
                pending.future = Future()
                pending.future.set_result(backend.complete(batch))
            pending.kind = backend.kind
        return pending

    def finish(self, pending: Pending[A]) -> list[Answered[A]]:
        """Wait for a batch ``start`` sent; count it, cache it, and return its answers.
        Everything is counted here, cache hits too: a batch cancelled before it is
        finished counts nothing."""
        if pending.future is not None:
            completions = pending.future.result()
            pending.future = None
            self._received(pending, completions)
            for i, shared in pending.copies.items():
                for j in shared:
                    pending.out[j] = pending.out[i]
            if pending.keys is not None:
                self._store(pending.keys, pending.todo, pending.out)
        self._from_cache += pending.from_cache
        self._shared += sum(len(shared) for shared in pending.copies.values())
        pending.from_cache = 0
        pending.copies = {}
        return [a for a in pending.out if a is not None]

    def _received(self, pending: Pending[A], completions: Sequence[Completion]) -> None:
        """Fill the places of the sent requests in ``pending.out``."""
        requests, todo, out, answer_of = (
            pending.requests,
            pending.todo,
            pending.out,
            pending.answer_of,
        )
        if len(completions) != len(todo):
            raise RuntimeError(
                f"backend {pending.kind} returned {len(completions)} completions "
                f"for {len(todo)} requests"
            )
        mean = (time.perf_counter() - pending.started) / len(todo)
        self._sent += len(todo)
        for i, c in zip(todo, completions, strict=True):
            if c.status == "error":
                out[i] = Answered(c, answer_of(requests[i], c))
                continue
            if c.latency_s == 0.0:  # backends that cannot time one request get the mean
                c = replace(c, latency_s=mean)
            out[i] = Answered(c, answer_of(requests[i], c))
            self._fresh += 1

    def _store(
        self, keys: Sequence[str], done: Sequence[int], out: Sequence[Answered[A] | None]
    ) -> None:
        """Offer the answered completions at ``done`` to the cache (never an error)."""
        from pytest_veto.run.response_cache import CachedResponse

        assert self.cache is not None
        items = []
        for i in done:
            answered = out[i]
            assert answered is not None
            if answered.completion.status != "error":
                items.append(
                    (keys[i], CachedResponse.from_completion(answered.completion, answered.answer))
                )
        if items:
            self.cache.put_many(items)

    def close(self) -> None:
        """Close the cache (the backend belongs to the caller)."""
        if self.cache is not None:
            self.cache.close()
