"""The response cache: keys, round trips, concurrency across processes, and degrading."""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import os
import sqlite3
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.backends.protocol import Completion, CompletionStatus, Message, PromptRequest
from pytest_veto.data.locations import default_cache_dir
from pytest_veto.run.response_cache import (
    CACHE_FILENAME,
    CachedResponse,
    CacheStats,
    NullCache,
    PytestVetoCacheWarning,
    ResponseCache,
    cache_key,
    request_key,
)

IDENTITY: dict[str, object] = {
    "kind": "litellm",
    "model": "openai/gpt-4o-mini-2024-07-18",
    "params": {"temperature": 0.0, "top_p": 1.0, "seed": 0},
    "scoring": "generate",
}
MESSAGES = (Message("system", "Answer in JSON."), Message("user", "Is the sky blue?"))


def value(
    text: str = '{"answer": "yes"}',
    status: CompletionStatus = "ok",
    *,
    answer: str = "yes",
    created: float = 1_700_000_000.5,
    logit_diff: float | None = None,
) -> CachedResponse:
    return CachedResponse(status, text, answer, created, logit_diff)


def key(i: int) -> str:
    return cache_key(IDENTITY, (Message("user", f"question {i}"),))


# --- keys ---------------------------------------------------------------------------------


def test_key_is_sha256_of_the_canonical_json() -> None:
    # Pinned: a change of canonical form must be deliberate (and bump KEY_VERSION).
    canonical = (
        '{"identity":{"kind":"litellm","model":"openai/gpt-4o-mini-2024-07-18",'
        '"params":{"seed":0,"temperature":0.0,"top_p":1.0},"scoring":"generate"},'
        '"messages":[["system","Answer in JSON."],["user","Is the sky blue?"]],'
        '"v":"pytest-veto-cache/1"}'
    )
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    assert cache_key(IDENTITY, MESSAGES) == expected
    assert expected == "33343d3511d64ca1c293ad4de2037bce4f5dd09fd157f64974ed534f75eb178f"
    assert cache_key(IDENTITY, MESSAGES) == cache_key(dict(IDENTITY), MESSAGES)


def test_key_of_non_ascii_text_is_utf8_based() -> None:
    messages = (Message("user", "Ist der Himmel blau? \u00e9\U0001f600"),)
    assert (
        cache_key({}, messages)
        == hashlib.sha256(
            '{"identity":{},"messages":[["user","Ist der Himmel blau? \u00e9\U0001f600"]],'
            '"v":"pytest-veto-cache/1"}'.encode()
        ).hexdigest()
    )


def test_key_ignores_mapping_order() -> None:
    reordered = {
        "scoring": "generate",
        "params": {"seed": 0, "top_p": 1.0, "temperature": 0.0},
        "model": "openai/gpt-4o-mini-2024-07-18",
        "kind": "litellm",
    }
    assert cache_key(reordered, MESSAGES) == cache_key(IDENTITY, MESSAGES)
    assert cache_key(IDENTITY, list(MESSAGES)) == cache_key(IDENTITY, MESSAGES)


IDENTITY_CHANGES: list[dict[str, object]] = [
    {**IDENTITY, "kind": "hf"},
    {**IDENTITY, "model": "openai/gpt-4o-mini"},
    {**IDENTITY, "params": {"temperature": 0.7, "top_p": 1.0, "seed": 0}},
    {**IDENTITY, "params": {"temperature": 0.0, "top_p": 1.0, "seed": 1}},
    {**IDENTITY, "params": {"temperature": 0.0, "top_p": 1.0}},
    {**IDENTITY, "params": {"temperature": 0.0, "top_p": 1.0, "seed": "0"}},
    {**IDENTITY, "scoring": "logits"},
    {**IDENTITY, "dtype": "bfloat16"},
    {k: v for k, v in IDENTITY.items() if k != "scoring"},
]
MESSAGE_CHANGES: list[tuple[Message, ...]] = [
    (Message("system", "Answer in JSON."), Message("user", "Is the sky blue? ")),
    (Message("system", "Answer in JSON."), Message("user", "Is the sky Blue?")),
    (Message("user", "Answer in JSON."), Message("user", "Is the sky blue?")),
    (Message("user", "Is the sky blue?"), Message("system", "Answer in JSON.")),
    (Message("user", "Is the sky blue?"),),
    (*MESSAGES, Message("assistant", "")),
    (Message("system", "Answer in JSON.Is the sky blue?"), Message("user", "")),
    (),
]


@pytest.mark.parametrize("identity", IDENTITY_CHANGES)
def test_key_changes_with_identity(identity: dict[str, object]) -> None:
    assert cache_key(identity, MESSAGES) != cache_key(IDENTITY, MESSAGES)


@pytest.mark.parametrize("messages", MESSAGE_CHANGES)
def test_key_changes_with_messages(messages: tuple[Message, ...]) -> None:
    assert cache_key(IDENTITY, messages) != cache_key(IDENTITY, MESSAGES)


def test_all_variants_have_distinct_keys() -> None:
    keys = {cache_key(i, MESSAGES) for i in IDENTITY_CHANGES}
    keys |= {cache_key(IDENTITY, m) for m in MESSAGE_CHANGES}
    assert len(keys) == len(IDENTITY_CHANGES) + len(MESSAGE_CHANGES)


def test_request_key_includes_generation_budget() -> None:
    short = PromptRequest("p1", "a", "none", MESSAGES, max_new_tokens=32)
    long = PromptRequest("p1", "a", "none", MESSAGES, max_new_tokens=512)
    assert request_key(IDENTITY, short) != request_key(IDENTITY, long)
    other_pair = PromptRequest("p2", "b", "none", MESSAGES, max_new_tokens=32)
    assert request_key(IDENTITY, short) == request_key(IDENTITY, other_pair)


def test_key_rejects_values_without_a_canonical_form() -> None:
    with pytest.raises(ValueError):
        cache_key({"temperature": math.nan}, MESSAGES)
    with pytest.raises(TypeError):
        cache_key({"client": object()}, MESSAGES)


def test_default_cache_dir(tmp_path: Path) -> None:
    home = Path.home()
    assert default_cache_dir({}) == home / ".cache" / "pytest-veto"
    assert default_cache_dir({"XDG_CACHE_HOME": "/x/c"}) == Path("/x/c/pytest-veto")
    assert default_cache_dir({"XDG_CACHE_HOME": "rel"}) == home / ".cache" / "pytest-veto"
    env = {"XDG_CACHE_HOME": "/x/c", "PYTEST_VETO_CACHE_DIR": str(tmp_path)}
    assert default_cache_dir(env) == tmp_path


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_persists_across_opens(tmp_path: Path) -> None:
    items = [(key(i), value(f"text {i}", logit_diff=i - 1.5)) for i in range(3)]
    items.append((key(3), value("I can't help with that.", status="refused", answer="refused")))
    with ResponseCache.open(tmp_path) as cache:
        assert cache.get_many([k for k, _ in items]) == {}
        assert cache.put_many(items) == 4
        assert cache.get_many([key(0)]) == {key(0): items[0][1]}
        assert cache.stats == CacheStats(hits=1, misses=4, writes=4, skipped=0)
    assert (tmp_path / CACHE_FILENAME).is_file()
    with ResponseCache.open(tmp_path) as cache:
        got = cache.get_many([k for k, _ in items] + [key(99), key(0)])
        assert got == dict(items)
        assert cache.stats == CacheStats(hits=4, misses=1, writes=0)
        assert cache.degraded is None


def test_many_keys_in_one_call(tmp_path: Path) -> None:
    items = [(key(i), value(str(i))) for i in range(1234)]
    with ResponseCache.open(tmp_path) as cache:
        cache.put_many(items)
        got = cache.get_many(k for k, _ in items)
    assert got == dict(items)


def test_later_put_replaces(tmp_path: Path) -> None:
    with ResponseCache.open(tmp_path) as cache:
        cache.put_many([(key(0), value("first"))])
        cache.put_many([(key(0), value("second", answer="no"))])
        assert cache.get_many([key(0)])[key(0)] == value("second", answer="no")


def test_errors_are_never_stored(tmp_path: Path) -> None:
    items = [(key(0), value("", status="error")), (key(1), value("fine"))]
    with ResponseCache.open(tmp_path) as cache:
        assert cache.put_many(items) == 1
        assert cache.get_many([key(0), key(1)]) == {key(1): value("fine")}
        assert cache.stats.writes == 1 and cache.stats.skipped == 1


@pytest.mark.parametrize(
    "bad",
    [
        value(logit_diff=math.nan),
        value(created=math.nan),
        value(created=math.inf),
        value("lone \ud800 surrogate"),
        value(None),  # type: ignore[arg-type]
    ],
)
def test_values_sqlite_would_alter_are_skipped_not_fatal(
    tmp_path: Path, bad: CachedResponse
) -> None:
    with ResponseCache.open(tmp_path) as cache:
        assert cache.put_many([(key(0), bad), (key(1), value())]) == 1
        assert cache.get_many([key(0), key(1)]) == {key(1): value()}
        assert cache.degraded is None and cache.stats.skipped == 1


def test_infinite_logit_diff_round_trips(tmp_path: Path) -> None:
    with ResponseCache.open(tmp_path) as cache:
        cache.put_many([(key(0), value(logit_diff=-math.inf)), (key(1), value(logit_diff=0.0))])
        got = cache.get_many([key(0), key(1)])
    assert got[key(0)].logit_diff == -math.inf and got[key(1)].logit_diff == 0.0


def test_rows_this_version_did_not_write_are_misses(tmp_path: Path) -> None:
    ResponseCache.open(tmp_path).close()
    with sqlite3.connect(tmp_path / CACHE_FILENAME) as conn:
        conn.executemany(
            "INSERT INTO responses VALUES (?,?,?,?,?,?)",
            [
                (key(0), "error", "", "error", 1.0, None),
                (key(1), "ok", b"bytes", "yes", 1.0, None),
                (key(2), "ok", "text", "yes", "yesterday", None),
                (key(3), "ok", "text", "yes", 1.0, "big"),
                (key(4), "ok", "text", "yes", 1.0, None),
            ],
        )
    with ResponseCache.open(tmp_path) as cache:
        got = cache.get_many([key(i) for i in range(5)])
    assert got == {key(4): CachedResponse("ok", "text", "yes", 1.0, None)}


def test_completion_conversion() -> None:
    completion = Completion("ok", '{"answer": "no"}', latency_s=2.0, logit_diff=-0.25)
    cached = CachedResponse.from_completion(completion, "no", created=5.0)
    assert cached == CachedResponse("ok", '{"answer": "no"}', "no", 5.0, -0.25)
    back = cached.to_completion()
    assert (back.status, back.text, back.logit_diff, back.cached) == (
        "ok",
        completion.text,
        -0.25,
        True,
    )
    assert abs(CachedResponse.from_completion(completion, "no").created - time.time()) < 60


def test_closed_cache_finds_nothing_quietly(tmp_path: Path) -> None:
    cache = ResponseCache.open(tmp_path)
    cache.put_many([(key(0), value())])
    cache.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.get_many([key(0)]) == {}
        assert cache.put_many([(key(1), value())]) == 0


def test_null_cache() -> None:
    with NullCache() as cache:
        assert cache.put_many([(key(0), value())]) == 0
        assert cache.get_many([key(0), key(1), key(0)]) == {}
        assert cache.stats == CacheStats(misses=2)
        assert cache.degraded is None


_TEXT = st.text(max_size=300)  # any code point but lone surrogates, NUL included


@pytest.fixture(scope="module")
def two_connections(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ResponseCache, ResponseCache]]:
    """A writer and a separate reader on one file: values must survive the disk, not a dict."""
    folder = tmp_path_factory.mktemp("property")
    with ResponseCache.open(folder) as writer, ResponseCache.open(folder) as reader:
        yield writer, reader


@settings(max_examples=300, deadline=None)
@given(
    k=st.text(min_size=1, max_size=80),
    text=_TEXT,
    answer=_TEXT,
    status=st.sampled_from(["ok", "refused"]),
    created=st.floats(allow_nan=False, allow_infinity=False),
    logit_diff=st.none() | st.floats(allow_nan=False),
)
def test_property_put_then_get_returns_the_same(
    two_connections: tuple[ResponseCache, ResponseCache],
    k: str,
    text: str,
    answer: str,
    status: CompletionStatus,
    created: float,
    logit_diff: float | None,
) -> None:
    writer, reader = two_connections
    item = CachedResponse(status, text, answer, created, logit_diff)
    assert writer.put_many([(k, item)]) == 1
    assert writer.get_many([k]) == {k: item}
    got = reader.get_many([k, "m" * 81])  # longer than any generated key
    assert got == {k: item}
    assert type(got[k].created) is float and got[k].text == text
    assert reader.degraded is None and writer.degraded is None


# --- concurrency ----------------------------------------------------------------------------

# Child processes stand in for xdist workers; fork keeps them independent of import paths.
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _writer(folder: str, worker: int, count: int, barrier: Barrier, out: Queue[object]) -> None:
    """One "xdist worker": open together with the others, then many small transactions."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        barrier.wait()
        cache = ResponseCache.open(folder)
        for i in range(count):
            k = key(worker * 10_000 + i)
            cache.put_many([(k, value(f"w{worker} i{i}", logit_diff=float(i)))])
            if i % 10 == 0:
                cache.get_many([k, key(((worker + 1) % 4) * 10_000 + i)])
        stats = cache.stats
        cache.close()
    out.put((worker, stats.writes, cache.degraded, [str(w.message) for w in caught]))


@needs_fork
def test_processes_write_at_once_without_loss(tmp_path: Path) -> None:
    workers, count = 4, 200
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(str(tmp_path), w, count, barrier, out))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    results = sorted(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert results == [(w, count, None, []) for w in range(workers)]
    expected = {
        key(w * 10_000 + i): value(f"w{w} i{i}", logit_diff=float(i))
        for w in range(workers)
        for i in range(count)
    }
    with ResponseCache.open(tmp_path) as cache:
        assert cache.get_many(expected) == expected
    with sqlite3.connect(tmp_path / CACHE_FILENAME) as conn:
        assert conn.execute("SELECT count(*) FROM responses").fetchone()[0] == workers * count


def test_readers_are_not_blocked_by_a_writer(tmp_path: Path) -> None:
    with ResponseCache.open(tmp_path) as cache:
        cache.put_many([(key(0), value())])
    holder = sqlite3.connect(tmp_path / CACHE_FILENAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with ResponseCache.open(tmp_path, lock_timeout_s=0.2) as cache:
            assert cache.get_many([key(0)]) == {key(0): value()}
            assert cache.degraded is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_lock_released_within_the_bound_is_waited_for(tmp_path: Path) -> None:
    cache = ResponseCache.open(tmp_path, lock_timeout_s=5.0)
    holder = sqlite3.connect(
        tmp_path / CACHE_FILENAME, isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert cache.put_many([(key(0), value())]) == 1
    finally:
        release.join()
        holder.close()
    assert cache.get_many([key(0)]) == {key(0): value()}
    cache.close()


# --- degrading ------------------------------------------------------------------------------


def assert_degraded_once(cache: ResponseCache, caught: list[warnings.WarningMessage]) -> None:
    """After one warning the cache finds nothing and stores nothing, and stays quiet."""
    assert cache.degraded is not None
    assert [w.category for w in caught] == [PytestVetoCacheWarning]
    assert cache.get_many([key(0), key(1)]) == {}
    assert cache.put_many([(key(1), value())]) == 0
    assert cache.get_many([key(1)]) == {}
    assert len(caught) == 1, "a degraded cache warns once"
    assert cache.stats.writes == 0 and cache.stats.hits == 0
    cache.close()


def _good_file(folder: Path, n: int = 2000) -> bytes:
    with ResponseCache.open(folder) as cache:
        cache.put_many([(key(i), value("x" * 400 + str(i))) for i in range(n)])
    return (folder / CACHE_FILENAME).read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        "not sqlite",
        "header only",
        "first page",
        "half",
        "all but one page",
        "wrong table",
        "other app",
    ],
)
def test_damaged_file_degrades_with_one_warning(tmp_path: Path, damage: str) -> None:
    good = _good_file(tmp_path / "good")
    folder = tmp_path / "cache"
    folder.mkdir()
    path = folder / CACHE_FILENAME
    cuts = {"header only": 100, "first page": 4096, "half": len(good) // 2}
    cuts["all but one page"] = len(good) - 4096
    if damage == "not sqlite":
        path.write_bytes(b"this is not a database, " * 200)
    elif damage in cuts:
        path.write_bytes(good[: cuts[damage]])
    else:
        with sqlite3.connect(path) as conn:
            if damage == "wrong table":
                conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, value TEXT)")
                conn.execute(f"INSERT INTO responses VALUES ('{key(0)}', 'yes')")
            else:
                conn.execute("CREATE TABLE other (x)")
                conn.execute("PRAGMA user_version=7")
    before = path.read_bytes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = ResponseCache.open(folder)
        assert_degraded_once(cache, caught)
    assert path.read_bytes() == before, "a damaged cache is left for the user to inspect"


def test_lock_held_past_the_bound_degrades(tmp_path: Path) -> None:
    ResponseCache.open(tmp_path).close()
    holder = sqlite3.connect(tmp_path / CACHE_FILENAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cache = ResponseCache.open(tmp_path, lock_timeout_s=0.3)
            assert cache.degraded is None
            start = time.monotonic()
            assert cache.put_many([(key(0), value())]) == 0
            assert time.monotonic() - start < 3.0
            assert_degraded_once(cache, caught)
            assert "locked" in (cache.degraded or "")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_folder_that_cannot_be_created_degrades(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert_degraded_once(ResponseCache.open(tmp_path / "file" / "cache"), caught)


def _open_read_only(folder: str, out: Queue[object]) -> None:
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)  # root ignores permissions: drop to nobody
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = ResponseCache.open(folder)
        got = cache.get_many([key(0)])
        wrote = cache.put_many([(key(1), value())])
        categories = [w.category.__name__ for w in caught]
        out.put((cache.degraded is not None, got, wrote, categories))


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
@needs_fork
def test_read_only_folder_degrades(existing: bool) -> None:
    with tempfile.TemporaryDirectory() as base:
        os.chmod(base, 0o755)  # others may traverse, not write
        folder = Path(base) / "cache"
        folder.mkdir()
        if existing:
            _good_file(folder, 5)
            os.chmod(folder / CACHE_FILENAME, 0o644)
        os.chmod(folder, 0o555)
        ctx = multiprocessing.get_context("fork")
        out = ctx.Queue()
        proc = ctx.Process(target=_open_read_only, args=(str(folder), out))
        proc.start()
        degraded, got, wrote, categories = out.get(timeout=60)
        proc.join(timeout=60)
        os.chmod(folder, 0o755)
    assert proc.exitcode == 0
    assert (degraded, got, wrote, categories) == (True, {}, 0, ["PytestVetoCacheWarning"])
