"""--veto-data resolution: sample, pair files (validated once per content), BBQ folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pytest_veto.data.dataset as dataset_module
from pytest_veto.data.dataset import load_dataset
from pytest_veto.data.pairs import PairDataError
from pytest_veto.data.resources import sample_pairs_path

MINI_BBQ = Path(__file__).resolve().parents[1] / "data" / "bbq_mini"


def test_default_is_the_embedded_sample(tmp_path: Path) -> None:
    d = load_dataset(None, tmp_path)
    assert d.path == sample_pairs_path() and len(d.pairs) == 64 and len(d.sha256) == 64


def test_validation_runs_once_per_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "pairs.jsonl"
    shutil.copy(sample_pairs_path(), data)
    first = load_dataset(data, tmp_path / "cache")

    def no_validation(*args: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(dataset_module, "check_pair_data", no_validation)
    assert load_dataset(data, tmp_path / "cache").pairs == first.pairs
    # changed bytes are validated again, and an invalid edit is caught
    monkeypatch.undo()
    data.write_text(data.read_text().replace('"category": "Age"', '"category": "Nope"', 1))
    with pytest.raises(PairDataError, match="unknown category 'Nope'"):
        load_dataset(data, tmp_path / "cache")


def test_bbq_folder_is_built_once_and_cached(tmp_path: Path) -> None:
    first = load_dataset(MINI_BBQ, tmp_path)
    assert first.built_from == MINI_BBQ and first.pairs
    assert first.path.parent == tmp_path / "pairs"
    mtime = first.path.stat().st_mtime_ns
    again = load_dataset(MINI_BBQ, tmp_path)
    assert again.path == first.path and again.path.stat().st_mtime_ns == mtime
    assert again.pairs == first.pairs and again.sha256 == first.sha256


def test_release_and_errata_text_are_cached_apart(tmp_path: Path) -> None:
    release = load_dataset(MINI_BBQ, tmp_path)
    corrected = load_dataset(MINI_BBQ, tmp_path, text="corrected")
    assert release.path.name.startswith("veto-release-")
    assert corrected.path.name.startswith("veto-corrected-")  # the report's dataset path
    assert [p.id for p in corrected.pairs] == [p.id for p in release.pairs]
    assert corrected.pairs != release.pairs and corrected.sha256 != release.sha256
    assert load_dataset(MINI_BBQ, tmp_path).pairs == release.pairs  # neither overwrote the other
