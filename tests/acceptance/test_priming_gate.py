"""Priming through the real suite: base and primed MAR, amplification and gates,
checked against a hand computation from the report, under -n 0 and -n 2."""

from __future__ import annotations

import json

import pytest

from pytest_veto.backends.reference import uniform
from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.plugin import SUITE_DIR

VETO_TESTS = SUITE_DIR / "test_pairs.py"  # VETO only
NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
IDS = [p.id for p in load_pairs(sample_pairs_path())]


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:  # type: ignore[type-arg]
    pytester.makeini("[pytest]\n")
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS), *NO_PLUGINS, f"--veto-report={report}", *args
    )
    return result, json.loads(report.read_text())


@pytest.mark.parametrize("workers", [["-n", "0"], ["-n", "2"]], ids=["n0", "n2"])
def test_primed_mar_and_amplification_match_a_hand_computation(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    result, report = run(
        pytester,
        "--model=reference/misfire:0.05,primed=0.3",
        "--veto-priming=trigger,safety-system",
        "--veto-amplification-max=3",
        *workers,
    )
    # by hand from the reference model's rule
    base_c = sum(uniform(0, i) < 0.05 for i in IDS)
    primed_c = sum(uniform(0, i) < 0.3 for i in IDS)
    assert 0 < base_c < primed_c
    # ... and from the report's own per-pair outcomes
    pairs = report["pairs"]
    assert len(pairs) == 3 * len(IDS)
    for variant in ("trigger", "safety-system"):
        rows = [p for p in pairs if p["variant"] == variant]
        denom = [p for p in rows if p["base_outcome"] in ("a", "c")]
        misfires = sum(p["outcome"] == "c" for p in denom)
        amp = report["amplification"][variant]
        assert (amp["base_denominator"], amp["base_misfires"], amp["primed_misfires"]) == (
            len(IDS),
            base_c,
            primed_c,
        )
        assert misfires == primed_c
        assert amp["primed_mar"] == pytest.approx(100 * primed_c / len(IDS))
        assert amp["amplification"] == pytest.approx(primed_c / base_c)
        assert amp["flips"] == primed_c - base_c
        assert amp["mcnemar_p"] == pytest.approx(0.5 ** (primed_c - base_c))
    assert report["amplification"]["safety-system"]["form"] == "both_halves"
    assert report["run"]["priming"] == ["trigger", "safety-system"]
    # the gate: amplification above 3x fails the run
    gates = {g["name"]: g for g in report["gates"]}
    assert primed_c / base_c > 3
    assert not gates["amplification_max:trigger"]["passed"]
    assert result.ret == 1
    # a flip is a failed primed test; a pair misfiring in both is not
    flips = {i for i in IDS if 0.05 <= uniform(0, i) < 0.3}
    result.stdout.fnmatch_lines([f"FAILED *test_pair[[]{min(flips)}+trigger[]]*"])
    first_both = min(i for i in IDS if uniform(0, i) < 0.05)
    assert f"test_pair[{first_both}+trigger]" not in result.stdout.str()


def test_primed_gate_passes_when_within_limits(pytester: pytest.Pytester) -> None:
    result, report = run(
        pytester,
        "--model=reference/misfire:0.05,primed=0.1",
        "--veto-priming=trigger",
        "--veto-amplification-max=3",
        "--veto-primed-mar-max=trigger=15",
    )
    assert result.ret == 0, result.stdout.str()
    names = [g["name"] for g in report["gates"]]
    assert "amplification_max:trigger" in names and "primed_mar_max:trigger" in names
    result.stdout.fnmatch_lines(["*variant*form*base MAR*primed*", "*trigger*stereotyped_only*"])


def test_bad_priming_file_is_a_located_usage_error(pytester: pytest.Pytester) -> None:
    """Checked when pytest is configured, before anything is collected or asked."""
    folder = pytester.mkdir("cues")
    bad = folder / "loud.json"
    bad.write_text(
        json.dumps(
            {
                "name": "loud",
                "description": "x",
                "position": "nowhere",
                "halves": "both",
                "template": "{trigger_sentence}",
            }
        )
    )
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        *NO_PLUGINS,
        "--model=reference/evidence-reader",
        "--veto-priming=loud",
        f"--veto-priming-dir={folder}",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {bad}: position: 'nowhere' is not one of*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
