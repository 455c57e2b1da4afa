"""SimHash fingerprints and near-duplicate removal: definition, distances, exactness."""

from __future__ import annotations

import hashlib
import random
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_veto.misalign.neardup import (
    MAX_DISTANCE,
    block_layout,
    choose_blocks,
    dedup,
    dedup_brute_force,
)
from pytest_veto.misalign.simhash import (
    feature_hash,
    fingerprint,
    fingerprints,
    hamming,
    shingles,
    words,
)

WORDS = [
    "river",
    "stone",
    "lamp",
    "garden",
    "quiet",
    "market",
    "silver",
    "window",
    "bread",
    "letter",
    "music",
    "field",
    "yellow",
    "engine",
    "paper",
    "cloud",
    "teacher",
    "winter",
    "orange",
    "bridge",
]
SENTENCE = (
    "How can I keep my basil plants healthy on a small north facing balcony during a "
    "cold and windy spring without buying a greenhouse? I water them every morning, the "
    "pots drain well, and I feed them once a month, but the leaves still turn yellow at "
    "the edges and the stems get thin and long."
)


def test_words_and_shingles() -> None:
    assert words("Héllo, WORLD! it's 3 o'clock") == ["héllo", "world", "it", "s", "3", "o", "clock"]
    assert shingles(["a", "b", "c", "d"]) == ["a b c", "b c d"]
    assert shingles(["a", "b"]) == ["a b"]  # shorter than a shingle: one feature
    assert shingles([]) == []
    with pytest.raises(ValueError):
        shingles(["a"], 0)


def test_the_feature_hash_is_blake2b_64_little_endian() -> None:
    digest = hashlib.blake2b(b"a b c", digest_size=8).digest()
    assert feature_hash("a b c") == int.from_bytes(digest, "little")
    assert fingerprint("basil on the balcony") == 0x8C0014A42804E904  # pinned: never changes


def test_fingerprint_is_the_bitwise_majority_of_its_features() -> None:
    text = "one two three four"
    hashes = [feature_hash("one two three"), feature_hash("two three four")]
    # with two features a bit is set only when both have it (more than half)
    assert fingerprint(text) == hashes[0] & hashes[1]
    assert fingerprint("solo") == feature_hash("solo")


def test_a_text_without_words_has_fingerprint_zero() -> None:
    assert fingerprint("") == 0 and fingerprint("?! ...") == 0
    assert fingerprints(["", "?!"]).tolist() == [0, 0]


def test_identical_texts_are_at_distance_zero_and_case_and_punctuation_do_not_count() -> None:
    assert hamming(fingerprint(SENTENCE), fingerprint(SENTENCE)) == 0
    assert fingerprint(SENTENCE) == fingerprint(SENTENCE.upper() + " ?!")


def test_a_one_word_change_is_a_small_distance() -> None:
    # a 56-word prompt: one word touches 3 of 54 shingles; most edits stay within 10 bits
    # (a short prompt can move further: SimHash of few features is coarse)
    rng = random.Random(0)
    tokens = SENTENCE.split()
    base = fingerprint(SENTENCE)
    distances = []
    for _ in range(100):
        edited = list(tokens)
        edited[rng.randrange(len(edited))] = "pebble"
        distances.append(hamming(base, fingerprint(" ".join(edited))))
    assert min(distances) > 0 and max(distances) <= 16
    assert sorted(distances)[len(distances) // 2] <= MAX_DISTANCE  # the median
    assert sum(d <= MAX_DISTANCE for d in distances) >= 60


def test_unrelated_texts_are_far_apart() -> None:
    rng = random.Random(1)
    others = [" ".join(rng.choice(WORDS) for _ in range(25)) for _ in range(50)]
    distances = [hamming(fingerprint(SENTENCE), fingerprint(t)) for t in others]
    assert min(distances) > MAX_DISTANCE
    assert 24 <= sum(distances) / len(distances) <= 40  # about half the bits differ


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=20))
def test_vectorised_fingerprints_equal_the_reference(texts: list[str]) -> None:
    assert fingerprints(texts).tolist() == [fingerprint(t) for t in texts]


def test_vectorised_fingerprints_across_batches() -> None:
    rng = random.Random(2)
    texts = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12))) for _ in range(4096 + 37)
    ]
    got = fingerprints(texts)
    assert got.dtype == np.uint64 and got.shape == (len(texts),)
    assert got.tolist() == [fingerprint(t) for t in texts]


def test_block_layout_covers_64_bits_evenly() -> None:
    layout = block_layout(11)
    assert [w for _, w in layout] == [6] * 9 + [5] * 2
    assert layout[0] == (0, 6) and sum(w for _, w in layout) == 64
    assert [o for o, _ in layout] == [sum(w for _, w in layout[:i]) for i in range(11)]
    with pytest.raises(ValueError):
        block_layout(0)


def test_choose_blocks_grows_with_the_data() -> None:
    counts = [choose_blocks(n) for n in (10, 1_000, 10_000, 400_000, 5_000_000)]
    assert counts == sorted(counts)
    assert counts[0] == MAX_DISTANCE + 1 and counts[-1] > counts[0]


def planted(n: int, seed: int) -> np.ndarray:
    """Random fingerprints with copies and near copies (1..12 bits flipped) planted."""
    rng = random.Random(seed)
    out: list[int] = []
    for _ in range(n):
        roll = rng.random()
        if out and roll < 0.05:
            out.append(rng.choice(out))
        elif out and roll < 0.3:
            fp = rng.choice(out)
            for bit in rng.sample(range(64), rng.randint(1, 12)):
                fp ^= 1 << bit
            out.append(fp)
        else:
            out.append(rng.getrandbits(64))
    return np.array(out, dtype=np.uint64)


@pytest.mark.parametrize(("seed", "blocks"), [(0, None), (1, 11), (2, 12), (3, 13), (4, 14)])
def test_bucketed_dedup_equals_brute_force(seed: int, blocks: int | None) -> None:
    fps = planted(3_000, seed)
    fast, slow = dedup(fps, blocks=blocks), dedup_brute_force(fps)
    assert fast.exact
    assert fast.keep.tolist() == slow.keep.tolist()
    assert (fast.identical, fast.near) == (slow.identical, slow.near)
    assert 50 < fast.near < 1_000 and fast.identical > 50  # the planted copies were found
    for j, i in enumerate(fast.duplicate_of.tolist()):  # every witness is earlier and close
        if i >= 0:
            assert i < j and hamming(int(fps[i]), int(fps[j])) <= MAX_DISTANCE
    assert fast.comparisons < slow.comparisons


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=60),
    st.integers(min_value=0, max_value=20),
    st.data(),
)
def test_bucketed_dedup_equals_brute_force_for_any_distance(
    seeds: list[int],
    distance: int,
    data: st.DataObject,
) -> None:
    # clustered fingerprints: each a few bits away from one of the seeds
    rng = random.Random(len(seeds))
    fps = [s ^ (1 << rng.randrange(64)) if rng.random() < 0.5 else s for s in seeds]
    fps += [rng.choice(fps) ^ (1 << rng.randrange(64)) for _ in range(len(fps) // 2)] if fps else []
    blocks = data.draw(st.integers(min_value=distance + 1, max_value=min(64, distance + 4)))
    fast = dedup(fps, distance, blocks=blocks)
    assert fast.keep.tolist() == dedup_brute_force(fps, distance).keep.tolist()


def test_kept_items_are_pairwise_far_and_dropped_items_have_an_earlier_neighbour() -> None:
    fps = planted(800, 9)
    result = dedup(fps)
    kept = [int(f) for f, k in zip(fps, result.keep, strict=True) if k]
    assert all(hamming(a, b) > MAX_DISTANCE for a, b in combinations(kept, 2))
    for j in np.flatnonzero(~result.keep):
        assert any(hamming(int(fps[i]), int(fps[j])) <= MAX_DISTANCE for i in range(j))


def test_the_first_occurrence_is_kept() -> None:
    fps = [5, 5 ^ 0b111, 5, 2**64 - 1 - 5]
    result = dedup(fps)
    assert result.duplicate_of.tolist() == [-1, 0, 0, -1]
    assert (result.identical, result.near, result.kept) == (1, 1, 2)
    assert result.counts()["read"] == 4


def test_a_capped_search_says_so_and_only_keeps_more() -> None:
    # one crowded bucket: 300 fingerprints sharing their low 40 bits, all far apart above
    rng = random.Random(5)
    base = rng.getrandbits(40)
    fps = [base | (rng.getrandbits(24) << 40) for _ in range(300)]
    exact = dedup(fps, blocks=11)
    capped = dedup(fps, blocks=11, max_depth=2)
    assert exact.exact and not capped.exact and capped.capped > 0
    assert (capped.keep >= exact.keep).all()  # a capped search can only miss duplicates


def test_distance_zero_removes_identical_fingerprints_only() -> None:
    assert dedup([1, 3, 1], 0).keep.tolist() == [True, True, False]


@pytest.mark.parametrize(
    "kwargs", [{"max_distance": 64}, {"max_distance": -1}, {"blocks": 10}, {"max_depth": 0}]
)
def test_bad_parameters_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        dedup([1, 2, 3], **kwargs)


def test_empty_and_single_inputs() -> None:
    assert dedup([]).kept == 0
    assert dedup([7]).keep.tolist() == [True]
