"""Atomic file writes: a crash never leaves a half-written report or pair file."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


class NotARegularFileError(OSError):
    """The target exists and is not a regular file (a device, a FIFO, a folder...)."""


def atomic_target(path: Path) -> Path:
    """The file an atomic write of ``path`` replaces: a symlink's target (the link stays),
    else ``path``; a target that exists and is not a regular file is refused, since
    renaming over it would replace a device or a FIFO (as root, even ``/dev/null``)."""
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        raise NotARegularFileError(
            f"{path}: exists and is not a regular file; pytest-veto only replaces regular "
            "files (give a file path)"
        )
    return target


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, fsync, then rename it over the target.

    The folder must exist. Concurrent writers of identical bytes (xdist workers building
    the same file) are safe: the last rename wins and every reader sees a whole file.
    """
    target = atomic_target(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would hide reports from CI readers
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
