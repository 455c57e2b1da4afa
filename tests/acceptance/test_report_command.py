"""End-to-end: ``pytest-veto report`` on reports written by real runs of the model suite.

Two reference models whose MARs differ by a known amount run the sample; the expected
numbers come from the reference models' documented rule (``uniform(seed, pair_id) < P``),
recomputed here, never from the plugin's aggregation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.backends.reference import uniform
from pytest_veto.plugin import SUITE_DIR

ROOT = Path(__file__).resolve().parents[2]
VETO_TESTS = SUITE_DIR / "test_pairs.py"  # the VETO suite only
SAMPLE = ROOT / "fixtures" / "veto_sample.jsonl"
TIMEOUT = 300
IDS = [
    json.loads(line)["id"]
    for line in SAMPLE.read_text(encoding="utf-8").splitlines()
    if line.strip()
]
CATEGORY = {
    json.loads(line)["id"]: json.loads(line)["category"]
    for line in SAMPLE.read_text(encoding="utf-8").splitlines()
    if line.strip()
}
LOW, HIGH = 0.05, 0.3
#: name -> suite options; "gated" is the HIGH model failing a MAR gate
RUNS = {
    "old": (f"--model=reference/misfire:{LOW}", "--mar-max=10"),
    "new": (f"--model=reference/misfire:{HIGH}",),
    "gated": (f"--model=reference/misfire:{HIGH}", "--mar-max=10"),
}


def selected(rate: float) -> set[str]:
    return {pid for pid in IDS if uniform(0, pid) < rate}


def env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_ADDOPTS", "PYTEST_XDIST_AUTO_NUM_WORKERS")
    }


def run_suite(folder: Path, options: tuple[str, ...]) -> Path:
    folder.mkdir(parents=True)
    argv = [
        sys.executable,
        "-m",
        "pytest",
        str(VETO_TESTS),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",
        "-q",
        "--veto-report=report.json",
        *options,
    ]
    subprocess.run(
        argv, cwd=folder, env=env(), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    report = folder / "report.json"
    assert report.exists(), f"no report from {options}"
    return report


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("report-command")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            name: pool.submit(run_suite, base / name, options) for name, options in RUNS.items()
        }
        return {name: f.result() for name, f in futures.items()}


def command(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m pytest_veto report ...`` (the same command as ``pytest-veto``)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_veto", "report", *map(str, args)],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_the_two_models_differ_by_the_known_amount(reports: dict[str, Path]) -> None:
    old = json.loads(reports["old"].read_text(encoding="utf-8"))
    new = json.loads(reports["new"].read_text(encoding="utf-8"))
    low, high = selected(LOW), selected(HIGH)
    assert low < high and len(high) - len(low) >= 10  # nested, with room to regress
    assert old["metrics"]["base"]["overall"]["mar"] == pytest.approx(100 * len(low) / 64)
    assert new["metrics"]["base"]["overall"]["mar"] == pytest.approx(100 * len(high) / 64)
    assert old["passed"] and new["passed"]


def test_a_regression_fails_and_lists_the_newly_misfiring_pairs(
    reports: dict[str, Path], tmp_path: Path
) -> None:
    html, md = tmp_path / "o.html", tmp_path / "o.md"
    proc = command(
        reports["new"],
        "--baseline",
        reports["old"],
        "--max-regression",
        "5",
        "--html",
        html,
        "--markdown",
        md,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    newly = selected(HIGH) - selected(LOW)
    diff = 100 * len(newly) / 64
    assert (
        f"({diff:+.1f} points on 64 pairs; {len(newly)} newly misfiring, 0 no longer" in proc.stdout
    )
    assert "REGRESSED" in proc.stdout
    listed = {
        line.split()[0]
        for line in proc.stdout.splitlines()
        if line.startswith("    ") and "[base]" in line
    }
    assert listed == newly
    for pid in newly:
        assert f"{pid} [base] ({CATEGORY[pid]})" in proc.stdout
    page, text = html.read_text(encoding="utf-8"), md.read_text(encoding="utf-8")
    assert 'id="baseline"' in page and "REGRESSED" in page
    assert "## Baseline comparison" in text and "**REGRESSED**" in text
    for pid in newly:
        assert pid in page
        assert pid.replace("_", "\\_") in text


def test_an_improvement_passes(reports: dict[str, Path], tmp_path: Path) -> None:
    proc = command(
        reports["old"],
        "--baseline",
        reports["new"],
        "--max-regression",
        "5",
        "--html",
        tmp_path / "o.html",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no regression" in proc.stdout and "newly misfiring pairs" not in proc.stdout


def test_a_rise_within_the_allowance_passes(reports: dict[str, Path], tmp_path: Path) -> None:
    allowance = 100 * len(selected(HIGH) - selected(LOW)) / 64 + 1
    proc = command(
        reports["new"],
        "--baseline",
        reports["old"],
        "--max-regression",
        f"{allowance:.2f}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_failed_gate_fails_the_command(reports: dict[str, Path], tmp_path: Path) -> None:
    proc = command(reports["gated"], cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gates FAILED (mar_max)" in proc.stdout


def test_reports_side_by_side(reports: dict[str, Path], tmp_path: Path) -> None:
    html, md = tmp_path / "both.html", tmp_path / "both.md"
    proc = command(reports["old"], reports["new"], "--html", html, "--markdown", md, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = md.read_text(encoding="utf-8")
    table = text.split("## Side by side", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| reference/")]
    assert [r.split(" | ")[0] for r in rows] == [
        f"| reference/misfire:{LOW}",
        f"| reference/misfire:{HIGH}",
    ]
    overall = f"{100 * len(selected(HIGH)) / 64:.1f}"
    assert f" | {overall} | 0.0 | " in rows[1]
    page = html.read_text(encoding="utf-8")
    assert 'id="side-by-side"' in page and 'id="run2-misfires"' in page


def test_invalid_and_missing_files_exit_2(reports: dict[str, Path], tmp_path: Path) -> None:
    data: dict[str, Any] = json.loads(reports["old"].read_text(encoding="utf-8"))
    data["metrics"]["base"]["overall"]["n"] = "many"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    proc = command(bad, cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{bad}: metrics.base.overall.n: 'many' is not of type 'integer'" in proc.stderr
    proc = command(reports["old"], "--baseline", tmp_path / "missing.json", cwd=tmp_path)
    assert proc.returncode == 2 and "missing.json: no such file" in proc.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1,\n  "passed": tru}', encoding="utf-8")
    proc = command(broken, cwd=tmp_path)
    assert proc.returncode == 2 and f"{broken}:2:" in proc.stderr
    assert not list(tmp_path.glob("*.html"))


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda r: r.update(passed=True), '"passed" is true but gate(s) failed: mar_max'),
        (lambda r: r.update(passed=True, gates=[]), '"passed" is true but the report has no gates'),
        (
            lambda r: [g.update(passed=True) for g in r["gates"] if g["name"] == "mar_max"],
            "gate mar_max: value",
        ),
        (
            lambda r: r["metrics"]["base"]["overall"].update(c=0, mar=0.0),
            "metrics.base.overall.c = 0, but the report's pairs give",
        ),
        (
            lambda r: r["metrics"]["base"]["overall"].update(mar_ci95=[90.0, 99.0]),
            "lies outside its own interval",
        ),
    ],
)
def test_an_edited_report_is_refused_not_trusted(
    reports: dict[str, Path], tmp_path: Path, edit: Any, said: str
) -> None:
    """A failing report edited to look green exits 2 (not 0): the verdict is recomputed
    from the gates and the metrics from the pairs."""
    data: dict[str, Any] = json.loads(reports["gated"].read_text(encoding="utf-8"))
    assert data["passed"] is False
    edit(data)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data), encoding="utf-8")
    proc = command(edited, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{edited}: inconsistent report: " in proc.stderr and said in proc.stderr
