"""Through the real plugin: a BBQ folder and a ``--veto-lens-from`` report are read by the
one reader of user JSON (located errors for deep or huge JSON, never a traceback), and the
lens gate ``--veto-lens-max-gap`` passes and fails on a tiny local model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_gate import TIMEOUT, UNRELATED_PLUGINS, VETO_TESTS
from tests.support.tiny_llama import build_tiny_llama

DEEP = "[" * 100_000
LONG = "9" * 5_001  # over Python's int-string conversion limit (4,300 digits)
MINI_BBQ = Path(__file__).resolve().parents[1] / "data" / "bbq_mini"
LENS = str(VETO_TESTS / "test_logit_lens.py")


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        f"--veto-cache-dir={pytester.path / 'cache'}",
        *args,
        timeout=TIMEOUT,
    )
    return result, result.stdout.str() + result.stderr.str()


def no_traceback(out: str) -> None:
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    assert "RecursionError" not in out, out


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (DEEP, ":2: <record>: nested too deeply: more than 100 levels"),
        ('{"example_id": ' + LONG + "}", ":2: <record>: integer too long: 5001 digits"),
    ],
    ids=["deep", "huge-int"],
)
def test_a_bbq_folder_with_deep_or_huge_json_is_a_located_collection_error(
    pytester: pytest.Pytester, row: str, message: str
) -> None:
    """A RecursionError traceback (deep) or an unlocated ValueError (huge)."""
    bbq = Path(shutil.copytree(MINI_BBQ, pytester.path / "bbq"))
    path = bbq / "Age.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = row
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, out = run(
        pytester,
        str(VETO_TESTS / "test_pairs.py"),
        "--model=reference/evidence-reader",
        f"--veto-data={bbq}",
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED, out
    assert f"{path}{message}" in out
    no_traceback(out)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "model", num_layers=4)


def earlier_report(folder: Path) -> Path:
    """Outcomes of an earlier run: three failure pairs (``c``) and three control (``a``)."""
    from pytest_veto.data.pairs import load_pairs
    from pytest_veto.data.resources import sample_pairs_path

    pairs = load_pairs(sample_pairs_path())[:6]
    rows = [
        {"pair_id": p.id, "category": p.category, "variant": "base", "outcome": o}
        for p, o in zip(pairs, "cacaca", strict=True)
    ]
    path = folder / "earlier.json"
    path.write_text(json.dumps({"pairs": rows}), encoding="utf-8")
    return path


def lens_run(
    pytester: pytest.Pytester, tiny: Path, lens_from: Path, *args: str
) -> tuple[pytest.RunResult, str, dict[str, Any]]:
    report = pytester.path / "r.json"
    report.unlink(missing_ok=True)
    result, out = run(
        pytester,
        LENS,
        "-m",
        "logit_lens and not head_ablation",
        "-k",
        "test_lens_gap_at_peak",
        f"--model=hf/{tiny}",
        f"--veto-lens-from={lens_from}",
        "--veto-lens-pairs-from=unprimed",  # the earlier report holds unprimed outcomes
        "--veto-lens-pairs=3",
        f"--veto-report={report}",
        "-rA",
        *args,
    )
    return result, out, (json.loads(report.read_text("utf-8")) if report.exists() else {})


def test_a_deep_lens_from_report_is_a_located_error(pytester: pytest.Pytester, tiny: Path) -> None:
    """The lens read it with json.loads: a RecursionError traceback per lens check."""
    deep = pytester.path / "deep.json"
    deep.write_text(DEEP, encoding="utf-8")
    result, out, _ = lens_run(pytester, tiny, deep)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    assert (
        f"--veto-lens-from {deep}: not a pytest-veto report (line 1: nested too deeply: "
        "more than 100 levels of lists and objects (column 101))"
    ) in out
    no_traceback(out)


def test_a_lens_from_report_with_a_byte_order_mark_is_read(
    pytester: pytest.Pytester, tiny: Path
) -> None:
    earlier = earlier_report(pytester.path)
    earlier.write_bytes(b"\xef\xbb\xbf" + earlier.read_bytes())
    result, out, report = lens_run(pytester, tiny, earlier)
    assert "not a pytest-veto report" not in out, out
    result.assert_outcomes(passed=1)  # no limit given: the gap is recorded, not gated
    assert report["lens"]["summary"]["n"] == {"failure": 3, "control": 3}, out
    assert report["lens"]["outcomes"] == {
        "source": str(earlier),
        "variant": "base",
        "pairs_from": "unprimed",
        "prompts": "base",
    }


def test_the_lens_gap_gate_passes_within_and_fails_over_its_limit(
    pytester: pytest.Pytester, tiny: Path
) -> None:
    """The gate had no acceptance test: the same model and pairs, two limits."""
    earlier = earlier_report(pytester.path)
    result, out, report = lens_run(pytester, tiny, earlier, "--veto-lens-max-gap=1000")
    summary = report["lens"]["summary"]
    layer = summary["peak"]["layer"]
    gap = summary["gap_by_layer"]["failure"][layer] - summary["gap_by_layer"]["control"][layer]
    assert result.ret == 0, out
    result.assert_outcomes(passed=1)
    result, out, report = lens_run(pytester, tiny, earlier, f"--veto-lens-max-gap={gap - 0.5}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    result.assert_outcomes(failed=1)
    assert (
        f"failure-minus-control gap {gap:+.2f} logits at layer {layer} of "
        f"{summary['n_layers']} exceeds --veto-lens-max-gap {gap - 0.5}"
    ) in out
    assert not report["passed"]
