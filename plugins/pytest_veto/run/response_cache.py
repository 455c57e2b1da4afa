"""The response cache: answered completions on disk, so reruns cost nothing and runs resume.

One SQLite file (``responses.sqlite3``, WAL mode) under a cache folder, shared by every
xdist worker process. Each process opens its own :class:`ResponseCache`; writes are short
``BEGIN IMMEDIATE`` transactions that wait for each other (busy timeout plus a bounded retry).

A cache must never cost a run and never change an answer: any trouble with the file (not
SQLite, truncated, read-only, a foreign table, a lock held past the bound) *degrades* the
cache to "no cache" with one :class:`PytestVetoCacheWarning`. ``degraded`` keeps the reason,
which ``run.completions.CompletionCounts.cache_note`` carries to the terminal and the report.
Rows that do not validate are misses. Reading and writing go through ``run.completions``.
Entries never expire: delete the folder to clear the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pytest_veto.backends.protocol import Completion, CompletionStatus, Message, PromptRequest
from pytest_veto.data.locations import default_cache_dir

if TYPE_CHECKING:
    from typing_extensions import Self

CACHE_FILENAME = "responses.sqlite3"
#: Bumped whenever the key payload changes, so old entries can never be served for new keys.
KEY_VERSION = "pytest-veto-cache/1"
#: Stored in ``PRAGMA user_version``; a file with another version degrades to no cache.
SCHEMA_VERSION = 1
#: Only answers are cached; an ``error`` is retried on the next run.
CACHEABLE: frozenset[CompletionStatus] = frozenset({"ok", "refused"})

_COLUMNS = ("key", "status", "text", "answer", "created", "logit_diff")
_CREATE = (
    "CREATE TABLE responses (key TEXT PRIMARY KEY, status TEXT NOT NULL, text TEXT NOT NULL,"
    " answer TEXT NOT NULL, created REAL NOT NULL, logit_diff REAL) WITHOUT ROWID"
)
_CHUNK = 500  # host parameters per SELECT; old SQLite builds allow only 999
T = TypeVar("T")


class PytestVetoCacheWarning(UserWarning):
    """The response cache is unusable and the run continues without it."""


@dataclass(frozen=True)
class CachedResponse:
    """One cached answer: the raw output, its parsed answer, when it was stored, and the
    logit difference when the backend scored with logits."""

    status: CompletionStatus
    text: str
    answer: str
    created: float
    logit_diff: float | None = None

    @classmethod
    def from_completion(
        cls, completion: Completion, answer: str, created: float | None = None
    ) -> CachedResponse:
        """The value to store for a backend's completion and its parsed answer."""
        stamp = time.time() if created is None else created
        return cls(completion.status, completion.text, answer, stamp, completion.logit_diff)

    def to_completion(self) -> Completion:
        """The completion this entry stands for, marked ``cached``."""
        return Completion(self.status, self.text, cached=True, logit_diff=self.logit_diff)


@dataclass(frozen=True)
class CacheStats:
    """Counters for the report: keys found, keys not found, entries written, and entries
    refused by ``put_many`` (errors and values SQLite cannot hold exactly)."""

    hits: int = 0
    misses: int = 0
    writes: int = 0
    skipped: int = 0


class _Closing:
    """Context-manager support shared by the caches."""

    def close(self) -> None:
        """Release resources."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def cache_key(identity: Mapping[str, object], messages: Sequence[Message]) -> str:
    """SHA-256 hex of a canonical JSON of the backend identity and the messages.

    ``identity`` is ``Backend.cache_identity()`` (kind, resolved model, generation
    parameters). It must never hold secrets such as API keys: the key is a one-way hash,
    but an identity is meant to be loggable and a key must not vary with a rotated
    secret. Mapping order does not matter; values must be JSON (``TypeError`` otherwise,
    ``ValueError`` for NaN), and lists and tuples hash alike.
    """
    payload = {
        "v": KEY_VERSION,
        "identity": dict(identity),
        "messages": [[m.role, m.content] for m in messages],
    }
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_key(identity: Mapping[str, object], request: PromptRequest) -> str:
    """:func:`cache_key` for a request, with its generation budget folded into the identity,
    and its template keywords, extra body and early stop where set (so the key of a
    request without them is what it always was)."""
    folded: dict[str, object] = {**identity, "max_new_tokens": request.max_new_tokens}
    if request.chat_template_kwargs:
        folded["chat_template_kwargs"] = dict(request.chat_template_kwargs)
    if request.extra_body:
        folded["extra_body"] = dict(request.extra_body)
    if request.stop_at_answer:
        folded["stop_at_answer"] = True
    return cache_key(folded, request.messages)


def _storable(v: CachedResponse) -> bool:
    """Whether SQLite round-trips this value exactly (NaN would come back as NULL)."""
    diff, real = v.logit_diff, (int, float)
    if v.status not in CACHEABLE or not isinstance(v.text, str) or not isinstance(v.answer, str):
        return False
    if not isinstance(v.created, real) or not math.isfinite(v.created):
        return False
    if diff is not None and (not isinstance(diff, real) or math.isnan(diff)):
        return False
    try:
        (v.text + v.answer).encode("utf-8")  # lone surrogates cannot be stored
    except UnicodeEncodeError:
        return False
    return True


def _row_value(row: tuple[object, ...]) -> CachedResponse | None:
    """A validated value from a row, or None for anything this version did not write."""
    _, status, text, answer, created, logit_diff = row
    if status not in CACHEABLE or not (isinstance(text, str) and isinstance(answer, str)):
        return None
    if not isinstance(created, float) or not isinstance(logit_diff, (float, type(None))):
        return None
    return CachedResponse(status, text, answer, created, logit_diff)


class ResponseCache(_Closing):
    """The on-disk cache for one process. Open with :meth:`open`; use as a context manager."""

    def __init__(self, path: Path, lock_timeout_s: float = 10.0) -> None:
        """Prefer :meth:`open`, which never raises. ``path`` is the SQLite file."""
        self.path = path
        self.lock_timeout_s = lock_timeout_s
        #: Why the cache is off, or None while it works.
        self.degraded: str | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, possibly several runner threads
        self._hits = self._misses = self._writes = self._skipped = 0

    @classmethod
    def open(
        cls, directory: str | os.PathLike[str] | None = None, *, lock_timeout_s: float = 10.0
    ) -> ResponseCache:
        """Open (creating if needed) ``responses.sqlite3`` in ``directory`` (default:
        :func:`default_cache_dir`). Never raises: on trouble the cache is degraded."""
        folder = default_cache_dir() if directory is None else Path(directory)
        cache = cls(folder / CACHE_FILENAME, lock_timeout_s)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            cache._conn = cache._retry(cache._connect)
        except (sqlite3.Error, OSError) as exc:
            cache._degrade(exc)
        return cache

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.lock_timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            if self._is_empty(conn):  # a new file: make it ours, once, under the write lock
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("BEGIN IMMEDIATE")
                if self._is_empty(conn):  # another process may have got here first
                    conn.execute(_CREATE)
                    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                conn.execute("COMMIT")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            columns = tuple(row[1] for row in conn.execute("PRAGMA table_info(responses)"))
            if version != SCHEMA_VERSION or columns != _COLUMNS:  # never touch a foreign file
                raise sqlite3.DatabaseError(f"not a response cache (schema {version}, {columns})")
            if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
                raise sqlite3.OperationalError("cannot switch to WAL mode")
            conn.execute("PRAGMA synchronous=NORMAL")  # power loss may cost the last commit
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _is_empty(conn: sqlite3.Connection) -> bool:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return False
        return bool(conn.execute("PRAGMA user_version").fetchone()[0] == 0)

    def _retry(self, action: Callable[[], T]) -> T:
        """Run ``action``, retrying on ``database is locked`` until ``lock_timeout_s``."""
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.005
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                locked = "locked" in str(exc) or "busy" in str(exc)
                if not locked or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay * (0.5 + random.random()))  # jitter: workers do not retry in step
            delay = min(delay * 2, 0.25)

    def _degrade(self, exc: BaseException) -> None:
        """Switch the cache off for the rest of the run, warning once."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        if self.degraded is None:
            self.degraded = f"{self.path}: {type(exc).__name__}: {exc}"
            warnings.warn(
                f"response cache disabled, running without it ({self.degraded})",
                PytestVetoCacheWarning,
                stacklevel=3,
            )

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        """Cached responses for the keys found; a degraded cache finds nothing."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, CachedResponse] = {}
        with self._lock:
            if self._conn is not None:
                try:
                    found = self._retry(lambda: self._select(wanted))
                except sqlite3.Error as exc:
                    self._degrade(exc)
            self._hits += len(found)
            self._misses += len(wanted) - len(found)
        return found

    def _select(self, keys: list[str]) -> dict[str, CachedResponse]:
        assert self._conn is not None
        found: dict[str, CachedResponse] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            sql = f"SELECT * FROM responses WHERE key IN ({','.join('?' * len(chunk))})"
            for row in self._conn.execute(sql, chunk):
                value = _row_value(row)
                if value is not None:
                    found[row[0]] = value
        return found

    def put_many(self, items: Sequence[tuple[str, CachedResponse]]) -> int:
        """Store responses in one transaction; return how many were written.

        Items whose status is ``error`` (or whose values SQLite cannot hold exactly: NaN,
        lone surrogates) are skipped and counted in ``stats.skipped``, so a caller may
        pass every completion. A degraded cache writes nothing.
        """
        rows = [
            (key, v.status, v.text, v.answer, float(v.created), v.logit_diff)
            for key, v in items
            if isinstance(key, str) and _storable(v)
        ]
        with self._lock:
            self._skipped += len(items) - len(rows)
            if self._conn is None or not rows:
                return 0
            try:
                self._retry(lambda: self._insert(rows))
            except sqlite3.Error as exc:
                self._degrade(exc)
                return 0
            self._writes += len(rows)
        return len(rows)

    def _insert(self, rows: Sequence[tuple[object, ...]]) -> None:
        assert self._conn is not None
        self._conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock
        try:
            self._conn.executemany("INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?)", rows)
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    @property
    def stats(self) -> CacheStats:
        """Counters so far."""
        return CacheStats(self._hits, self._misses, self._writes, self._skipped)

    def close(self) -> None:
        """Close the file; later calls behave like a degraded cache, without a warning."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class NullCache(_Closing):
    """No cache (``--veto-no-cache``): finds nothing, stores nothing, counts misses."""

    degraded: str | None = None

    def __init__(self) -> None:
        self._misses = 0

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        """Nothing: every key is a miss."""
        self._misses += len(dict.fromkeys(keys))
        return {}

    def put_many(self, items: Sequence[tuple[str, CachedResponse]]) -> int:
        """Store nothing."""
        return 0

    @property
    def stats(self) -> CacheStats:
        """Misses only."""
        return CacheStats(misses=self._misses)
