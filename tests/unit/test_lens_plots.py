"""Lens figures from hand-made report sections (no model): files, names, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_veto.lens.analysis import LensAnalysis, PairLens
from pytest_veto.lens.plots import (
    GAP_FILE,
    RECOVERY_FILE,
    available,
    plot_gap_by_layer,
    plot_recovery_by_k,
    write_plots,
)

pytestmark = pytest.mark.skipif(not available(), reason="matplotlib is not installed")

PAIRS = (
    PairLens("f1", "Age", "failure", (0.0, 1.0, -2.0, -3.0), (0.0, 1.5, 3.0, 4.0)),
    PairLens("c1", "SES", "control", (1.0, 1.0, 2.0, 3.0), (1.0, 1.2, 2.1, 3.5)),
)
LENS = LensAnalysis(PAIRS, {"yes": {"yes": 1}, "no": {"no": 2}}, base_pairs=PAIRS).as_dict()
RECOVERY = {
    "mode": "zero",
    "n_pairs": 30,
    "points": [
        {"k": k, "recovery_rate": rate} for k, rate in ((1, 0.0), (3, 0.1), (5, None), (10, 0.3))
    ],
}


def test_gap_figure_with_base_model(tmp_path: Path) -> None:
    path = plot_gap_by_layer(LENS, tmp_path / "out")
    assert path == tmp_path / "out" / GAP_FILE
    assert path.read_bytes().startswith(b"\x89PNG")
    again = plot_gap_by_layer(LENS, tmp_path / "again")
    assert again.read_bytes() == path.read_bytes()  # no timestamps in the file


def test_recovery_figure_tolerates_undefined_rates(tmp_path: Path) -> None:
    path = plot_recovery_by_k(RECOVERY, tmp_path)
    assert path.name == RECOVERY_FILE and path.stat().st_size > 1000


def test_write_plots_skips_missing_or_empty_sections(tmp_path: Path) -> None:
    assert write_plots(None, None, tmp_path) == []
    empty = LensAnalysis((), {"yes": {}, "no": {}}).as_dict()
    assert write_plots(empty, {"points": []}, tmp_path) == []
    assert [p.name for p in write_plots(LENS, RECOVERY, tmp_path)] == [GAP_FILE, RECOVERY_FILE]
