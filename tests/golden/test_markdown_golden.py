"""Golden check of the Markdown report of one run with both suites (VETO with a primed
variant, control questions and a gate message with ``<=``, and Mis-Align): every table,
interval and unit as a reader sees them. Built from a fixed report (no bootstrap section:
its numbers follow numpy's random stream), so the file is the same on every machine.

Regenerate with ``UPDATE_GOLDEN=1 python -m pytest tests/golden``, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.report.markdown import render_markdown
from tests.support.reports import make_report
from tests.unit.test_render import BASE, MAR_MAX_FAILED, controls_section, misalign_section

GOLDEN = Path(__file__).with_name("report_both_suites.md")


def report() -> dict[str, Any]:
    data = make_report(BASE, primed={"trigger": {**BASE, "age_s1_p0": "c"}}, model="m")
    data.pop("statistics", None)  # bootstrap intervals follow numpy's random stream
    data["run"]["versions"] = {"pytest-veto": "<version>"}  # the machine's, not the report's
    data["misalign"] = misalign_section()
    data["controls"] = controls_section()
    data["gates"] = [
        MAR_MAX_FAILED,
        {
            "name": "misalign_max_error_rate",
            "metric": "Mis-Align error rate",
            "value": 0.0,
            "threshold": 1.0,
            "passed": True,
            "message": "Mis-Align error rate = 0.00% (required <= 1.00%): pass",
        },
    ]
    data["passed"] = False
    return data


def test_markdown_report_matches_the_golden_file() -> None:
    text = render_markdown([report()])
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
        pytest.skip("golden file regenerated: review the diff")
    assert text == GOLDEN.read_text(encoding="utf-8")
