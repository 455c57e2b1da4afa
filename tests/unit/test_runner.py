"""The worker-side runner: batching with lookahead, memo, response cache, resumption."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path

import pytest

from pytest_veto.backends.protocol import (
    BackendOptions,
    Capability,
    Completion,
    PromptRequest,
    SubmitsBatches,
)
from pytest_veto.data.pairs import Pair, load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.answers import parse_answer
from pytest_veto.run.cases import Case, all_requests
from pytest_veto.run.completions import CompletionCounts
from pytest_veto.run.decoding import decoding_for
from pytest_veto.run.response_cache import ResponseCache
from pytest_veto.run.runner import CaseRunner, make_runner


class CountingBackend:
    """Answers "yes", except "no" for stereotyped halves of chosen pairs; fails chosen keys."""

    kind = "counting"
    model = "counting/1"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(
        self, misfire: frozenset[str] = frozenset(), fail: frozenset[str] = frozenset()
    ) -> None:
        self.misfire, self.fail = misfire, fail
        self.batches: list[list[str]] = []

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        self.batches.append([r.key for r in requests])
        out = []
        for r in requests:
            if r.key in self.fail:
                out.append(Completion("error", error="boom"))
            elif r.pair_id in self.misfire and r.half == "stereotyped":
                out.append(Completion("ok", '{"answer": "no"}'))
            else:
                out.append(Completion("ok", '{"answer": "yes"}', latency_s=0.01))
        return out

    def cache_identity(self) -> dict[str, object]:
        return {"backend": "counting", "model": self.model}

    def close(self) -> None:
        pass


def sample(n: int = 6) -> list[Pair]:
    return load_pairs(sample_pairs_path())[:n]


def test_lookahead_batches_upcoming_cases_and_sends_each_request_once() -> None:
    backend = CountingBackend(misfire=frozenset({sample()[1].id}))
    runner = CaseRunner(lambda: backend, "direct", lookahead=4)
    cases = [Case(p) for p in sample()]
    results = [runner.result(c, cases[i + 1 :]) for i, c in enumerate(cases)]
    assert [r.outcome for r in results] == ["a", "c", "a", "a", "a", "a"]
    assert [len(b) for b in backend.batches] == [6, 6]  # 2 own + 4 ahead, twice
    sent = [k for b in backend.batches for k in b]
    assert len(sent) == len(set(sent)) == 12 == runner.requests_sent


class BackgroundBackend(CountingBackend):
    """A ``SubmitsBatches`` backend whose background batches wait until released."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[list[str]] = []
        self.futures: list[Future[list[Completion]]] = []

    def submit(self, requests: Sequence[PromptRequest]) -> Future[list[Completion]]:
        self.submitted.append([r.key for r in requests])
        future: Future[list[Completion]] = Future()
        self.futures.append(future)
        return future

    def release(self) -> None:
        """Answer every background batch not yet answered."""
        for keys, future in zip(self.submitted, self.futures, strict=True):
            if not future.done():
                future.set_result(
                    [Completion("ok", '{"answer": "yes"}', latency_s=0.01) for _ in keys]
                )


def test_a_background_backend_gets_the_next_batch_while_tests_are_judged() -> None:
    """After each batch the following ``lookahead`` requests are submitted at once; the
    test that needs them waits for them; nothing is sent twice nor lost in between."""
    backend = BackgroundBackend()
    runner = CaseRunner(lambda: backend, "direct", lookahead=4)
    cases = [Case(p) for p in sample(12)]
    assert isinstance(backend, SubmitsBatches)
    runner.result(cases[0], cases[1:])
    # case 0 and cases 1-2 sent and answered; cases 3-4 already travelling
    assert [len(b) for b in backend.batches] == [6] and [len(b) for b in backend.submitted] == [4]
    assert runner.counts.sent == 6  # a travelling batch is counted when it is in
    runner.result(cases[1], cases[2:])
    runner.result(cases[2], cases[3:])
    assert len(backend.submitted) == 1  # one batch in flight at a time
    backend.release()
    for i in range(3, 12):
        runner.result(cases[i], cases[i + 1 :])
        backend.release()
    assert len(backend.batches) == 1  # every later case found its answers sent ahead
    sent = [k for b in backend.batches + backend.submitted for k in b]
    assert len(sent) == len(set(sent)) == 24 == runner.requests_sent
    assert sorted(sent) == sorted(r.key for c in cases for r in all_requests(c, runner.decoding))


def test_a_batch_sent_ahead_for_tests_that_never_run_is_cancelled_not_counted() -> None:
    backend = BackgroundBackend()
    runner = CaseRunner(lambda: backend, "direct", lookahead=2)
    cases = [Case(p) for p in sample(4)]
    runner.result(cases[0], cases[1:])
    assert len(backend.submitted) == 1 and not backend.futures[0].done()
    runner.close()  # e.g. -x stopped the session
    assert backend.futures[0].cancelled()
    assert runner.requests_sent == 4 and runner.counts.fresh == 4


def test_reading_requests_sent_waits_for_the_batch_in_flight() -> None:
    """Exploration counts its calls as the difference of two readings: a batch another
    test sent ahead must not land between them."""
    backend = BackgroundBackend()
    runner = CaseRunner(lambda: backend, "direct", lookahead=2)
    cases = [Case(p) for p in sample(6)]
    runner.result(cases[0], cases[1:3])  # cases 0-1 answered, case 2 travelling
    backend.release()
    before = runner.requests_sent
    assert before == 6
    runner.result(cases[5])  # one more case, asked on its own
    assert runner.requests_sent - before == 2


def test_a_cancelled_batch_counts_none_of_its_cached_answers(tmp_path: Path) -> None:
    cases = [Case(p) for p in sample(6)]
    with ResponseCache.open(tmp_path) as cache:
        first = CaseRunner(lambda: CountingBackend(), "direct", cache=cache)
        for c in cases:
            first.result(c)
    with ResponseCache.open(tmp_path) as cache:
        backend = BackgroundBackend()
        runner = CaseRunner(lambda: backend, "direct", cache=cache, lookahead=2)
        runner.result(cases[0], cases[1:])  # cases 0-1 from the cache, cases 2 ahead
        runner.close()
        assert runner.counts.from_cache == 4 and runner.counts.sent == 0


def test_without_lookahead_one_case_per_batch() -> None:
    backend = CountingBackend()
    runner = CaseRunner(lambda: backend, "direct")
    cases = [Case(p) for p in sample(3)]
    for c in cases:
        runner.result(c, cases)
    assert [len(b) for b in backend.batches] == [2, 2, 2]


def test_backend_created_lazily() -> None:
    made: list[int] = []

    def factory() -> CountingBackend:
        made.append(1)
        return CountingBackend()

    runner = CaseRunner(factory, "direct")
    assert made == []
    runner.result(Case(sample(1)[0]))
    runner.result(Case(sample(2)[1]))
    assert made == [1]


def test_cached_rerun_sends_nothing_and_errors_are_not_cached(tmp_path: Path) -> None:
    pairs = sample(4)
    failing = f"{pairs[2].id}/contrast/base"
    first = CountingBackend(fail=frozenset({failing}))
    with ResponseCache.open(tmp_path) as cache:
        runner = CaseRunner(lambda: first, "direct", cache=cache)
        outcomes = [runner.result(Case(p)).outcome for p in pairs]
    assert outcomes == ["a", "a", "error", "a"]
    assert runner.requests_sent == 8

    second = CountingBackend()
    with ResponseCache.open(tmp_path) as cache:
        rerun = CaseRunner(lambda: second, "direct", cache=cache)
        results = [rerun.result(Case(p)) for p in pairs]
    # only the errored request is sent again: an interrupted run resumes
    assert [k for b in second.batches for k in b] == [failing]
    assert [r.outcome for r in results] == ["a"] * 4
    assert results[0].stereotyped.cached and not results[2].contrast.cached
    assert runner.counts == CompletionCounts(sent=8, fresh=7)
    assert rerun.counts == CompletionCounts(sent=1, from_cache=7, fresh=1)


def test_cache_key_depends_on_condition(tmp_path: Path) -> None:
    pair = sample(1)[0]
    backend = CountingBackend()
    with ResponseCache.open(tmp_path) as cache:
        CaseRunner(lambda: backend, "direct", cache=cache).result(Case(pair))
        CaseRunner(lambda: backend, "cot", cache=cache).result(Case(pair))
    assert len(backend.batches) == 2  # different prompts: no false hit


def test_identical_prompts_in_a_batch_are_sent_once(tmp_path: Path) -> None:
    pair = sample(1)[0]
    twin = Pair(
        pair.id + "_twin",
        pair.category,
        pair.stereotyped_group,
        pair.contrast_group,
        pair.correct_answer,
        pair.trigger_sentence,
        pair.stereotyped,
        pair.contrast,
    )
    backend = CountingBackend()
    with ResponseCache.open(tmp_path) as cache:
        runner = CaseRunner(lambda: backend, "direct", cache=cache, lookahead=2)
        first = runner.result(Case(pair), [Case(twin)])
        second = runner.result(Case(twin))
    assert [len(b) for b in backend.batches] == [2]
    assert first.outcome == second.outcome == "a"
    assert runner.counts == CompletionCounts(sent=2, fresh=2, shared=2)


def test_close_releases_the_backend_and_the_cache(tmp_path: Path) -> None:
    pair = sample(1)[0]
    backend = CountingBackend()
    cache = ResponseCache.open(tmp_path)
    runner = CaseRunner(lambda: backend, "direct", cache=cache)
    runner.result(Case(pair))
    runner.close()
    assert cache._conn is None  # the SQLite file is closed, not left to process exit


def test_each_completion_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []

    def counting(raw: str) -> str:
        parsed.append(raw)
        return parse_answer(raw)

    monkeypatch.setattr("pytest_veto.run.verdict.parse_answer", counting)
    cases = [Case(p) for p in sample(3)]
    with ResponseCache.open(tmp_path) as cache:
        runner = CaseRunner(CountingBackend, "direct", cache=cache, lookahead=4)
        results = [runner.result(c, cases[i + 1 :]) for i, c in enumerate(cases)]
        assert len(parsed) == 6  # fresh: parsed once for the cache and the verdict alike
        for c in cases:
            runner.result(c)  # memoised: not parsed again
        assert len(parsed) == 6
    with ResponseCache.open(tmp_path) as cache:
        rerun = CaseRunner(CountingBackend, "direct", cache=cache)
        again = [rerun.result(c) for c in cases]
    assert len(parsed) == 12  # a cached completion is parsed once too
    assert rerun.counts == CompletionCounts(from_cache=6)
    halves = [(r.outcome, r.stereotyped.answer, r.contrast.answer) for r in results]
    assert [(r.outcome, r.stereotyped.answer, r.contrast.answer) for r in again] == halves
    assert all(r.stereotyped.cached and r.contrast.cached for r in again)


def test_completions_returns_the_backends_completions_in_order() -> None:
    backend = CountingBackend(misfire=frozenset({sample(1)[0].id}))
    runner = CaseRunner(lambda: backend, "direct")
    requests = [r for c in sample(2) for r in all_requests(Case(c), "direct")]
    out = runner.completions(requests[::-1])
    assert [c.text for c in out] == ['{"answer": "yes"}'] * 3 + ['{"answer": "no"}']
    assert runner.completions(requests[:1])[0] is out[-1]  # memoised
    assert runner.requests_sent == 4


@pytest.mark.parametrize(
    ("model", "cached", "lookahead"),
    [
        ("reference/evidence-reader", False, 0),
        ("openai/some-model", True, 6),
        ("hf/some/path", True, 10),
    ],
)
def test_make_runner(tmp_path: Path, model: str, cached: bool, lookahead: int) -> None:
    options = BackendOptions(concurrency=3, batch_size=5)
    runner = make_runner(model, options, decoding_for("cot", model), cache_dir=tmp_path)
    assert runner.lookahead == lookahead and runner.decoding == decoding_for("cot", model)
    assert (tmp_path / "responses.sqlite3").is_file() == cached
    runner.close()
    direct = decoding_for("direct", model)
    off = make_runner(model, options, direct, cache_dir=tmp_path / "off", no_cache=True)
    assert not (tmp_path / "off").exists()
    off.close()


def test_make_runner_answers_through_the_named_backend() -> None:
    runner = make_runner("reference/evidence-reader", BackendOptions(), "direct")
    assert runner.result(Case(sample(1)[0])).outcome == "a"
    assert runner.backend.model == "reference/evidence-reader"
    runner.close()
