"""The lens checks through the real plugin, on a tiny random Llama built here (CPU, fast):
they run only when selected and only on local models, and put a schema-valid ``lens``
section (with plots) into the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_veto.plugin import SUITE_DIR
from tests.support.tiny_llama import build_tiny_llama

VETO_TESTS = SUITE_DIR
NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
#: the runs naming a model that is not there check collection alone: no preflight to stop them
NO_PREFLIGHT = ("--veto-no-preflight",)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "model", num_layers=4)


def test_lens_and_ablation_on_a_local_model(pytester: pytest.Pytester, tiny: Path) -> None:
    """By default, as published: pairs from the trigger run (run here, though
    --veto-priming was not given), heads ranked per failure pair."""
    pytester.makeini("[pytest]\n")
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        *NO_PLUGINS,
        "-m",
        "logit_lens",  # the ablation check carries it too
        f"--model=hf/{tiny}",
        "--veto-scoring=logits",
        "--veto-lens-pairs=4",
        f"--veto-report={report}",
        f"--veto-cache-dir={pytester.path / 'cache'}",
        "-rA",
    )
    out = result.stdout.str()
    data = json.loads(report.read_text())
    lens = data["lens"]
    assert lens is not None, out
    assert lens["summary"]["n_layers"] == 4
    assert lens["outcomes"] == {
        "source": "this run",
        "variant": "trigger",
        "pairs_from": "trigger",
        "prompts": "trigger",
    }
    roles = {p["role"] for p in lens["pairs"]}
    assert roles <= {"failure", "control"} and lens["pairs"]
    for p in lens["pairs"]:
        assert len(p["ld_by_layer"]["stereotyped"]) == 4
    # the outcomes were computed here, with progress lines (the last one always shown)
    assert "pytest-veto lens: behavioural outcomes (trigger), pairs: " in out, out
    # the terminal summary shows the lens findings, not an empty VETO table
    assert f"logit lens: {lens['summary']['n']['failure']} failure + " in out, out
    assert "hand-off rate: " in out and "category" not in out, out
    if "failure" in roles:  # random weights: the ablation needs failure pairs to run
        ablation = lens["ablation"]
        assert ablation is not None and ablation["recovery"]["points"]
        assert ablation["ranking"] == "per-pair"
        failures = {p["pair_id"] for p in lens["pairs"] if p["role"] == "failure"}
        assert set(ablation["ranking_pairs"]) == failures  # every one, in-sample
        assert {r["pair_id"] for r in ablation["recovery"]["pairs"]} == failures
        assert "pytest-veto head sweep of " in out, out
    for path in lens.get("plots", []):
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the lens checks are not pair cases: accounting still matches, and a lens-only run
    # is gated by its checks, not failed for having no pairs
    assert data["accounting"]["missing"] == []
    assert "min_pairs" not in {g["name"] for g in data["gates"]}
    assert result.ret == (0 if data["passed"] else 1)


def test_no_failure_pairs_still_reports_the_lens(pytester: pytest.Pytester, tiny: Path) -> None:
    """Outcomes (from an earlier report) with control pairs only: the ablation check
    skips with the reason, and the lens section still reaches the report and the gate."""
    from pytest_veto.data.pairs import load_pairs
    from pytest_veto.data.resources import fixtures_dir

    pytester.makeini("[pytest]\n")
    pairs = load_pairs(fixtures_dir() / "veto_sample.jsonl")[:6]
    earlier = pytester.path / "earlier.json"
    earlier.write_text(
        json.dumps(
            {
                "pairs": [
                    {"pair_id": p.id, "category": p.category, "variant": v, "outcome": "a"}
                    for p in pairs
                    for v in ("base", "trigger")
                ]
            }
        )
    )
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS / "test_logit_lens.py"),
        *NO_PLUGINS,
        "-m",
        "head_ablation",
        f"--model=hf/{tiny}",
        f"--veto-lens-from={earlier}",
        "--veto-lens-pairs=3",
        f"--veto-report={report}",
        f"--veto-cache-dir={pytester.path / 'cache'}",
        "-rs",
    )
    result.stdout.fnmatch_lines(["*no failure pairs among this model's outcomes*"])
    data = json.loads(report.read_text())
    assert data["lens"]["summary"]["n"] == {"failure": 0, "control": 3}
    assert data["lens"]["outcomes"]["source"] == str(earlier)
    assert data["lens"]["outcomes"]["variant"] == "trigger"
    assert data["lens"]["ablation"] is None
    assert "min_pairs" not in {g["name"] for g in data["gates"]}  # gated as a lens run
    assert result.ret == 0, result.stdout.str()


def test_an_earlier_report_without_trigger_outcomes_is_not_read_as_primed(
    pytester: pytest.Pytester, tiny: Path
) -> None:
    from pytest_veto.data.pairs import load_pairs
    from pytest_veto.data.resources import fixtures_dir

    pytester.makeini("[pytest]\n")
    pairs = load_pairs(fixtures_dir() / "veto_sample.jsonl")[:4]
    earlier = pytester.path / "earlier.json"
    rows = [
        {"pair_id": p.id, "category": p.category, "variant": "base", "outcome": "c"} for p in pairs
    ]
    earlier.write_text(json.dumps({"pairs": rows}))
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS / "test_logit_lens.py"),
        *NO_PLUGINS,
        "-m",
        "logit_lens and not head_ablation",
        f"--model=hf/{tiny}",
        f"--veto-lens-from={earlier}",
        f"--veto-cache-dir={pytester.path / 'cache'}",
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*the report has no 'trigger' outcomes (variants: base); run it with "
            "--veto-priming trigger, or pass --veto-lens-pairs-from=unprimed*"
        ]
    )


def test_lens_checks_under_xdist(pytester: pytest.Pytester, tiny: Path) -> None:
    """Under -n 2 the lens section still reaches the controller's report (whichever
    worker ran the checks), and every case is accounted for; here with the unprimed
    run's pairs and the pooled ranking."""
    pytester.makeini("[pytest]\n")
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS / "test_logit_lens.py"),
        *NO_PLUGINS,
        "-n",
        "2",
        "-m",
        "logit_lens",
        f"--model=hf/{tiny}",
        "--veto-scoring=logits",
        "--veto-lens-pairs=4",
        "--veto-lens-pairs-from=unprimed",
        "--veto-lens-ranking=pooled",
        "--veto-ablation-pairs=2",
        f"--veto-report={report}",
        f"--veto-cache-dir={pytester.path / 'cache'}",
        "-rA",
    )
    out = result.stdout.str()
    data = json.loads(report.read_text())
    assert data["lens"] is not None and data["lens"]["summary"]["n_layers"] == 4, out
    assert data["lens"]["outcomes"]["variant"] == "base"
    assert data["lens"]["outcomes"]["pairs_from"] == "unprimed"
    if data["lens"]["ablation"] is not None:
        assert data["lens"]["ablation"]["ranking"] == "pooled"
    assert data["accounting"]["missing"] == []
    assert "logit lens: " in out  # the controller prints the findings it received
    assert result.ret == (0 if data["passed"] else 1)


def test_lens_checks_are_skipped_for_other_backends_and_unless_selected(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS / "test_logit_lens.py"),
        *NO_PLUGINS,
        "-m",
        "logit_lens",
        "--model=reference/coin",
        "-rs",
    )
    result.stdout.fnmatch_lines(
        [
            "*logit_lens checks need a local transformers model*",
            "*head_ablation checks need a local*",
        ]
    )
    # a local model but no -m: skipped as heavy (at collection: nothing is loaded)
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS / "test_logit_lens.py"),
        *NO_PLUGINS,
        "--model=hf/not/loaded",
        "-rs",
        *NO_PREFLIGHT,
    )
    result.stdout.fnmatch_lines(
        ["*heavy: run with -m logit_lens*", "*heavy: run with -m head_ablation*"]
    )
    # an expression that names a lens marker only to exclude it selects no lens check
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS / "test_logit_lens.py"),
        *NO_PLUGINS,
        "--model=hf/not/loaded",
        *NO_PREFLIGHT,
        "-m",
        "not head_ablation",
        "-rs",
    )
    result.stdout.fnmatch_lines(["*heavy: run with -m logit_lens*"])
    result.assert_outcomes(skipped=2, deselected=1)  # the model was never loaded
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # nothing measured: min_pairs fails


def test_the_light_lens_selection_leaves_the_head_ablation_out(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS / "test_logit_lens.py"),
        *NO_PLUGINS,
        "--model=hf/not/loaded",
        *NO_PREFLIGHT,
        "-m",
        "logit_lens and not head_ablation",
        "--collect-only",
        "-q",
    )
    out = result.stdout.str()
    assert "test_lens_gap_at_peak" in out and "test_no_late_layer_suppression" in out
    assert "test_head_ablation_recovery" not in out
