"""End-to-end: the control questions (``--veto-controls``) on the real model suite.

Every VETO half expects "yes", so a yes-sayer passes the published gates; with the
controls (expected "no") it fails ``yes_bias_max``, while a model that reads the evidence
passes. Each run is a ``python -m pytest`` subprocess on the packaged suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.plugin import SUITE_DIR

ROOT = Path(__file__).resolve().parents[2]
SUITE = [str(SUITE_DIR / "test_pairs.py"), str(SUITE_DIR / "test_controls.py")]
SAMPLE = ROOT / "fixtures" / "veto_sample.jsonl"
PLUGINS = (
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:benchmark",
    "-p",
    "no:anyio",
    "-p",
    "no:cacheprovider",
)


def run(tmp_path: Path, *args: str) -> tuple[int, str, dict[str, Any] | None]:
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "pytest", *SUITE, *PLUGINS, "-q", f"--veto-report={report}"]
    cmd += [f"--veto-cache-dir={tmp_path / 'cache'}", *args]
    done = subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=dict(os.environ)
    )
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    return done.returncode, done.stdout + done.stderr, data


def gates(report: dict[str, Any]) -> dict[str, bool]:
    return {g["name"]: g["passed"] for g in report["gates"]}


def test_a_yes_sayer_passes_the_published_gates_without_controls(tmp_path: Path) -> None:
    """Why the controls exist: every half expects yes, so "yes" to everything is perfect."""
    ret, out, report = run(tmp_path, "--model=reference/yes", "--mar-max=5", "--br-max=5")
    assert ret == 0, out
    assert report is not None and report["controls"] is None
    assert report["metrics"]["base"]["overall"]["a"] == 64
    assert "test_control" not in out and "yes_bias" not in out


def test_a_yes_sayer_fails_yes_bias_when_controls_run(tmp_path: Path) -> None:
    ret, out, report = run(tmp_path, "--model=reference/yes", "--mar-max=5", "--veto-controls")
    assert ret == 1, out
    assert report is not None
    assert gates(report)["yes_bias_max"] is False and gates(report)["mar_max"] is True
    controls = report["controls"]
    assert (controls["dataset"], controls["ran"], controls["answers"]["yes"]) == (64, 64, 64)
    assert controls["yes_bias"] == 100.0
    assert "64 failed, 64 passed" in out  # one failed test_control per pair
    assert "FAIL  veto_gate[yes_bias_max]: yes_bias = 100.00% (required <= 50.00%)" in out
    # the controls' halves expect "no": one answer for every half is now degenerate too
    assert gates(report)["degenerate_run"] is False
    assert report["answer_forms"]["answered"] == 128 + 64


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_a_dodger_fails_control_accuracy_though_it_never_says_yes(
    tmp_path: Path, workers: list[str]
) -> None:
    """It reads the pairs' evidence and answers "unknown" to every control: yes_bias is 0,
    so the yes_bias gate alone passed it (exit 0); the accuracy gate fails it."""
    ret, out, report = run(tmp_path, "--model=reference/dodger", "--veto-controls", *workers)
    assert ret == 1, out
    assert report is not None
    failed = [name for name, passed in gates(report).items() if not passed]
    assert failed == ["control_min_accuracy"]  # yes_bias_max and the pairs' gates pass
    assert (report["controls"]["yes_bias"], report["controls"]["accuracy"]) == (0.0, 0.0)
    assert "FAIL  veto_gate[control_min_accuracy]: control accuracy = 0.00% (required >= " in out
    assert "yes_bias 0.0%, accuracy 0.0%" in out


def test_an_evidence_reader_passes_with_controls_under_xdist(tmp_path: Path) -> None:
    ret, out, report = run(
        tmp_path, "--model=reference/evidence-reader", "--veto-controls", "-n", "2"
    )
    assert ret == 0, out
    assert report is not None
    assert gates(report)["yes_bias_max"] is True
    assert gates(report)["control_max_error_rate"] is True
    assert gates(report)["control_min_accuracy"] is True
    controls = report["controls"]
    assert (controls["ran"], controls["answers"]["no"], controls["yes_bias"]) == (64, 64, 0.0)
    assert len({r["pair_id"] for r in controls["rows"]}) == 64
    assert gates(report)["degenerate_run"] is True
    assert report["accounting"]["collected"] == 128 == report["accounting"]["reported"]
    assert "controls (expected no): 64 of 64 asked" in out
    # the report command trusts it: its control numbers follow from its rows
    checked = subprocess.run(
        [sys.executable, "-m", "pytest_veto", "report", str(tmp_path / "report.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_lower_limit_is_applied(tmp_path: Path) -> None:
    # a coin says yes to about half: it fails a 20% limit
    ret, out, report = run(
        tmp_path, "--model=reference/coin", "--veto-controls", "--veto-yes-bias-max=20"
    )
    assert ret == 1 and report is not None, out
    bias = report["controls"]["yes_bias"]
    assert 20 < bias < 80 and gates(report)["yes_bias_max"] is False


def test_yes_bias_max_without_controls_is_a_usage_error(tmp_path: Path) -> None:
    ret, out, _ = run(tmp_path, "--model=reference/evidence-reader", "--veto-yes-bias-max=10")
    assert ret == 4, out
    assert "--veto-yes-bias-max needs --veto-controls" in out
    ret, out, _ = run(
        tmp_path, "--model=reference/evidence-reader", "--veto-control-min-accuracy=90"
    )
    assert ret == 4, out
    assert "--veto-control-min-accuracy needs --veto-controls" in out


def test_data_without_controls_fails_closed(tmp_path: Path) -> None:
    """The official release has no control field: asking for controls on it cannot pass."""
    plain = tmp_path / "plain.jsonl"
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    for r in records:
        del r["control"]
    plain.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    ret, out, report = run(
        tmp_path, "--model=reference/evidence-reader", "--veto-controls", f"--veto-data={plain}"
    )
    assert ret == 1, out
    assert report is not None and gates(report)["yes_bias_max"] is False
    assert "no control question ran (the data set has none" in out


@pytest.mark.parametrize("selection", [["-k", "age_"]])
def test_a_subset_of_controls_fails_unless_allowed(tmp_path: Path, selection: list[str]) -> None:
    args = ["--model=reference/evidence-reader", "--veto-controls", *selection]
    ret, out, report = run(tmp_path, *args)
    assert ret == 1 and report is not None, out
    assert gates(report)["all_controls_selected"] is False
    ret, out, report = run(tmp_path, *args, "--veto-allow-subset")
    assert ret == 0 and report is not None, out
    assert report["controls"]["selected"] == 8
