"""Golden check of the JSON report: a fixed run on the sample, volatile fields normalised.

Regenerate with ``UPDATE_GOLDEN=1 python -m pytest tests/golden``, then review the diff:
the numbers are also checked here against the reference model's selection rule, so a
regenerated golden file cannot silently enshrine a wrong count.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.backends.reference import uniform
from pytest_veto.plugin import SUITE_DIR

ROOT = Path(__file__).resolve().parents[2]
VETO_TESTS = SUITE_DIR / "test_pairs.py"  # the VETO suite only
SAMPLE = ROOT / "fixtures" / "veto_sample.jsonl"
REPORT_SCHEMA = ROOT / "fixtures" / "schemas" / "veto_report.schema.json"
GOLDEN = Path(__file__).with_name("report_misfire025.json")
MODEL = "reference/misfire:0.25,seed=3"
RATE, SEED = 0.25, 3
OPTIONS = (f"--model={MODEL}", "--mar-max=25", "--br-max=5")


def normalise(report: dict[str, Any]) -> dict[str, Any]:
    """Replace what changes from run to run or machine to machine; round floats."""
    data: dict[str, Any] = json.loads(json.dumps(report))
    run = data["run"]
    for key in ("started", "finished"):
        run[key] = "<timestamp>"
    run["argv"] = "<argv>"
    run["versions"] = sorted(run["versions"])  # which versions are recorded, not their values
    if Path(run["dataset"]["path"]).resolve() == SAMPLE.resolve():
        run["dataset"]["path"] = "<sample>"
    for row in data["prompts"]:
        row["latency_s"] = "<latency>"
    for key in ("latency_mean_s", "latency_p95_s", "elapsed_s", "throughput_per_s"):
        data["requests"][key] = "<time>"  # the counts stay
    # bootstrap intervals depend on numpy's random stream, which numpy does not promise to
    # keep across releases: the golden keeps their presence, tests/unit check their values
    for variant in data["statistics"]["variants"].values():
        for block in [variant["overall"], *variant["by_category"].values()]:
            block["bootstrap"] = sorted(block["bootstrap"])
    rounded: dict[str, Any] = _round(data)
    return rounded


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("golden")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(VETO_TESTS),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:hypothesispytest",
            "-p",
            "no:benchmark",
            "-n",
            "0",
            "--veto-report=report.json",
            *OPTIONS,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout + proc.stderr
    path = folder / "report.json"
    assert path.exists(), out
    return proc.returncode, out, json.loads(path.read_text(encoding="utf-8"))


def test_report_matches_the_golden_file(run: tuple[int, str, dict[str, Any]]) -> None:
    got = normalise(run[2])
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert GOLDEN.exists(), f"{GOLDEN.name} missing: run with UPDATE_GOLDEN=1 to create it"
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    # compare section by section so a failure names what drifted
    assert got["run"]["dataset"] == expected["run"]["dataset"], (
        "the sample pairs changed: check the new numbers, then regenerate with UPDATE_GOLDEN=1"
    )
    assert list(got) == list(expected)
    for key in expected:
        assert got[key] == expected[key], f"report section {key!r} differs from {GOLDEN.name}"


def test_golden_numbers_follow_the_reference_rule(run: tuple[int, str, dict[str, Any]]) -> None:
    ret, out, report = run
    ids = [json.loads(line)["id"] for line in SAMPLE.read_text("utf-8").splitlines() if line]
    misfires = {pid for pid in ids if uniform(SEED, pid) < RATE}
    assert len(misfires) == 19  # the golden run's count, from the selection rule itself
    assert {p["pair_id"] for p in report["pairs"] if p["outcome"] == "c"} == misfires
    assert {p["outcome"] for p in report["pairs"] if p["pair_id"] not in misfires} == {"a"}
    overall = report["metrics"]["base"]["overall"]
    assert (overall["a"], overall["b"], overall["c"], overall["d"]) == (45, 0, 19, 0)
    assert overall["mar"] == pytest.approx(100 * 19 / 64)
    gates = {g["name"]: g for g in report["gates"]}
    assert gates["mar_max"]["passed"] is False and gates["br_max"]["passed"] is True
    # the reference model answers in JSON: 128 halves, every one of form json
    assert report["answer_forms"]["counts"] == {"json": 128, "word": 0, "ambiguous": 0, "none": 0}
    assert gates["non_json_max"]["passed"] and gates["degenerate_run"]["passed"]
    assert report["passed"] is False and ret == 1, out
    assert report["run"]["seed"] == 0  # the run's --veto-seed; the model's own seed is 3
    assert report["run"]["dataset"]["sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()


def test_golden_file_and_report_validate_against_the_schema(
    run: tuple[int, str, dict[str, Any]],
) -> None:
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(run[2])]
    assert not errors, errors
    # the golden file is the report with placeholders; restore the types and validate it too
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    golden["run"].update(
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:00:01+00:00",
        argv=[],
        versions={k: "0" for k in golden["run"]["versions"]},
    )
    for row in golden["prompts"]:
        row["latency_s"] = 0.0
    golden["requests"].update(dict.fromkeys(("latency_mean_s", "latency_p95_s"), None))
    golden["requests"].update(elapsed_s=1.0, throughput_per_s=128.0)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(golden)]
    assert not errors, errors


def test_normalise_removes_only_volatile_fields(run: tuple[int, str, dict[str, Any]]) -> None:
    report = run[2]
    changed = json.loads(json.dumps(report))
    changed["run"]["started"] = "1999-01-01T00:00:00+00:00"
    changed["run"]["argv"] = ["elsewhere"]
    changed["prompts"][0]["latency_s"] = 123.0
    assert normalise(changed) == normalise(report)
    changed["metrics"]["base"]["overall"]["c"] += 1
    assert normalise(changed) != normalise(report)
