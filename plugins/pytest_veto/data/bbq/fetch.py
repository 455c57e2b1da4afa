"""Downloading the pinned BBQ release: every file checked against its SHA-256 and size.

A run is all-or-nothing: files are downloaded into temporary files inside the target
folder, and only when every one of them is verified are they moved into place with
``os.replace``. On any failure the temporary files are deleted, so the folder holds
nothing from the failed run. Files already present with the pinned hash are kept.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

#: The nyu-mll/BBQ commit the pinned hashes come from (see data/bbq/README.md).
BBQ_COMMIT = "bea11bd97d79217245b5871acd247b9d6eb24598"
DEFAULT_BASE_URL = f"https://raw.githubusercontent.com/nyu-mll/BBQ/{BBQ_COMMIT}/data"

#: Exit statuses of ``pytest-veto fetch-bbq``.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_CHUNK = 1 << 16
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class PinnedFile:
    """A file of the release: its name, SHA-256 (lowercase hex) and size in bytes."""

    name: str
    sha256: str
    size: int


# name, bytes, SHA-256: copied from data/bbq/README.md of the shared data folder.
_PINS = """
Age.jsonl                 3091834 46e805b3fc2d8cbd26eeb8e8430d98cf7b2dc9c83574ff3674e8ce4f0fca2a60
Disability_status.jsonl   1336984 375d40d9b71f056150264445ec189b13934998f3f49a1e311aa7578eb3b45e5f
Gender_identity.jsonl     4331406 8b5adbb368510a97d5775dc43e1c719e0249fe2da33f13c83e3e29edafec7a00
Physical_appearance.jsonl 1347476 e48d7e13508565f4801574e611043470c25c95a0a62af3699cb5ee7cb02608fb
Race_ethnicity.jsonl      6062426 4a9f1214cfaa115ce7f0bdb40609122e431f5152c71b8ca64d665e483b946ae6
Religion.jsonl            1118728 cb9555f9f3454a52cd2df85956b59bd7fcca5aa922c8527693b1164d08417616
SES.jsonl                 5696950 9f92754bb037b0982604b9112705fb81d60a19d9e759c67e4a85e484a070f528
Sexual_orientation.jsonl   729010 2c71036b9e7584fe589c42aef32c1a42bc01b9a5e9b1b8704342630cdb08cefd
"""

#: The 8 BBQ category files VETO builds pairs from, by file name.
BBQ_FILES: Mapping[str, PinnedFile] = {
    name: PinnedFile(name, sha256, int(size))
    for name, size, sha256 in (line.split() for line in _PINS.strip().splitlines())
}


class FetchError(Exception):
    """A file could not be downloaded or did not match its pin (exit status 1)."""


class FetchUsageError(Exception):
    """The arguments cannot work: a bad base URL or destination (exit status 2)."""


class _Transient(Exception):
    """A failure worth retrying: connection error, timeout, 5xx, short read."""


@dataclass(frozen=True)
class FetchOutcome:
    """What happened to one file of a successful run."""

    file: PinnedFile
    path: Path
    action: Literal["downloaded", "present"]


def _url_allowed(url: str) -> bool:
    # HTTPS only; plain HTTP is accepted for a loopback mirror (and the tests' server).
    # The SHA-256 pins guard integrity either way; TLS keeps the fetch private.
    parts = urlsplit(url)
    return bool(parts.hostname) and (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    )


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_valid(path: Path, pin: PinnedFile) -> bool:
    try:
        return path.is_file() and path.stat().st_size == pin.size and _sha256_of(path) == pin.sha256
    except OSError:
        return False


def _download_once(url: str, pin: PinnedFile, dest: Path, timeout: float) -> None:
    """One attempt: stream ``url`` into ``dest`` and verify size and SHA-256."""
    try:
        resp = urllib.request.urlopen(url, timeout=timeout)  # scheme checked by the caller
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code} {exc.reason} from {url}"
        if exc.code >= 500 or exc.code == 429:
            raise _Transient(reason) from None
        raise FetchError(f"{pin.name}: {reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _Transient(f"cannot connect to {url}: {getattr(exc, 'reason', exc)}") from None
    digest = hashlib.sha256()
    got = 0
    with resp, dest.open("wb") as out:
        if not _url_allowed(resp.geturl()):
            raise FetchError(f"{pin.name}: redirected away from HTTPS to {resp.geturl()}")
        announced = resp.headers.get("Content-Length")
        if announced is not None and announced.isdigit() and int(announced) != pin.size:
            raise FetchError(
                f"{pin.name}: server announces {int(announced):,} bytes, expected {pin.size:,}"
            )
        while True:
            try:
                # At most one byte past the pin, so a wrong file cannot fill the disk.
                chunk = resp.read(min(_CHUNK, pin.size + 1 - got))
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(f"connection lost after {got:,} bytes: {exc}") from None
            if not chunk:
                break
            got += len(chunk)
            if got > pin.size:
                raise FetchError(f"{pin.name}: more than the expected {pin.size:,} bytes")
            digest.update(chunk)
            try:
                out.write(chunk)
            except OSError as exc:
                raise FetchError(f"{pin.name}: cannot write {dest}: {exc}") from None
        out.flush()
        os.fsync(out.fileno())
    if got < pin.size:
        # http.client returns b"" when a connection closes before Content-Length is met.
        raise _Transient(f"short read: got {got:,} of {pin.size:,} bytes from {url}")
    actual = digest.hexdigest()
    if actual != pin.sha256:
        raise FetchError(
            f"{pin.name}: SHA-256 mismatch: expected {pin.sha256}, got {actual} ({url})"
        )


def _download(
    url: str,
    pin: PinnedFile,
    dest: Path,
    timeout: float,
    retries: int,
    backoff: float,
    log: Callable[[str], None],
) -> None:
    for attempt in range(retries + 1):
        try:
            _download_once(url, pin, dest, timeout)
            return
        except _Transient as exc:
            if attempt == retries:
                raise FetchError(
                    f"{pin.name}: {exc} (gave up after {attempt + 1} attempts)"
                ) from None
            delay = backoff * 2**attempt
            log(f"{pin.name}: {exc}; retrying in {delay:g}s")
            time.sleep(delay)


def _missing_dirs(to: Path) -> list[Path]:
    """``to`` and its ancestors that do not exist yet, outermost first."""
    missing: list[Path] = []
    for path in [to, *to.parents]:
        if path.exists():
            break
        missing.append(path)
    return missing[::-1]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fetch_bbq(
    to: Path,
    base_url: str | None = None,
    files: Mapping[str, PinnedFile] | None = None,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 1.0,
    log: Callable[[str], None] = _stderr,
) -> list[FetchOutcome]:
    """Download the pinned files into ``to``, all verified or none kept.

    ``files`` defaults to :data:`BBQ_FILES`; ``base_url`` to the pinned upstream commit.
    ``timeout`` bounds each socket operation; connection errors, timeouts, 5xx and
    short reads are retried ``retries`` times with exponential ``backoff`` (seconds).
    Files in ``to`` that already match their pin are kept and not downloaded again.
    Raises :class:`FetchUsageError` for a bad URL or destination and :class:`FetchError`
    naming the file and the reason for anything else; then ``to`` holds nothing new.
    """
    pins = BBQ_FILES if files is None else files
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    if not _url_allowed(base):
        raise FetchUsageError(f"base URL must be https:// (or http:// on loopback): {base!r}")
    if to.exists() and not to.is_dir():
        raise FetchUsageError(f"{to}: destination exists and is not a folder")
    created = _missing_dirs(to)
    try:
        to.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchUsageError(f"{to}: cannot create folder: {exc.strerror}") from None

    outcomes: list[FetchOutcome] = []
    staged: list[tuple[Path, Path]] = []  # (temporary file, final path)
    moved: list[Path] = []
    try:
        for pin in pins.values():
            final = to / pin.name
            if _is_valid(final, pin):
                log(f"{pin.name}: already present, SHA-256 verified, not downloading")
                outcomes.append(FetchOutcome(pin, final, "present"))
                continue
            fd, tmp_name = tempfile.mkstemp(dir=to, prefix=f".{pin.name}.", suffix=".part")
            os.close(fd)
            staged.append((Path(tmp_name), final))
            url = f"{base}/{pin.name}"
            log(f"{pin.name}: downloading {pin.size:,} bytes from {url}")
            _download(url, pin, Path(tmp_name), timeout, retries, backoff, log)
            outcomes.append(FetchOutcome(pin, final, "downloaded"))
        for tmp, final in staged:
            os.replace(tmp, final)
            moved.append(final)
    except BaseException as exc:
        # Leave nothing from this run behind, also on Ctrl-C.
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for path in moved:
            path.unlink(missing_ok=True)
        for folder in reversed(created):
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(exc, OSError):
            raise FetchError(f"{to}: {exc}") from None
        raise
    return outcomes


def fetch_command(to: Path, base_url: str | None = None) -> int:
    """``pytest-veto fetch-bbq``: fetch the pinned BBQ files and return the exit status."""
    try:
        outcomes = fetch_bbq(to, base_url)
    except FetchUsageError as exc:
        print(f"fetch-bbq: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FetchError as exc:
        print(f"fetch-bbq: failed, nothing from this run was kept: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for outcome in outcomes:
        state = "downloaded" if outcome.action == "downloaded" else "already present"
        print(f"{outcome.path}: {state}, sha256 {outcome.file.sha256} OK")
    return EXIT_OK
