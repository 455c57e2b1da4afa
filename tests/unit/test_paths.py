"""``data.paths``: whether an output names an input's file, however it is spelt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_veto.data.paths import first_clash, same_file


def test_one_path_spelt_two_ways_is_one_file(tmp_path: Path) -> None:
    assert same_file(tmp_path / "r.json", tmp_path / "sub" / ".." / "r.json")  # neither exists
    assert not same_file(tmp_path / "r.json", tmp_path / "s.json")


def test_a_relative_path_is_resolved_against_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert same_file(Path("r.json"), tmp_path / "r.json")


def test_links_name_their_target(tmp_path: Path) -> None:
    target = tmp_path / "pairs.jsonl"
    target.write_text("{}\n", encoding="utf-8")
    os.link(target, tmp_path / "hard.jsonl")
    (tmp_path / "soft.jsonl").symlink_to(target)
    assert same_file(tmp_path / "hard.jsonl", target)  # only the file system knows
    assert same_file(tmp_path / "soft.jsonl", target)
    assert not same_file(tmp_path / "missing.jsonl", target)


def test_first_clash_names_the_output_and_what_it_would_overwrite(tmp_path: Path) -> None:
    data, report = tmp_path / "p.jsonl", tmp_path / "r.json"
    inputs = [("--veto-data=p.jsonl", data)]
    assert first_clash([("--veto-report=r.json", report)], inputs) is None
    assert first_clash([("--veto-report=p.jsonl", data)], inputs) == (
        "--veto-report=p.jsonl is also --veto-data=p.jsonl: writing it would overwrite "
        "the input; write it to another file"
    )
    assert first_clash([("--a=r.json", report), ("--b=r.json", report)], inputs) == (
        "--b=r.json is also --a=r.json: one would overwrite the other; give each its own file"
    )
