"""Worker-side execution: cases -> prompt requests -> (cache, backend) -> pair results.

The runner completes the current case together with the next cases this worker will
run (``lookahead`` requests), so a backend can work on a whole batch at once: concurrent
API calls, batched local generation. Each request is sent at most once per worker; with
the response cache, at most once across runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from pytest_veto.backends.protocol import Backend, Completion, PromptRequest
from pytest_veto.run.cases import Case, all_requests, requests_for
from pytest_veto.run.prompts import Condition
from pytest_veto.run.verdict import PairResult, half_result, judge


class CacheLike(Protocol):
    """What the runner needs of the response cache (see ``pytest_veto.run.response_cache``)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]: ...

    def put_many(self, items: Sequence[tuple[str, Any]]) -> None: ...

    def close(self) -> None: ...


class CaseRunner:
    """Runs cases on one backend, created lazily on first use."""

    def __init__(
        self,
        backend_factory: Callable[[], Backend],
        condition: Condition,
        *,
        cache: CacheLike | None = None,
        lookahead: int = 0,
    ) -> None:
        self._factory = backend_factory
        self._backend: Backend | None = None
        self.condition = condition
        self.cache = cache
        self.lookahead = max(0, lookahead)
        self._memo: dict[str, Completion] = {}
        self.requests_sent = 0
        self.cache_hits = 0

    @property
    def backend(self) -> Backend:
        """The backend, created on first use (so collection never loads a model)."""
        if self._backend is None:
            self._backend = self._factory()
        return self._backend

    def result(self, case: Case, upcoming: Iterable[Case] = ()) -> PairResult:
        """Run one case (prefetching requests of ``upcoming`` cases) and judge it.

        A primed case is judged together with its base case, so that a flip (misfires
        primed, not unprimed) is known wherever the case runs.
        """
        ahead = (r for c in upcoming for r in all_requests(c, self.condition))
        self.completions(all_requests(case, self.condition), ahead)
        result = self._judge(case)
        if case.priming is None:
            return result
        return replace(result, base_outcome=self._judge(case.base).outcome)

    def _judge(self, case: Case) -> PairResult:
        st, co = (half_result(r, self._memo[r.key]) for r in requests_for(case, self.condition))
        return judge(case.pair, case.variant, st, co)

    def completions(self, requests: Sequence[PromptRequest],
                    upcoming: Iterable[PromptRequest] = ()) -> list[Completion]:
        """Completions of ``requests`` (memo, cache, then the backend), sending up to
        ``lookahead`` of the ``upcoming`` requests in the same batch."""
        batch = [r for r in requests if r.key not in self._memo]
        if batch:
            taken = {r.key for r in batch}
            extra = 0
            for r in upcoming:
                if extra >= self.lookahead:
                    break
                if r.key not in self._memo and r.key not in taken:
                    taken.add(r.key)
                    batch.append(r)
                    extra += 1
            self._complete(batch)
        return [self._memo[r.key] for r in requests]

    def _complete(self, batch: Sequence[PromptRequest]) -> None:
        backend = self.backend
        identity = backend.cache_identity() if self.cache is not None else {}
        keys: dict[str, str] = {}
        todo = list(batch)
        if self.cache is not None:
            from pytest_veto.run.response_cache import request_key

            keys = {r.key: request_key(identity, r) for r in batch}
            found = self.cache.get_many(list(keys.values()))
            todo = []
            for r in batch:
                hit = found.get(keys[r.key])
                if hit is None:
                    todo.append(r)
                    continue
                self.cache_hits += 1
                self._memo[r.key] = hit.to_completion()
        # identical prompts (same cache key: same model, parameters and messages) are sent
        # once per batch; the copies take the first one's answer
        copies: dict[str, list[PromptRequest]] = {}
        if keys:
            unique: dict[str, PromptRequest] = {}
            for r in todo:
                if keys[r.key] in unique:
                    copies.setdefault(unique[keys[r.key]].key, []).append(r)
                else:
                    unique[keys[r.key]] = r
            todo = list(unique.values())
        if not todo:
            return
        started = time.perf_counter()
        completions = backend.complete(todo)
        if len(completions) != len(todo):
            raise RuntimeError(
                f"backend {backend.kind} returned {len(completions)} completions "
                f"for {len(todo)} requests"
            )
        self.requests_sent += len(todo)
        elapsed = time.perf_counter() - started
        for r, c in zip(todo, completions):
            if c.latency_s == 0.0 and c.status != "error":
                # backends that cannot time one request get the batch's mean
                c = Completion(c.status, c.text, c.error, elapsed / len(todo), c.cached,
                               c.logit_diff, c.extra)
            self._memo[r.key] = c
            for copy in copies.get(r.key, ()):
                self._memo[copy.key] = c
        if self.cache is not None:
            self._store(todo, keys)

    def _store(self, done: Sequence[PromptRequest], keys: dict[str, str]) -> None:
        from pytest_veto.run.answers import parse_answer
        from pytest_veto.run.response_cache import CachedResponse

        items = []
        for r in done:
            c = self._memo[r.key]
            if c.status == "error":
                continue  # errors are retried on the next run, never cached
            answer = "refused" if c.status == "refused" else parse_answer(c.text)
            items.append((keys[r.key], CachedResponse.from_completion(c, answer)))
        if items:
            assert self.cache is not None
            self.cache.put_many(items)

    def close(self) -> None:
        """Release the backend and close the response cache."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        if self.cache is not None:
            self.cache.close()
