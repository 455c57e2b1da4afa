"""What the user asked for is checked before anything runs: a request that cannot mean what
it says is a usage error (pytest exit 4, one line saying what to do), never a green run.

Each test here is a command line that ran (and often passed) before it was checked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_gate import SAMPLE, TIMEOUT, UNRELATED_PLUGINS, VETO_TESTS

PAIRS = str(VETO_TESTS / "test_pairs.py")


def run(pytester: pytest.Pytester, *args: str, ini: str = "") -> pytest.RunResult:
    """``pytest`` in a subprocess, configured by an ini file holding ``ini`` (named with
    ``-c``: the suite's own folder would otherwise find the repository's pyproject)."""
    inifile = pytester.makeini("[pytest]\n" + ini)
    return pytester.runpytest_subprocess(
        "-c",
        str(inifile),
        f"--rootdir={pytester.path}",
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        *args,
        timeout=TIMEOUT,
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


# --- 1. priming gates name requested variants -----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--veto-priming=trigger", "--veto-primed-mar-max=triger=5"],
            "--veto-primed-mar-max: 'triger' is not a requested variant "
            "(--veto-priming=trigger), so its gate would never be checked; add it to "
            "--veto-priming or fix its name",
        ),
        (
            ["--veto-primed-mar-max=trigger=5"],
            "--veto-primed-mar-max needs --veto-priming NAMES (e.g. --veto-priming=trigger): "
            "with no primed variant the gate checks nothing",
        ),
        (
            ["--veto-amplification-max=2"],
            "--veto-amplification-max needs --veto-priming NAMES (e.g. "
            "--veto-priming=trigger): with no primed variant the gate checks nothing",
        ),
        (
            ["--veto-priming=triger"],
            "--veto-priming: unknown variant 'triger'; available: bias-warning, "
            "safety-system, trigger",
        ),
    ],
    ids=["misspelt", "no-priming", "amplification-no-priming", "unknown-variant"],
)
def test_a_priming_request_that_checks_nothing_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    """These exited 0 (the gate was never built), or, for an unknown variant, 2 with a
    collection error after the controller had started."""
    result = run(pytester, PAIRS, "--model=reference/misfire:0.1", *args)
    assert_usage_error(result, message)


def test_a_misspelt_variant_in_the_ini_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        PAIRS,
        "--model=reference/misfire:0.1",
        "--veto-priming=trigger",
        ini="veto_primed_mar_max = triger=5\n",
    )
    assert_usage_error(
        result,
        "--veto-primed-mar-max: 'triger' is not a requested variant (--veto-priming=trigger), "
        "so its gate would never be checked; add it to --veto-priming or fix its name",
    )


# --- 2. a gate, report or data option needs a model ---------------------------------------

WITH_A_MODEL = "(e.g. --model=reference/evidence-reader or --model=openai/gpt-4o-mini)"


def test_a_gate_without_a_model_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """``pytest --pyargs pytest_veto.suite --mar-max=5 --veto-report=r.json`` skipped
    everything, wrote no report and exited 0."""
    result = run(pytester, str(VETO_TESTS), "--mar-max=5", "--veto-report=r.json")
    assert_usage_error(
        result,
        f"--veto-report, --mar-max need --model NAME {WITH_A_MODEL}: a gate without a model "
        "would pass on nothing",
    )
    assert not (pytester.path / "r.json").exists()


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        ([], "veto_mar_max = 5\n", f"veto_mar_max (ini) needs --model NAME {WITH_A_MODEL}: "),
        (["--veto-data=p.jsonl"], "", f"--veto-data needs --model NAME {WITH_A_MODEL}: "),
        (["--misalign-min-score=0.9"], "", "--misalign-min-score needs --model NAME "),
    ],
    ids=["ini", "data", "misalign"],
)
def test_any_option_of_ours_without_a_model_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    result = run(pytester, str(VETO_TESTS), *args, ini=ini)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output(result)
    assert any(line.startswith(f"ERROR: {message}") for line in result.stderr.lines), output(result)


def test_without_any_option_the_model_suites_are_skipped(pytester: pytest.Pytester) -> None:
    result = run(pytester, str(VETO_TESTS), "-q")
    assert result.ret == 0, output(result)
    result.stdout.fnmatch_lines(["*127 skipped*"])  # 64 pairs, 60 Mis-Align items, 3 lens checks


# --- 3. a subset is not the benchmark -------------------------------------------------------

SUBSET = ("-k", "age_s3_p0 or age_s4_p0 or age_s5_p0")


def test_a_keyword_subset_fails_the_gate(pytester: pytest.Pytester) -> None:
    """Three clean pairs of a model that misfires on 48% of the sample exited 0."""
    result = run(
        pytester,
        PAIRS,
        *SUBSET,
        "--model=reference/misfire:0.48",
        "--mar-max=5",
        "--veto-report=report.json",
    )
    assert result.ret == 1, output(result)
    report = report_of(pytester)
    gates = {g["name"]: g for g in report["gates"]}
    assert gates["mar_max"]["passed"]  # the subset alone would pass
    subset = gates["all_pairs_selected"]
    assert not subset["passed"] and subset["value"] == 61
    assert "3 of the data set's 64 pair cases selected" in subset["message"]
    assert report["accounting"]["dataset_cases"] == 64
    assert report["accounting"]["selected_cases"] == 3
    assert not report["passed"]


@pytest.mark.parametrize(
    ("allow", "ini"),
    [(["--veto-allow-subset"], ""), ([], "veto_allow_subset = true\n")],
    ids=["option", "ini"],
)
def test_a_subset_said_to_be_intended_passes(
    pytester: pytest.Pytester, allow: list[str], ini: str
) -> None:
    result = run(
        pytester,
        PAIRS,
        *SUBSET,
        "--model=reference/misfire:0.48",
        "--mar-max=5",
        "--veto-report=report.json",
        *allow,
        ini=ini,
    )
    assert result.ret == 0, output(result)
    gates = {g["name"]: g for g in report_of(pytester)["gates"]}
    assert gates["all_pairs_selected"]["passed"]
    assert "a subset, allowed by --veto-allow-subset" in gates["all_pairs_selected"]["message"]


def test_a_category_marker_selects_a_subset(pytester: pytest.Pytester) -> None:
    result = run(
        pytester, PAIRS, "-m", "age", "--model=reference/evidence-reader", "--veto-report=r.json"
    )
    assert result.ret == 1, output(result)
    result.stdout.fnmatch_lines(["FAIL  veto_gate?all_pairs_selected?: *8 of the data set's 64*"])


def test_a_primed_subset_counts_every_variant(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        PAIRS,
        "--model=reference/evidence-reader",
        "--veto-priming=trigger",
        "-k",
        "not trigger",
        "--veto-report=report.json",
    )
    assert result.ret == 1, output(result)
    accounting = report_of(pytester)["accounting"]
    assert (accounting["dataset_cases"], accounting["selected_cases"]) == (128, 64)


def test_selecting_the_veto_suite_away_is_not_a_subset(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        str(VETO_TESTS),
        "-m",
        "misalign",
        "--model=reference/evidence-reader",
        "--veto-report=report.json",
    )
    assert result.ret == 0, output(result)
    report = report_of(pytester)
    assert not {"all_pairs_selected", "min_pairs"} & {g["name"] for g in report["gates"]}
    assert report["accounting"]["selected_cases"] == 0


# --- 4. an output never overwrites an input --------------------------------------------------


def test_a_report_over_the_pair_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    data = write_pairs(pytester.path, sample_records(3))
    before = data.read_bytes()
    result = run(
        pytester,
        PAIRS,
        "--model=reference/evidence-reader",
        f"--veto-data={data}",
        "--veto-report=./sub/../pairs.jsonl",
    )
    assert_usage_error(
        result,
        f"--veto-report=sub/../pairs.jsonl is also --veto-data={data}: writing it would "
        "overwrite the input; write it to another file",
    )
    assert data.read_bytes() == before


def test_a_report_over_the_junit_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        PAIRS,
        "--model=reference/evidence-reader",
        "--veto-report=out.xml",
        "--junitxml=out.xml",
    )
    assert_usage_error(
        result,
        "--junitxml=out.xml is also --veto-report=out.xml: one would overwrite the other; "
        "give each its own file",
    )


def test_the_report_command_does_not_overwrite_its_input(pytester: pytest.Pytester) -> None:
    run(pytester, PAIRS, "--model=reference/evidence-reader", "--veto-report=report.json")
    report = pytester.path / "report.json"
    before = report.read_bytes()
    result = pytester.run(
        sys.executable, "-m", "pytest_veto", "report", "report.json", "--html", "report.json"
    )
    assert result.ret == 2, output(result)
    assert result.stderr.lines == [
        "--html report.json is also the report report.json: writing it would overwrite the "
        "input; write it to another file"
    ]
    assert report.read_bytes() == before


# --- 5. the model is checked before anything runs --------------------------------------------


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            "reference/bogus",
            "--model 'reference/bogus': unknown reference model 'bogus' in 'reference/bogus'; "
            "choose one of evidence-reader, misfire, bias, refuser, coin, error, planted, "
            "yes, dodger",
        ),
        ("reference/misfire:2", "--model 'reference/misfire:2': rate 2.0 must be within [0, 1]"),
        (
            "reference/misfire",
            "--model 'reference/misfire': reference/misfire needs a rate, e.g. misfire:0.1",
        ),
        ("", "--model '': names no model; pass one, e.g. --model=reference/evidence-reader"),
    ],
    ids=["unknown", "rate-out-of-range", "no-rate", "empty"],
)
def test_an_invalid_model_is_one_usage_error(
    pytester: pytest.Pytester, model: str, message: str
) -> None:
    """Each failed every test with a traceback of its own (64 errors, exit 1)."""
    result = run(pytester, PAIRS, f"--model={model}", "-n", "2")
    assert_usage_error(result, message)


@pytest.mark.parametrize(
    ("model", "reason"),
    [("hosted_vllm/my-model", "openai/ models only"), ("openai/o3-mini", "reasoning model")],
)
def test_forcing_the_openai_client_where_it_would_not_send_litellms_request_is_a_usage_error(
    pytester: pytest.Pytester, model: str, reason: str
) -> None:
    """The direct client would send another provider's model the OpenAI key and an
    unconverted request: stopped before any request, with the reason."""
    result = run(
        pytester,
        PAIRS,
        f"--model={model}",
        "--api-base=http://127.0.0.1:9/v1",
        "--veto-api-client=openai",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output(result)[-2000:]
    assert "--veto-api-client=openai" in output(result) and reason in output(result)
