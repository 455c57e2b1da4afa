"""64-bit SimHash fingerprints of prompts (Mis-Align Bench Stage I deduplication).

The fingerprint of a text, defined exactly so that it never changes between runs,
machines or Python versions:

1. words: the text case-folded, split into ``\\w+`` runs (Unicode word characters);
2. features: the overlapping word shingles of ``size`` words (3 by default) joined by one
   space; a text of fewer words has one feature, all its words; a text without words has
   none and the fingerprint 0;
3. each feature is hashed with BLAKE2b (``digest_size=8``) of its UTF-8 bytes, read as a
   little-endian 64-bit integer (never Python's randomised ``hash()``);
4. bit ``b`` of the fingerprint is 1 when more than half of the features (counted with
   repetition) have bit ``b`` set, else 0.

:func:`fingerprint` is the plain reference; :func:`fingerprints` computes the same values
for many texts with numpy (imported lazily), counting bits over all shingle hashes at once.
Near-duplicate search over fingerprints is in :mod:`pytest_veto.misalign.neardup`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from hashlib import blake2b
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Words per shingle.
SHINGLE_SIZE = 3
#: Fingerprint width in bits.
BITS = 64
_WORD = re.compile(r"\w+")
#: Texts fingerprinted per numpy batch: bounds memory at ~(shingles in the batch) x 64 bytes.
_BATCH = 4096


def words(text: str) -> list[str]:
    """The case-folded ``\\w+`` words of ``text``."""
    return _WORD.findall(text.casefold())


def shingles(tokens: Sequence[str], size: int = SHINGLE_SIZE) -> list[str]:
    """Overlapping ``size``-word shingles; one shingle of all words when there are fewer."""
    if size < 1:
        raise ValueError(f"shingle size must be >= 1, got {size}")
    if not tokens:
        return []
    if len(tokens) < size:
        return [" ".join(tokens)]
    return [" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]


def feature_hash(feature: str) -> int:
    """The stable 64-bit hash of one feature: BLAKE2b-64 of its UTF-8, little-endian."""
    return int.from_bytes(_digest(feature), "little")


def _digest(feature: str) -> bytes:
    return blake2b(feature.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def fingerprint(text: str, size: int = SHINGLE_SIZE) -> int:
    """The SimHash of one text, in plain Python (the reference for :func:`fingerprints`)."""
    features = shingles(words(text), size)
    if not features:
        return 0
    ones = [0] * BITS
    for feature in features:
        h = feature_hash(feature)
        for bit in range(BITS):
            ones[bit] += (h >> bit) & 1
    return sum(1 << bit for bit in range(BITS) if 2 * ones[bit] > len(features))


def fingerprints(texts: Iterable[str], size: int = SHINGLE_SIZE) -> npt.NDArray[np.uint64]:
    """SimHash of every text as a ``uint64`` array, equal to :func:`fingerprint` of each.

    Batches of texts are hashed shingle by shingle (BLAKE2b in C), then numpy unpacks the
    64 bits of every shingle hash and sums them per text with one ``add.reduceat``.
    """
    import numpy as np

    out: list[npt.NDArray[np.uint64]] = []
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == _BATCH:
            out.append(_fingerprint_batch(batch, size))
            batch = []
    if batch or not out:
        out.append(_fingerprint_batch(batch, size))
    return np.concatenate(out)


def _fingerprint_batch(texts: Sequence[str], size: int) -> npt.NDArray[np.uint64]:
    import numpy as np

    digests: list[bytes] = []
    counts = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        features = shingles(words(text), size)
        counts[i] = len(features)
        digests.extend(map(_digest, features))
    result = np.zeros(len(texts), dtype=np.uint64)
    has = counts > 0
    if not digests:
        return result
    raw = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, 8)
    # bitorder little: column b is bit b of the little-endian 64-bit integer
    bits = np.unpackbits(raw, axis=1, bitorder="little")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[has]
    ones = np.add.reduceat(bits, starts, axis=0, dtype=np.int64)
    majority = (2 * ones > counts[has, None]).astype(np.uint8)
    packed = np.packbits(majority, axis=1, bitorder="little")
    result[has] = packed.view("<u8").ravel()
    return result


def hamming(a: int, b: int) -> int:
    """Hamming distance of two fingerprints."""
    return (a ^ b).bit_count()
