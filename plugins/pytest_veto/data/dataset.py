"""Resolving ``--veto-data`` into pairs: a pair file, a BBQ folder, or the embedded sample."""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_veto.data import jsonfile
from pytest_veto.data.atomic import write_bytes_atomic
from pytest_veto.data.pair_checks import PairDataWarning, pair_warnings, warning_message
from pytest_veto.data.pairs import (
    DataIssue,
    Pair,
    PairDataError,
    check_pair_data,
    dump_pairs,
    parse_trusted,
)
from pytest_veto.data.resources import sample_pairs_path

if TYPE_CHECKING:
    from pytest_veto.data.bbq.build import TextMode


@dataclass(frozen=True)
class Dataset:
    """Loaded pairs plus what the report's manifest says about them."""

    path: Path
    sha256: str
    pairs: tuple[Pair, ...]
    built_from: Path | None = None
    #: valid records that look wrong (``data/pair_checks.py``), located
    warnings: tuple[DataIssue, ...] = ()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _bbq_digest(folder: Path, text: TextMode = "release") -> str:
    from pytest_veto.data import pairs
    from pytest_veto.data.bbq import build as bbq
    from pytest_veto.data.bbq import controls, evidence, morphology, questions, release
    from pytest_veto.data.bbq import reader as bbq_reader
    from pytest_veto.data.bbq.reader import category_files

    h = hashlib.sha256(b"veto-pairs\n")
    h.update(f"text={text}\n".encode())  # release and corrected text never share a build
    # the builder's own code is part of the key: a changed rule never reuses stale pairs
    for module in (bbq, bbq_reader, questions, release, morphology, evidence, controls, pairs):
        h.update(Path(str(module.__file__)).read_bytes())
    files = category_files(folder)
    if not all(path.is_file() for path in files):
        from pytest_veto.data.bbq.reader import read_bbq

        read_bbq(folder)  # raises BbqDataError listing every missing file
    for path in files:
        h.update(path.name.encode() + b"\0" + sha256_file(path).encode() + b"\n")
    return h.hexdigest()


def _built_pairs(folder: Path, cache_dir: Path, text: TextMode = "release") -> Path:
    """Build pairs from a BBQ folder once per content hash; later runs reuse the file, after
    checking it against the digest and pair count recorded beside it at build time (a cut
    file would otherwise be a smaller benchmark, valid to the last line)."""
    from pytest_veto.data.bbq.build import build_pairs

    # the text mode is in the name too, so the report's dataset path says which text ran
    target = cache_dir / "pairs" / f"veto-{text}-{_bbq_digest(folder, text)[:16]}.jsonl"
    if target.exists():
        problem = _build_problem(target)
        if problem is None:
            return target
        warnings.warn(PairDataWarning(f"{target}: {problem}; rebuilt from {folder}"), stacklevel=3)
    target.parent.mkdir(parents=True, exist_ok=True)
    # with control questions: a run with --veto-controls and one without read the same
    # file (the same data digest), and a run without them never sends them
    data = dump_pairs(build_pairs(folder, text, gaps={})).encode("utf-8")
    # the record first: a process that sees the pairs file also sees the record that
    # vouches for it (an interrupted build leaves no pairs file, so it is built again)
    record = {"sha256": hashlib.sha256(data).hexdigest(), "pairs": _line_count(data)}
    write_bytes_atomic(_build_record(target), (json.dumps(record) + "\n").encode("utf-8"))
    write_bytes_atomic(target, data)
    return target


def _build_record(target: Path) -> Path:
    """Where the digest and pair count of a built pairs file are kept."""
    return target.with_name(target.stem + ".build.json")


def _line_count(data: bytes) -> int:
    return sum(1 for line in data.split(b"\n") if line.strip())


def _build_problem(target: Path) -> str | None:
    """Why a cached build cannot be reused as it is (None: it is what was built)."""
    record_path = _build_record(target)
    try:
        record = jsonfile.read(record_path)
        data = target.read_bytes()
    except FileNotFoundError:
        return f"no record of the build ({record_path.name}) to check the cached pairs against"
    except (OSError, jsonfile.UserJsonError) as exc:
        return f"cannot check the cached pairs against {record_path.name} ({exc})"
    if not isinstance(record, dict) or not {"sha256", "pairs"} <= record.keys():
        return f"{record_path.name} is not a build record"
    count = _line_count(data)
    if hashlib.sha256(data).hexdigest() != record["sha256"] or count != record["pairs"]:
        return (
            f"the cached pairs ({count} line(s)) are not what was built ({record['pairs']} "
            f"pairs, sha256 {str(record['sha256'])[:12]}...): truncated or edited"
        )
    return None


def _validation_stamp(digest: str, cache_dir: Path) -> Path:
    """A file whose existence says: these exact bytes passed this exact validation."""
    import pytest_veto.data.pairs as pairs_module
    from pytest_veto.data.resources import fixtures_dir

    h = hashlib.sha256(digest.encode())
    h.update((fixtures_dir() / "schemas" / "veto_pair.schema.json").read_bytes())
    h.update(Path(str(pairs_module.__file__)).read_bytes())
    return cache_dir / "validated" / h.hexdigest()[:32]


def _load_file(path: Path, cache_dir: Path) -> tuple[list[tuple[str, Pair]], str]:
    """Load a pair file, each pair with its location; JSON Schema validation runs once per
    distinct content (every xdist worker loads the data, and validating 2,032 records
    costs about a second each time)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PairDataError(
            [DataIssue(str(path), "", "", f"cannot read file: {exc.strerror}")]
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    stamp = _validation_stamp(digest, cache_dir)
    if stamp.exists():
        trusted = parse_trusted(path, data)
        if trusted is not None:
            return trusted, digest
    _, issues = check_pair_data(path, data)
    if issues:
        raise PairDataError(issues)
    located = parse_trusted(path, data)  # the same records, now with their locations
    if located is None:  # cannot happen: valid data parses cleanly
        raise PairDataError([DataIssue(str(path), "", "", "cannot parse validated data")])
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    except OSError:
        pass  # no stamp: the next run validates again, nothing else changes
    return located, digest


def load_dataset(
    data: Path | None, cache_dir: Path | None = None, text: TextMode = "release"
) -> Dataset:
    """Load ``--veto-data``: None -> embedded sample; a folder -> built from BBQ (with the
    ``text`` mode: the release's text or errata mode, each cached apart); else a file.

    Records that are valid but look wrong load, with one :class:`PairDataWarning` listing
    them (also kept in ``Dataset.warnings``)."""
    from pytest_veto.data.locations import default_cache_dir

    cache = cache_dir or default_cache_dir()
    built_from = None
    if data is None:
        path = sample_pairs_path()
    elif data.is_dir():
        path, built_from = _built_pairs(data, cache, text), data
    else:
        path = data
    try:
        located, digest = _load_file(path, cache)
    except PairDataError as exc:
        if built_from is None:
            raise
        hint = f"a cached build of {built_from}: delete {path} and it is built again"
        # first, so the message keeps it however many problems follow
        raise PairDataError([DataIssue(str(path), "", "", hint), *exc.issues]) from None
    found = tuple(pair_warnings(str(path), located))
    if found:
        warnings.warn(PairDataWarning(warning_message(found)), stacklevel=2)
    pairs = tuple(pair for _, pair in located)
    return Dataset(path, digest, pairs, built_from=built_from, warnings=found)
