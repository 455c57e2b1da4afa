"""What the user asked for is checked before anything runs: a request that cannot mean what
it says is a usage error (pytest exit 4, one line saying what to do), never a green run.

Each test here is a command line that ran (and often passed) before it was checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_gate import SAMPLE, TIMEOUT, UNRELATED_PLUGINS, VETO_TESTS

PAIRS = str(VETO_TESTS / "test_pairs.py")


def run(pytester: pytest.Pytester, *args: str, ini: str = "") -> pytest.RunResult:
    """``pytest`` in a subprocess, in a folder whose ini file holds ``ini``."""
    pytester.makeini("[pytest]\n" + ini)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", *UNRELATED_PLUGINS, *args, timeout=TIMEOUT
    )


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + result.stderr.str()


def assert_usage_error(result: pytest.RunResult, message: str) -> None:
    """Exit 4 with ``ERROR: <message>`` as one line, and nothing ran."""
    out = output(result)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out
    assert f"ERROR: {message}" in result.stderr.lines, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    assert "passed" not in out and "failed" not in out, out


def report_of(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / "report.json").read_text("utf-8"))
    return data


def sample_records(n: int) -> list[dict[str, Any]]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:n]
    return [json.loads(line) for line in lines]


def write_pairs(folder: Path, records: list[dict[str, Any]], name: str = "pairs.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# --- 6. case ids ---------------------------------------------------------------------------


def test_a_primed_case_and_a_pair_named_like_it_get_different_ids(
    pytester: pytest.Pytester,
) -> None:
    """Pair ``x`` under ``trigger`` and an unprimed pair ``x-trigger`` were both
    ``test_pair[x-trigger]`` (pytest then renamed them ``x-trigger0``, ``x-trigger1``)."""
    first, second = sample_records(2)
    second["id"] = first["id"] + "-trigger"
    data = write_pairs(pytester.path, [first, second])
    result = run(
        pytester,
        PAIRS,
        "--model=reference/evidence-reader",
        f"--veto-data={data}",
        "--veto-priming=trigger",
        "--veto-report=report.json",
        "-v",
    )
    out = output(result)
    assert result.ret == 0, out
    x = first["id"]
    for case in (x, f"{x}+trigger", f"{x}-trigger", f"{x}-trigger+trigger"):
        assert f"test_pair[{case}] PASSED" in out, out
    report = report_of(pytester)
    assert report["accounting"]["collected"] == 4
    assert sorted((p["pair_id"], p["variant"]) for p in report["pairs"]) == [
        (x, "base"),
        (x, "trigger"),
        (f"{x}-trigger", "base"),
        (f"{x}-trigger", "trigger"),
    ]
