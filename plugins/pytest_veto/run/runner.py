"""Worker-side execution: cases -> prompt requests -> (cache, backend) -> pair results.

The runner completes the current case together with the next cases this worker will
run (``lookahead`` requests), so a backend can work on a whole batch at once: concurrent
API calls, batched local generation. A backend that works in the background (API models)
is also sent the following ``lookahead`` requests as soon as a batch is in, so requests
travel while tests are judged; their answers are counted and cached when a test needs
them, and cancelled if none does. Each request is sent at most once per worker; with
the response cache, at most once across runs (see ``pytest_veto.run.completions``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from pytest_veto.backends import backend_kind, create_backend
from pytest_veto.backends.protocol import (
    Backend,
    BackendOptions,
    Completion,
    PromptRequest,
    SubmitsBatches,
)
from pytest_veto.run.answers import ParsedAnswer
from pytest_veto.run.cases import Case, all_requests, requests_for
from pytest_veto.run.completions import (
    Answered,
    CacheLike,
    CacheThrough,
    CompletionCounts,
    Pending,
)
from pytest_veto.run.controls import ControlCase, ControlResult, control_request, control_result
from pytest_veto.run.decoding import DecodingSettings, plain_decoding
from pytest_veto.run.prompts import Condition
from pytest_veto.run.verdict import PairResult, completion_answer, half_result, judge


def make_runner(
    model: str,
    options: BackendOptions,
    decoding: DecodingSettings,
    *,
    cache_dir: str | Path | None = None,
    no_cache: bool = False,
    revision: str | None = None,
) -> CaseRunner:
    """A runner for this process; the backend itself is created on first use.

    The response cache lives in ``cache_dir`` (default: ``data.locations.default_cache_dir``)
    unless ``no_cache``; reference models are never cached (their answers depend on fields
    outside the cache key, and cost nothing); ``revision`` (``--veto-model-revision``) is
    part of every cache key. The lookahead keeps a backend busy: twice its
    concurrency (API) or batch size (local); reference models answer instantly.
    """
    kind = backend_kind(model)
    cache: CacheLike | None = None
    if kind != "reference" and not no_cache:
        from pytest_veto.run.response_cache import ResponseCache

        # never raises: a corrupt or locked cache degrades to no cache with one warning
        cache = ResponseCache.open(cache_dir)
    if kind == "litellm":
        lookahead = 2 * options.concurrency
    elif kind == "hf":
        lookahead = 2 * options.batch_size
    else:
        lookahead = 0
    return CaseRunner(
        lambda: create_backend(model, options),
        decoding,
        cache=cache,
        lookahead=lookahead,
        revision=revision,
    )


def _answer(request: PromptRequest, completion: Completion) -> ParsedAnswer:
    """The ``answer_of`` of the cache-through path: a pair half's parsed answer."""
    return completion_answer(completion)


class CaseRunner:
    """Runs cases on one backend, created lazily on first use."""

    def __init__(
        self,
        backend_factory: Callable[[], Backend],
        decoding: DecodingSettings | Condition,
        *,
        cache: CacheLike | None = None,
        lookahead: int = 0,
        revision: str | None = None,
    ) -> None:
        self._factory = backend_factory
        self._backend: Backend | None = None
        #: the run's decoding (a bare condition: an API model's published decoding)
        self.decoding = plain_decoding(decoding) if isinstance(decoding, str) else decoding
        self.lookahead = max(0, lookahead)
        self._path = CacheThrough(cache, revision)
        self._memo: dict[str, Answered[ParsedAnswer]] = {}
        #: the batch sent ahead in the background (``SubmitsBatches`` backends)
        self._pending: Pending[ParsedAnswer] | None = None

    @property
    def backend(self) -> Backend:
        """The backend, created on first use (so collection never loads a model)."""
        if self._backend is None:
            self._backend = self._factory()
        return self._backend

    @property
    def counts(self) -> CompletionCounts:
        """Requests sent, served from the cache, answered fresh; why the cache is off."""
        return self._path.counts

    @property
    def requests_sent(self) -> int:
        """Requests sent to the backend so far. A batch still travelling is waited for
        first, so a reading before and after some work (exploration counts its calls so)
        never includes another test's requests sent ahead."""
        self._settle()
        return self._path.counts.sent

    def result(self, case: Case, upcoming: Iterable[Case] = ()) -> PairResult:
        """Run one case (prefetching requests of ``upcoming`` cases) and judge it.

        A primed case is judged together with its base case, so that a flip (misfires
        primed, not unprimed) is known wherever the case runs.
        """
        ahead = (r for c in upcoming for r in all_requests(c, self.decoding))
        self._answered(all_requests(case, self.decoding), ahead)
        result = self._judge(case)
        if case.priming is None:
            return result
        return replace(result, base_outcome=self._judge(case.base).outcome)

    def control(self, case: ControlCase, upcoming: Iterable[ControlCase] = ()) -> ControlResult:
        """Ask one pair's control question (prefetching the ``upcoming`` controls')."""
        request = control_request(case.pair, self.decoding)
        ahead = (control_request(c.pair, self.decoding) for c in upcoming)
        [answered] = self._answered([request], ahead)
        return control_result(case.pair, half_result(request, answered.completion, answered.answer))

    def _judge(self, case: Case) -> PairResult:
        st, co = (
            half_result(r, self._memo[r.key].completion, self._memo[r.key].answer)
            for r in requests_for(case, self.decoding)
        )
        return judge(case.pair, case.variant, st, co)

    def completions(
        self, requests: Sequence[PromptRequest], upcoming: Iterable[PromptRequest] = ()
    ) -> list[Completion]:
        """Completions of ``requests`` (memo, cache, then the backend), sending up to
        ``lookahead`` of the ``upcoming`` requests in the same batch."""
        return [a.completion for a in self._answered(requests, upcoming)]

    def _answered(
        self, requests: Sequence[PromptRequest], upcoming: Iterable[PromptRequest] = ()
    ) -> list[Answered[ParsedAnswer]]:
        if self._pending is not None and any(r.key not in self._memo for r in requests):
            self._settle()  # the answers may be on their way; one batch at a time anyway
        ahead = iter(upcoming)
        batch = [r for r in requests if r.key not in self._memo]
        if batch:
            batch += self._unasked(ahead, self.lookahead, {r.key for r in batch})
            answered = self._path.complete(self.backend, batch, _answer)
            self._memo.update(zip((r.key for r in batch), answered, strict=True))
        if self.lookahead and self._pending is None and isinstance(self.backend, SubmitsBatches):
            # the next tests' requests travel while these tests are judged
            following = self._unasked(ahead, self.lookahead, set())
            if following:
                self._pending = self._path.start(self.backend, following, _answer)
        return [self._memo[r.key] for r in requests]

    def _unasked(
        self, requests: Iterator[PromptRequest], limit: int, taken: set[str]
    ) -> list[PromptRequest]:
        """Up to ``limit`` of ``requests`` neither answered nor in ``taken`` (which grows)."""
        found: list[PromptRequest] = []
        while len(found) < limit:  # checked before taking one: none is lost to the next call
            r = next(requests, None)
            if r is None:
                break
            if r.key not in self._memo and r.key not in taken:
                taken.add(r.key)
                found.append(r)
        return found

    def _settle(self) -> None:
        """Wait for the batch sent ahead and remember its answers."""
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                answered = self._path.finish(pending)
            except BaseException:
                pending.cancel()  # an interrupt stops the requests still travelling
                raise
            self._memo.update(zip((r.key for r in pending.requests), answered, strict=True))

    def close(self) -> None:
        """Release the backend and close the response cache. A batch sent ahead for tests
        that did not run (an interrupted run) is cancelled, neither counted nor cached."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        self._path.close()
