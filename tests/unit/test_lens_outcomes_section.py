"""The plugin-side lens glue: outcomes from an earlier report, and the report section."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from pytest_veto.lens.analysis import LensAnalysis, PairLens
from pytest_veto.lens.suite import lens_section, outcomes_from_report


def _report(path: Path, rows: object) -> Path:
    path.write_text(json.dumps({"pairs": rows}), encoding="utf-8")
    return path


def test_outcomes_of_the_requested_variant_and_no_silent_fallback(tmp_path: Path) -> None:
    rows = [
        {"pair_id": "p1", "category": "Age", "variant": "base", "outcome": "c"},
        {"pair_id": "p1", "category": "Age", "variant": "trigger", "outcome": "a"},
    ]
    path = _report(tmp_path / "r.json", rows)
    assert outcomes_from_report(path, "trigger") == [("p1", "Age", "a")]
    assert outcomes_from_report(path, "base") == [("p1", "Age", "c")]
    # a report without the trigger run's outcomes is not read as if it had them
    unprimed = _report(tmp_path / "u.json", rows[:1])
    with pytest.raises(ValueError, match="no 'trigger' outcomes \\(variants: base\\); run it with"):
        outcomes_from_report(unprimed, "trigger")


@pytest.mark.parametrize(
    "content",
    [
        '{"pairs": [{"pair_id": "p1", "category": "Age"}]}',  # no outcome
        '{"pairs": {"p1": "c"}}',  # not a list
        '{"runs": []}',  # no pairs
        "not json",
    ],
)
def test_an_unusable_report_is_a_value_error_naming_it(tmp_path: Path, content: str) -> None:
    path = tmp_path / "old.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=f"--veto-lens-from {path}: not a pytest-veto report"):
        outcomes_from_report(path, "base")


def test_broken_numbers_become_null_and_leave_no_peak() -> None:
    """An overflow (inf) or NaN in the failure gaps: no peak, a non_finite verdict, and a
    section that strict JSON accepts, so the report is still written."""
    pairs = (
        PairLens("f1", "Age", "failure", (0.0, 1.0, -math.inf), (0.0, 1.0, 2.0)),
        PairLens("c1", "Age", "control", (0.0, math.nan, 1.0), (0.0, 0.0, 1.0)),
    )
    analysis = LensAnalysis(pairs, {"yes": {"yes": 1}, "no": {"no": 2}})
    section = lens_section(analysis, "this run", "base")
    assert section["outcomes"] == {
        "source": "this run",
        "variant": "base",
        "pairs_from": "unprimed",
        "prompts": "base",
    }
    summary = section["summary"]
    assert summary["peak"] == {"layer": None, "value": None}
    assert summary["late_layer"]["verdict"] == "non_finite"
    assert summary["gap_by_layer"]["failure"][2] is None
    json.dumps(section, allow_nan=False)  # raises on any NaN or infinity left


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000, "line 1: nested too deeply: more than 100 levels of lists and objects"),
        ('{"pairs": [' + "9" * 5001 + "]}", "line 1: integer too long: 5001 digits"),
        ('{"pairs": [NaN]}', "line 1: NaN is not valid JSON"),
    ],
    ids=["deep", "huge-int", "nan"],
)
def test_bad_json_is_a_located_value_error(tmp_path: Path, content: str, message: str) -> None:
    """A deep or huge report was a RecursionError or an unlocated ValueError."""
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        outcomes_from_report(path, "base")
    assert str(info.value).startswith(f"--veto-lens-from {path}: not a pytest-veto report (")
    assert message in str(info.value)


def test_a_report_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Editors on Windows write one; it was 'Unexpected UTF-8 BOM'."""
    path = tmp_path / "bom.json"
    rows = [{"pair_id": "p1", "category": "Age", "variant": "base", "outcome": "a"}]
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"pairs": rows}).encode("utf-8"))
    assert outcomes_from_report(path, "base") == [("p1", "Age", "a")]
