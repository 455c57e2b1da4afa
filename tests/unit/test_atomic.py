"""Atomic writes replace regular files only: never a device, a FIFO or a symlink itself."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_veto.data.atomic import NotARegularFileError, write_bytes_atomic


def test_writes_a_new_file_and_replaces_an_old_one(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_bytes_atomic(path, b"one")
    write_bytes_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary left behind


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_bytes_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_a_fifo_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFileError, match="not a regular file"):
        write_bytes_atomic(fifo, b"x")
    assert fifo.is_fifo()
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_character_device_is_refused(tmp_path: Path) -> None:
    # a device node of our own (as /dev/null is), so a regression cannot replace a real one
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    with pytest.raises(NotARegularFileError):
        write_bytes_atomic(device, b"x")
    assert device.is_char_device()


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotARegularFileError):
        write_bytes_atomic(tmp_path, b"x")


def test_a_link_to_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "r.json"
    link.symlink_to(fifo)
    with pytest.raises(NotARegularFileError):
        write_bytes_atomic(link, b"x")
    assert link.is_symlink() and fifo.is_fifo()
