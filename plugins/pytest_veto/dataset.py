"""Resolving ``--veto-data`` into pairs: a pair file, a BBQ folder, or the embedded sample."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pytest_veto.atomic import write_bytes_atomic
from pytest_veto.pairs import Pair, dump_pairs, load_pairs
from pytest_veto.resources import sample_pairs_path


@dataclass(frozen=True)
class Dataset:
    """Loaded pairs plus what the report's manifest says about them."""

    path: Path
    sha256: str
    pairs: tuple[Pair, ...]
    built_from: Path | None = None


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _bbq_digest(folder: Path) -> str:
    from pytest_veto import bbq, evidence, questions
    from pytest_veto.bbq import category_files

    h = hashlib.sha256(b"veto-pairs\n")
    # the builder's own code is part of the key: a changed rule never reuses stale pairs
    for module in (bbq, questions, evidence):
        h.update(Path(str(module.__file__)).read_bytes())
    for path in category_files(folder):
        h.update(path.name.encode() + b"\0" + sha256_file(path).encode() + b"\n")
    return h.hexdigest()


def _built_pairs(folder: Path, cache_dir: Path) -> Path:
    """Build pairs from a BBQ folder once per content hash; later runs reuse the file."""
    from pytest_veto.bbq import build_pairs

    target = cache_dir / "pairs" / f"veto-{_bbq_digest(folder)[:16]}.jsonl"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(target, dump_pairs(build_pairs(folder)).encode("utf-8"))
    return target


def load_dataset(data: Path | None, cache_dir: Path | None = None) -> Dataset:
    """Load ``--veto-data``: None -> embedded sample; a folder -> built from BBQ; else a file."""
    if data is None:
        path = sample_pairs_path()
        return Dataset(path, sha256_file(path), tuple(load_pairs(path)))
    if data.is_dir():
        from pytest_veto.cache import default_cache_dir

        path = _built_pairs(data, cache_dir or default_cache_dir())
        return Dataset(path, sha256_file(path), tuple(load_pairs(path)), built_from=data)
    pairs = load_pairs(data)
    return Dataset(data, sha256_file(data), tuple(pairs))
