"""The cache-through completion path: hits, dedup, errors, counts, one parse per completion."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_veto.backends.protocol import Capability, Completion, Message, PromptRequest
from pytest_veto.run.completions import CacheLike, CacheThrough, CompletionCounts
from pytest_veto.run.response_cache import (
    CACHE_FILENAME,
    NullCache,
    PytestVetoCacheWarning,
    ResponseCache,
)


class Backend:
    """Answers ``ok <prompt>``; "fail" prompts error, "refuse" prompts are refused."""

    kind = "test"
    model = "test/echo"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, latency_s: float = 0.5) -> None:
        self.latency_s = latency_s
        self.batches: list[list[str]] = []

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        self.batches.append([r.key for r in requests])
        out = []
        for r in requests:
            prompt = r.messages[-1].content
            if prompt.startswith("fail"):
                out.append(Completion("error", error="boom"))
            elif prompt.startswith("refuse"):
                out.append(Completion("refused", "I can't.", latency_s=self.latency_s))
            else:
                out.append(Completion("ok", f"ok {prompt}", latency_s=self.latency_s))
        return out

    def cache_identity(self) -> dict[str, object]:
        return {"kind": self.kind, "model": self.model}

    def close(self) -> None:
        pass


class Short(Backend):
    """Returns one completion too few."""

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        return super().complete(requests)[:-1]


def req(pair_id: str, prompt: str | None = None) -> PromptRequest:
    return PromptRequest(pair_id, "h", "v", (Message("user", prompt or pair_id),))


class Counter:
    """An ``answer_of`` that counts its calls per request key."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, request: PromptRequest, completion: Completion) -> str:
        self.calls.append(request.key)
        return f"{completion.status}:{completion.text}"


def test_both_caches_are_cache_like(tmp_path: Path) -> None:
    caches: list[CacheLike] = [NullCache(), ResponseCache.open(tmp_path)]
    for cache in caches:
        assert cache.degraded is None and cache.stats.hits == 0
        cache.close()


def test_without_a_cache_everything_is_sent_in_order() -> None:
    backend, answer_of = Backend(), Counter()
    path = CacheThrough()
    out = path.complete(backend, [req("a"), req("b"), req("a2", "a")], answer_of)
    assert [a.completion.text for a in out] == ["ok a", "ok b", "ok a"]
    assert [a.answer for a in out] == ["ok:ok a", "ok:ok b", "ok:ok a"]
    assert backend.batches == [["a/h/v", "b/h/v", "a2/h/v"]]  # no dedup without a cache
    assert answer_of.calls == ["a/h/v", "b/h/v", "a2/h/v"]
    assert path.counts == CompletionCounts(sent=3, fresh=3)
    assert path.complete(backend, [], answer_of) == [] and len(backend.batches) == 1


def test_hits_are_not_sent_again_and_errors_never_stored(tmp_path: Path) -> None:
    requests = [req("a"), req("bad", "fail"), req("r", "refuse"), req("b")]
    first_backend = Backend()
    with ResponseCache.open(tmp_path) as cache:
        first = CacheThrough(cache)
        out = first.complete(first_backend, requests, Counter())
        assert cache.stats.writes == 3 and cache.stats.skipped == 0  # the error not offered
    assert [a.completion.status for a in out] == ["ok", "error", "refused", "ok"]
    assert first.counts == CompletionCounts(sent=4, fresh=3)
    assert first.counts.errors == 1

    second_backend, answer_of = Backend(), Counter()
    with ResponseCache.open(tmp_path) as cache:
        second = CacheThrough(cache)
        again = second.complete(second_backend, requests, answer_of)
    assert second_backend.batches == [["bad/h/v"]]  # only the error is sent again
    assert [a.completion.cached for a in again] == [True, False, True, True]
    assert [a.completion.text for a in again] == [a.completion.text for a in out]
    assert [a.answer for a in again] == [a.answer for a in out]
    assert sorted(answer_of.calls) == sorted(r.key for r in requests)  # once each
    assert second.counts == CompletionCounts(sent=1, from_cache=3, fresh=0)


def test_identical_prompts_are_sent_once_and_share_the_answer(tmp_path: Path) -> None:
    backend, answer_of = Backend(), Counter()
    requests = [req("a", "same"), req("b", "other"), req("c", "same"), req("d", "same")]
    with ResponseCache.open(tmp_path) as cache:
        path = CacheThrough(cache)
        out = path.complete(backend, requests, answer_of)
    assert backend.batches == [["a/h/v", "b/h/v"]]
    assert [a.completion.text for a in out] == ["ok same", "ok other", "ok same", "ok same"]
    assert out[0] is out[2] is out[3]
    assert answer_of.calls == ["a/h/v", "b/h/v"]  # one parse per distinct completion
    assert path.counts == CompletionCounts(sent=2, fresh=2, shared=2)


def test_identical_erroring_prompts_are_sent_once_and_all_error(tmp_path: Path) -> None:
    backend = Backend()
    with ResponseCache.open(tmp_path) as cache:
        path = CacheThrough(cache)
        out = path.complete(backend, [req("a", "fail"), req("b", "fail")], Counter())
        assert cache.stats.writes == 0
    assert [a.completion.status for a in out] == ["error", "error"]
    assert path.counts == CompletionCounts(sent=1, shared=1)


def test_each_fresh_completion_is_parsed_exactly_once(tmp_path: Path) -> None:
    answer_of = Counter()
    with ResponseCache.open(tmp_path) as cache:
        path = CacheThrough(cache)
        path.complete(Backend(), [req(f"p{i}") for i in range(5)], answer_of)
    assert answer_of.calls == [f"p{i}/h/v" for i in range(5)]


def test_the_stored_answer_is_the_parsed_one(tmp_path: Path) -> None:
    with ResponseCache.open(tmp_path) as cache:
        CacheThrough(cache).complete(
            Backend(), [req("a"), req("r", "refuse")], lambda r, c: c.status.upper()
        )
    import sqlite3

    with sqlite3.connect(tmp_path / CACHE_FILENAME) as conn:
        answers = sorted(row[0] for row in conn.execute("SELECT answer FROM responses"))
    assert answers == ["OK", "REFUSED"]


def test_a_count_mismatch_raises_and_stores_nothing(tmp_path: Path) -> None:
    with ResponseCache.open(tmp_path) as cache:
        path = CacheThrough(cache)
        with pytest.raises(RuntimeError, match="returned 1 completions for 2 requests"):
            path.complete(Short(), [req("a"), req("b")], Counter())
        assert cache.stats.writes == 0
    assert path.counts.sent == 0
    with pytest.raises(RuntimeError, match="returned 0 completions for 1 requests"):
        CacheThrough().complete(Short(), [req("a")], Counter())


@pytest.mark.parametrize(("latency", "expected"), [(0.5, 0.5), (0.0, None)])
def test_untimed_answers_get_the_batch_mean(latency: float, expected: float | None) -> None:
    out = CacheThrough().complete(
        Backend(latency), [req("a"), req("b"), req("x", "fail")], Counter()
    )
    ok, _, error = (a.completion.latency_s for a in out)
    assert error == 0.0  # errors keep what the backend said
    if expected is None:
        assert ok > 0.0  # the mean of the batch's wall time
    else:
        assert ok == expected


def test_a_degraded_cache_is_noted_in_the_counts(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = ResponseCache.open(tmp_path / "file" / "cache")
    assert [w.category for w in caught] == [PytestVetoCacheWarning]
    path = CacheThrough(cache)
    backend = Backend()
    path.complete(backend, [req("a")], Counter())
    path.complete(backend, [req("a")], Counter())
    counts = path.counts
    assert counts.sent == 2 and counts.from_cache == 0
    assert counts.cache_note is not None and str(tmp_path) in counts.cache_note
    assert CacheThrough().counts.cache_note is None
    path.close()


def test_close_closes_the_cache(tmp_path: Path) -> None:
    cache = ResponseCache.open(tmp_path)
    CacheThrough(cache).close()
    assert cache._conn is None
