"""Gating with confidence and against a baseline, through the real suite."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_veto.backends.reference import uniform
from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.plugin import SUITE_DIR
from pytest_veto.score.metrics import Table, compute
from pytest_veto.score.stats import wilson_interval

VETO_TESTS = SUITE_DIR / "test_pairs.py"  # VETO only
NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
IDS = [p.id for p in load_pairs(sample_pairs_path())]


def misfires(rate: float) -> set[str]:
    return {i for i in IDS if uniform(0, i) < rate}


def run(pytester: pytest.Pytester, name: str, *args: str) -> tuple[int, dict[str, Any], str]:
    pytester.makeini("[pytest]\n")
    report = pytester.path / f"{name}.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS), *NO_PLUGINS, f"--veto-report={report}", *args
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return result.ret, data, result.stdout.str()


def test_upper_bound_gating_needs_confidence(pytester: pytest.Pytester) -> None:
    c = len(misfires(0.1))
    _, high = wilson_interval(c, len(IDS))  # type: ignore[misc]
    threshold = (100 * c / len(IDS) + high) / 2  # above the point, below the upper bound
    args = ("--model=reference/misfire:0.1", f"--mar-max={threshold}")
    ret_point, _, _ = run(pytester, "point", *args)
    ret_upper, report, out = run(pytester, "upper", *args, "--veto-gate-on=upper", "-n", "2")
    assert ret_point == 0 and ret_upper == 1
    gate = {g["name"]: g for g in report["gates"]}["mar_max"]
    assert gate["value"] == pytest.approx(high) and not gate["passed"]
    assert "MAR (upper 95% bound)" in out


def test_baseline_regression_of_a_known_size(pytester: pytest.Pytester) -> None:
    old_c, new_c = len(misfires(0.05)), len(misfires(0.3))
    ret, _, _ = run(pytester, "old", "--model=reference/misfire:0.05")
    assert ret == 0
    baseline = str(pytester.path / "old.json")
    ret, new, out = run(
        pytester,
        "new",
        "--model=reference/misfire:0.3",
        "-n",
        "2",
        f"--veto-baseline={baseline}",
        "--veto-max-regression=5",
    )
    assert ret == 1
    [base] = new["baseline"]["variants"]
    assert base["difference"] == pytest.approx(100 * (new_c - old_c) / len(IDS))
    assert base["newly_misfiring"] == new_c - old_c and base["regressed"]
    listed = {m["pair_id"] for m in new["baseline"]["new_misfires"]}
    assert listed == misfires(0.3) - misfires(0.05)
    assert "veto_gate[baseline_regression]" in out
    # the other way round MAR fell: no regression
    ret, _, _ = run(
        pytester,
        "back",
        "--model=reference/misfire:0.05",
        f"--veto-baseline={pytester.path / 'new.json'}",
    )
    assert ret == 0
    # a rise within the allowance passes
    ret, _, _ = run(
        pytester,
        "allowed",
        "--model=reference/misfire:0.3",
        f"--veto-baseline={baseline}",
        "--veto-max-regression=40",
    )
    assert ret == 0


def test_a_bad_baseline_is_a_usage_error_before_anything_runs(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "bad.json"
    bad.write_text('{"schema_version": 1}')
    ret, _, _ = run(pytester, "x", "--model=reference/evidence-reader", f"--veto-baseline={bad}")
    assert ret == pytest.ExitCode.USAGE_ERROR


def test_statistics_block_is_in_the_report(pytester: pytest.Pytester) -> None:
    ret, report, _ = run(pytester, "s", "--model=reference/misfire:0.2")
    assert ret == 0
    overall = report["statistics"]["variants"]["base"]["overall"]
    c = len(misfires(0.2))
    assert (overall["c"], overall["b"]) == (c, 0)
    assert overall["mcnemar_p"] == pytest.approx(0.5**c)
    low, high = overall["bootstrap"]["mar"]
    assert low <= 100 * c / len(IDS) <= high
    cats = report["statistics"]["variants"]["base"]["by_category"]
    assert set(cats) == {p.category for p in load_pairs(sample_pairs_path())}
    assert all(0 <= b["bh_adjusted_p"] <= 1 for b in cats.values())


def test_a_misspelt_gate_mode_in_the_ini_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS), *NO_PLUGINS, "-o", "veto_gate_on=uper", "--model=reference/evidence-reader"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*veto_gate_on = 'uper': use 'point' or 'upper'*"])


@pytest.mark.parametrize(
    "flag", ["--veto-lens-pairs=0", "--veto-ablation-pairs=-1", "--veto-ablation-verify-top=0"]
)
def test_lens_counts_below_one_are_usage_errors(pytester: pytest.Pytester, flag: str) -> None:
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS), *NO_PLUGINS, flag, "--model=reference/evidence-reader"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{flag}: must be at least 1*"])


def test_an_undefined_rise_over_the_baseline_fails(pytester: pytest.Pytester) -> None:
    """A baseline whose MAR is undefined (no pair with the contrast half right) gives no
    evidence that MAR did not rise: the gate fails instead of passing on a null."""
    ret, old, _ = run(pytester, "old", "--model=reference/evidence-reader")
    assert ret == 0
    for row in old["pairs"]:
        row["outcome"] = "d"  # both halves wrong everywhere: MAR = 0/0
    # the metrics follow (a baseline whose metrics contradict its pairs is refused)
    table = Table.of(["d"] * sum(r["variant"] == "base" for r in old["pairs"]))
    old["metrics"]["base"]["overall"] = compute(table).as_dict()
    baseline = pytester.path / "undefined.json"
    baseline.write_text(json.dumps(old))
    ret, new, out = run(
        pytester, "new", "--model=reference/evidence-reader", f"--veto-baseline={baseline}"
    )
    gate = {g["name"]: g for g in new["gates"]}["baseline_regression"]
    assert ret == 1 and not gate["passed"] and gate["value"] is None, out
    assert "undefined" in gate["message"]


def test_errors_of_a_primed_half_count_in_the_error_gate(pytester: pytest.Pytester) -> None:
    # base halves never fail, the primed stereotyped half fails for ~90% of the pairs
    ret, report, out = run(
        pytester, "primed-errors", "--model=reference/error:0,primed=0.9", "--veto-priming=trigger"
    )
    gate = {g["name"]: g for g in report["gates"]}["max_error_rate"]
    assert ret == 1 and not gate["passed"], out
    errored = sum(r["outcome"] == "error" for r in report["pairs"])
    assert errored > 0 and gate["value"] == pytest.approx(100 * errored / len(report["pairs"]))


def test_a_requested_primed_gate_fails_when_its_variant_did_not_run(
    pytester: pytest.Pytester,
) -> None:
    ret, report, _ = run(
        pytester,
        "deselected",
        "--model=reference/evidence-reader",
        "--veto-priming=trigger",
        "--veto-primed-mar-max=50",
        "-k",
        "not trigger",
    )
    gate = {g["name"]: g for g in report["gates"]}["primed_mar_max:trigger"]
    assert ret == 1 and not gate["passed"] and "no primed results" in gate["message"]


@pytest.mark.parametrize("flag", ["--veto-max-regression=nan", "--veto-amplification-max=-1"])
def test_thresholds_that_could_never_fail_are_usage_errors(
    pytester: pytest.Pytester, flag: str
) -> None:
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS), *NO_PLUGINS, flag, "--model=reference/evidence-reader"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*must be a finite number >= 0*"])


def test_a_baseline_that_is_not_text_is_a_usage_error(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "binary.json"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    ret, _, _ = run(pytester, "x", "--model=reference/evidence-reader", f"--veto-baseline={bad}")
    assert ret == pytest.ExitCode.USAGE_ERROR  # not an INTERNALERROR (exit 3)


def test_a_module_that_fails_to_collect_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    broken = pytester.makepyfile(test_broken="import a_module_that_does_not_exist_here\n")
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        str(broken),
        *NO_PLUGINS,
        "--continue-on-collection-errors",
        "--model=reference/evidence-reader",
    )
    result.stdout.fnmatch_lines(["*FAIL  1 other test(s) failed*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_broken_bbq_folder_is_a_located_collection_error(pytester: pytest.Pytester) -> None:
    folder = pytester.mkdir("bbq")
    (folder / "Age.jsonl").write_text('{"example_id": 1,\n', encoding="utf-8")
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS), *NO_PLUGINS, f"--veto-data={folder}", "--model=reference/evidence-reader"
    )
    out = result.stdout.str()
    assert "cannot load pairs" in out and "missing category file" in out, out
    assert "Traceback" not in out
    assert result.ret != pytest.ExitCode.OK


def test_a_base_model_that_is_not_local_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        *NO_PLUGINS,
        "--veto-base-model=openai/gpt-4o-mini",
        "--model=reference/evidence-reader",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--veto-base-model=openai/gpt-4o-mini: *(hf/<path>)*"])
