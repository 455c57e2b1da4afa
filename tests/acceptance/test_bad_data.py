"""Bad data through the real entry points: a located error with the documented exit status,
never a traceback; odd but valid pairs run with a warning; a cut cached build is rebuilt.

pytest runs go through ``pytester.runpytest_subprocess`` on a copy of the model suite;
the ``pytest-veto`` command runs as ``python -m pytest_veto``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.test_gate import SAMPLE, TIMEOUT, UNRELATED_PLUGINS, VETO_TESTS

DEEP = "[" * 100_000
LONG = "1" * 5_001  # over Python's int-string conversion limit (4,300 digits)
MINI_BBQ = Path(__file__).resolve().parents[1] / "data" / "bbq_mini"
N = [pytest.param(0, id="n0"), pytest.param(2, id="n2")]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester folder holding a copy of the VETO suite."""
    pytester.makepyfile(test_pairs=(VETO_TESTS / "test_pairs.py").read_text(encoding="utf-8"))
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        "--model=reference/evidence-reader",
        f"--veto-cache-dir={pytester.path / 'cache'}",
        ".",  # the copy here, not the shipped suite the plugin collects without a path
        *args,
        timeout=TIMEOUT,
    )
    return result, result.stdout.str() + result.stderr.str()


def no_traceback(out: str) -> None:
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    assert "RecursionError" not in out and "raise " not in out, out


def command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_veto", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


# --- pair files at collection ------------------------------------------------------------


@pytest.mark.parametrize("n", N)
def test_a_deeply_nested_pair_file_is_a_located_collection_error(
    suite: pytest.Pytester, n: int
) -> None:
    path = suite.path / "deep.json"
    path.write_text(DEEP, encoding="utf-8")
    result, out = run(suite, "-n", str(n), f"--veto-data={path}")
    # the usual collection error (under xdist the failed gates set the status)
    expected = pytest.ExitCode.INTERRUPTED if n == 0 else pytest.ExitCode.TESTS_FAILED
    assert result.ret == expected, out
    assert "pytest-veto: cannot load pairs" in out
    assert f"{path}:1: <record>: nested too deeply: more than 100 levels" in out
    no_traceback(out)


def test_a_json_lines_line_with_a_huge_integer_is_located(suite: pytest.Pytester) -> None:
    path = suite.path / "long.jsonl"
    first = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(first + "\n" + '{"id": ' + LONG + "}\n", encoding="utf-8")
    result, out = run(suite, f"--veto-data={path}")
    assert result.ret == pytest.ExitCode.INTERRUPTED, out
    assert f"{path}:2: <record>: integer too long: 5001 digits" in out
    no_traceback(out)


def test_an_object_holding_the_pairs_says_what_was_meant(suite: pytest.Pytester) -> None:
    path = suite.path / "wrapped.json"
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:2]]
    path.write_text(json.dumps({"pairs": records}, indent=2), encoding="utf-8")
    result, out = run(suite, f"--veto-data={path}")
    assert result.ret == pytest.ExitCode.INTERRUPTED, out
    assert (
        f"{path}: <record>: a JSON object with key(s) 'pairs': expected a JSON list of pair "
        "records or JSON Lines (one record per line); did you mean the list under 'pairs'?"
    ) in out


@pytest.mark.parametrize("n", N)
def test_odd_but_valid_pairs_run_with_a_located_warning(suite: pytest.Pytester, n: int) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:3]
    record = json.loads(lines[1])
    record["correct_answer"] = "no"
    lines[1] = json.dumps(record)
    path = suite.path / "odd.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, out = run(suite, "-n", str(n), f"--veto-data={path}")
    assert result.ret == 0, out
    result.assert_outcomes(passed=3, warnings=1 if n == 0 else None)
    assert "PairDataWarning: 2 warning(s) in pair data" in out
    assert f"{path}:2: prompts.stereotyped.expected: 'yes' disagrees with correct_answer" in out


# --- reports: --veto-baseline and pytest-veto report ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEEP, ":1:101: nested too deeply: more than 100 levels of lists and objects"),
        ('{"schema_version":\n  ' + LONG + "}", ":2:3: integer too long: 5001 digits"),
    ],
    ids=["deep", "long-integer"],
)
def test_a_bad_baseline_is_a_usage_error(suite: pytest.Pytester, text: str, expected: str) -> None:
    path = suite.path / "old.json"
    path.write_text(text, encoding="utf-8")
    result, out = run(suite, f"--veto-baseline={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out
    assert f"--veto-baseline {path}{expected}" in out
    no_traceback(out)


def test_a_baseline_with_a_byte_order_mark_is_read(suite: pytest.Pytester) -> None:
    subset = ("-m", "age", "--veto-allow-subset")
    result, out = run(suite, *subset, "--veto-report=old.json")
    assert result.ret == 0, out
    old = suite.path / "old.json"
    old.write_bytes(b"\xef\xbb\xbf" + old.read_bytes())
    result, out = run(suite, *subset, f"--veto-baseline={old}", "--veto-report=new.json")
    assert result.ret == 0, out
    report = json.loads((suite.path / "new.json").read_text(encoding="utf-8"))
    assert report["baseline"]["regressed"] is False
    assert command("report", str(old)).returncode == 0


@pytest.mark.parametrize(
    ("args", "text", "expected"),
    [
        (("validate",), DEEP, ":1: <record>: nested too deeply"),
        (("validate",), "[" + LONG + "]", ":1: <record>: integer too long"),
        (("report",), DEEP, ":1:101: nested too deeply"),
        (("report",), "[" + LONG + "]", ":1:2: integer too long"),
    ],
    ids=["validate-deep", "validate-long", "report-deep", "report-long"],
)
def test_the_command_exits_2_with_the_located_reason(
    tmp_path: Path, args: tuple[str, ...], text: str, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    done = command(*args, str(path))
    assert done.returncode == 2, done.stderr
    assert f"{path}{expected}" in done.stderr
    no_traceback(done.stderr)


# --- the cached build of a BBQ folder -----------------------------------------------------


def test_a_truncated_cached_build_is_rebuilt_not_run_short(suite: pytest.Pytester) -> None:
    result, out = run(suite, f"--veto-data={MINI_BBQ}")
    assert result.ret == 0, out
    result.assert_outcomes(passed=7)
    [built] = (suite.path / "cache" / "pairs").glob("veto-*.jsonl")
    built.write_text(built.read_text(encoding="utf-8").splitlines(keepends=True)[0])
    result, out = run(suite, f"--veto-data={MINI_BBQ}")
    assert result.ret == 0, out
    result.assert_outcomes(passed=7, warnings=1)
    assert f"{built}: the cached pairs (1 line(s)) are not what was built (7 pairs" in out
    assert "truncated or edited; rebuilt from" in out
