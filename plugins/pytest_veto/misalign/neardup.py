"""Near-duplicate removal over 64-bit SimHash fingerprints: exact, bucketed, keep-first.

The rule: item ``j`` is a duplicate when an *earlier* item ``i < j`` has a fingerprint
within Hamming distance ``max_distance`` (10, the spec's threshold) of ``j``'s; every other
item is kept. So the first occurrence of a group is kept, and whether an item is dropped
does not depend on which other items were dropped (a chain A~B~C drops B and C even when
A and C are far apart). That makes the search order-free and lets every table below be
searched independently, with numpy, and stop early for an item as soon as one witness
is found.

Finding pairs without comparing all n^2/2 of them -- the pigeonhole trick, generalised:
split the 64 bits into ``m`` blocks; two fingerprints within distance ``k`` differ in at
most ``k`` blocks, so they agree exactly on at least ``t = m - k`` blocks. For every
choice of ``t`` blocks (a *table*), items sharing those blocks' bits (a *bucket*) are
candidates, checked exactly. With ``m = k + 1`` (11 bands of ~6 bits for k = 10) each key
has only ~6 bits, so a bucket holds n/64 items on average whatever the data: quadratic
(about 1.4e10 checks at 382,424 prompts). More blocks give wider keys and small buckets
at the price of more tables; :func:`choose_blocks` picks ``m`` by a cost model (for
k = 10: 11 blocks up to ~1,800 distinct fingerprints, 12 up to ~37,000, then 13 -- 286
tables with 14- or 15-bit keys -- and 14 from ~520,000). The candidate checks of a fixed
``m`` still grow with n^2 / 2^key_bits, so the search is not linear: at SaVaCu's size
(382,424) it makes ~0.9e9 exact checks, about 1.3% of all pairs.

Large buckets: identical fingerprints are collapsed first (the commonest cause), a query
stops at its first witness (so a dense cluster of near-copies costs about its size, not
its square), and a query that would walk back further than ``max_depth`` items of one
bucket stops there. Such a query is *capped*: it may have missed a witness in that
bucket. ``DedupResult.capped`` counts the capped queries that stayed unresolved in every
other table; the result is exact when it is 0 (reported by ``exact``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

from pytest_veto.misalign.simhash import BITS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: The spec's near-duplicate threshold.
MAX_DISTANCE = 10
#: How far back a query walks in one bucket before it is capped (see the module docstring).
MAX_DEPTH = 20_000
#: Cost-model constants (seconds per element sorted per table, per candidate checked),
#: measured on a 2-core AMD EPYC; only their ratio matters for choosing ``m``.
_SORT_COST = 70e-9
_CHECK_COST = 27e-9
_MAX_TABLES = 5_000


@dataclass(frozen=True)
class DedupResult:
    """Which items are duplicates of earlier ones, and what the search cost.

    ``duplicate_of[j]`` is -1 for a kept item, else the index of an earlier item within
    the distance (for an identical fingerprint: its first occurrence).
    """

    duplicate_of: npt.NDArray[np.int64]
    identical: int
    near: int
    blocks: int = 0
    tables: int = 0
    comparisons: int = 0
    capped: int = 0

    @property
    def keep(self) -> npt.NDArray[np.bool_]:
        """True for the items kept."""
        return self.duplicate_of < 0

    @property
    def kept(self) -> int:
        """How many items are kept."""
        return int((self.duplicate_of < 0).sum())

    @property
    def exact(self) -> bool:
        """True unless a capped query may have missed a witness."""
        return self.capped == 0

    def counts(self) -> dict[str, int]:
        """The count report: read, kept, identical, near, and the search's figures."""
        return {
            "read": int(self.duplicate_of.size),
            "kept": self.kept,
            "identical": self.identical,
            "near": self.near,
            "blocks": self.blocks,
            "tables": self.tables,
            "comparisons": self.comparisons,
            "capped": self.capped,
        }


def block_layout(blocks: int, bits: int = BITS) -> tuple[tuple[int, int], ...]:
    """``(offset, width)`` of each block: ``bits`` split as evenly as possible, wider first."""
    if not 1 <= blocks <= bits:
        raise ValueError(f"need 1 <= blocks <= {bits}, got {blocks}")
    base, extra = divmod(bits, blocks)
    layout: list[tuple[int, int]] = []
    offset = 0
    for b in range(blocks):
        width = base + (1 if b < extra else 0)
        layout.append((offset, width))
        offset += width
    return tuple(layout)


def choose_blocks(n: int, max_distance: int = MAX_DISTANCE) -> int:
    """The block count ``m`` minimising estimated time for ``n`` distinct fingerprints.

    Per table: a sort of ``n`` keys plus the candidate checks of uniformly spread
    fingerprints, ``n^2 / 2 / 2^key_bits``; there are ``C(m, m - k)`` tables.
    """
    k = max_distance
    best, best_cost = k + 1, math.inf
    for m in range(k + 1, min(BITS, k + 8) + 1):
        t = m - k
        tables = math.comb(m, t)
        if tables > _MAX_TABLES:
            break
        key_bits = BITS * t / m
        cost = tables * (n * _SORT_COST + n * n / 2 / 2**key_bits * _CHECK_COST)
        if cost < best_cost:
            best, best_cost = m, cost
    return best


def _as_fingerprints(fps: Sequence[int] | npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    import numpy as np

    return np.asarray(fps, dtype=np.uint64).ravel()


def _popcount(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
    import numpy as np

    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(x)
    table = np.array([i.bit_count() for i in range(256)], dtype=np.uint8)
    counts: npt.NDArray[np.uint8] = table[x.view(np.uint8).reshape(-1, 8)].sum(
        axis=1, dtype=np.uint8
    )
    return counts


def _identical(fps: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``duplicate_of`` for repeated fingerprints, and the first occurrences in input order."""
    import numpy as np

    _, first, inverse = np.unique(fps, return_index=True, return_inverse=True)
    first_of = first[inverse.ravel()].astype(np.int64)
    duplicate_of = np.where(first_of == np.arange(fps.size), -1, first_of).astype(np.int64)
    return duplicate_of, np.sort(first).astype(np.int64)


def dedup(
    fps: Sequence[int] | npt.NDArray[np.uint64],
    max_distance: int = MAX_DISTANCE,
    *,
    blocks: int | None = None,
    max_depth: int = MAX_DEPTH,
) -> DedupResult:
    """Mark every item with an earlier item within ``max_distance`` (see the module doc)."""
    if not 0 <= max_distance < BITS:
        raise ValueError(f"max_distance must be within [0, {BITS - 1}], got {max_distance}")
    if max_depth < 1:
        raise ValueError(f"max_depth must be >= 1, got {max_depth}")
    arr = _as_fingerprints(fps)
    duplicate_of, reps = _identical(arr)
    identical = int((duplicate_of >= 0).sum())
    if max_distance == 0 or reps.size < 2:
        return DedupResult(duplicate_of, identical, 0)
    m = blocks if blocks is not None else choose_blocks(int(reps.size), max_distance)
    if not max_distance < m <= BITS:
        raise ValueError(f"blocks must be within ({max_distance}, {BITS}], got {m}")
    search = _Search(arr[reps], max_distance, block_layout(m), max_depth)
    search.run(m - max_distance)
    hit = search.found >= 0
    duplicate_of[reps[hit]] = reps[search.found[hit]]
    capped = int((search.capped & ~hit).sum())
    return DedupResult(
        duplicate_of, identical, int(hit.sum()), m, search.tables, search.comparisons, capped
    )


class _Search:
    """The bucketed search over distinct fingerprints, one table at a time."""

    def __init__(
        self,
        fps: npt.NDArray[np.uint64],
        k: int,
        layout: tuple[tuple[int, int], ...],
        max_depth: int,
    ) -> None:
        import numpy as np

        self.fps = fps
        self.k = k
        self.layout = layout
        self.max_depth = max_depth
        self.found = np.full(fps.size, -1, dtype=np.int64)
        self.capped = np.zeros(fps.size, dtype=bool)
        self.tables = 0
        self.comparisons = 0
        self._index_bits = max(1, int(fps.size - 1).bit_length())

    def run(self, t: int) -> None:
        """Search every table of ``t`` blocks."""
        for combo in combinations(range(len(self.layout)), t):
            self._table(combo)
            self.tables += 1

    def _table(self, combo: tuple[int, ...]) -> None:
        import numpy as np

        fps = self.fps
        key = np.zeros(fps.size, dtype=np.uint64)
        shift = 0
        for b in combo:
            offset, width = self.layout[b]
            block = (fps >> np.uint64(offset)) & np.uint64((1 << width) - 1)
            key |= block << np.uint64(shift)
            shift += width
        if shift + self._index_bits <= 64:
            # one sort of (key, index) packed into uint64: buckets in input order
            packed = np.sort(
                (key << np.uint64(self._index_bits)) | np.arange(fps.size, dtype=np.uint64)
            )
            order = (packed & np.uint64((1 << self._index_bits) - 1)).astype(np.int64)
            skey = packed >> np.uint64(self._index_bits)
        else:
            order = np.argsort(key, kind="stable")
            skey = key[order]
        # queries: every item but a bucket's first, walking back one position per round
        # and stopping at its first witness or at the bucket's start
        same = np.flatnonzero(skey[1:] == skey[:-1]) + 1
        queries = same[self.found[order[same]] < 0]
        depth = 1
        while queries.size:
            witness = order[queries - depth]
            item = order[queries]
            close = _popcount(fps[witness] ^ fps[item]) <= self.k
            self.comparisons += int(queries.size)
            if close.any():
                self.found[item[close]] = witness[close]
                queries = queries[~close]
            depth += 1
            queries = queries[queries >= depth]
            queries = queries[skey[queries - depth] == skey[queries]]
            if depth > self.max_depth and queries.size:
                self.capped[order[queries]] = True
                break


def dedup_brute_force(
    fps: Sequence[int] | npt.NDArray[np.uint64], max_distance: int = MAX_DISTANCE
) -> DedupResult:
    """The same rule by comparing every item with all earlier ones (the test oracle).

    A near duplicate's ``duplicate_of`` is its earliest witness.
    """
    import numpy as np

    arr = _as_fingerprints(fps)
    duplicate_of, _ = _identical(arr)
    identical = int((duplicate_of >= 0).sum())
    near = 0
    for j in range(1, arr.size):
        if duplicate_of[j] >= 0:
            continue
        close = np.flatnonzero(_popcount(arr[:j] ^ arr[j]) <= max_distance)
        if close.size:
            duplicate_of[j] = close[0]
            near += 1
    return DedupResult(duplicate_of, identical, near, comparisons=arr.size * (arr.size - 1) // 2)
