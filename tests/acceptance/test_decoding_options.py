"""The decoding and text options through the real plugin: what the report records, and
the requests that cannot mean what they say (usage errors before anything runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.test_usage_errors import PAIRS, assert_usage_error, output, report_of, run

MINI_BBQ = Path(__file__).resolve().parents[1] / "data" / "bbq_mini"
MODEL = "--model=reference/evidence-reader"


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_report_records_the_effective_decoding(pytester: pytest.Pytester, workers: str) -> None:
    result = run(
        pytester,
        PAIRS,
        MODEL,
        "-n",
        workers,
        "--veto-report=report.json",
        "--veto-max-new-tokens=64",
    )
    assert result.ret == 0, output(result)
    decoding = report_of(pytester)["run"]["decoding"]
    assert decoding["max_new_tokens"] == 64
    assert decoding["budget_from"] == "--veto-max-new-tokens"
    assert decoding["parse_rule"] == "first-json-answer"
    assert report_of(pytester)["run"]["dataset"]["text"] is None  # read from a file


def test_the_budget_from_the_ini_file(pytester: pytest.Pytester) -> None:
    result = run(
        pytester, PAIRS, MODEL, "--veto-report=report.json", ini="veto_max_new_tokens = 48\n"
    )
    assert result.ret == 0, output(result)
    assert report_of(pytester)["run"]["decoding"]["max_new_tokens"] == 48


@pytest.mark.parametrize("mode", ["release", "corrected"])
def test_the_text_mode_of_a_bbq_folder_is_built_and_recorded(
    pytester: pytest.Pytester, mode: str
) -> None:
    result = run(
        pytester,
        PAIRS,
        MODEL,
        f"--veto-data={MINI_BBQ}",
        f"--veto-text={mode}",
        f"--veto-cache-dir={pytester.path / 'cache'}",
        "--veto-report=report.json",
    )
    assert result.ret == 0, output(result)
    run_section = report_of(pytester)["run"]
    assert run_section["dataset"]["text"] == mode
    assert f"veto-{mode}-" in run_section["dataset"]["path"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--veto-text=corrected",),
            "--veto-text=corrected: the embedded sample is not a BBQ folder, so no text is "
            "built; build the pairs with --veto-data=<BBQ folder> (or pytest-veto build-pairs "
            "--text)",
        ),
        (
            ("--veto-max-new-tokens=0",),
            "--veto-max-new-tokens=0: must be at least 1",
        ),
        (
            ("--veto-extra-body={not json",),
            "--veto-extra-body='{not json': not JSON (Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1))",
        ),
        (
            ("--veto-chat-template-kwargs=[1]",),
            "--veto-chat-template-kwargs='[1]': must be a JSON object {...}",
        ),
        (
            ('--veto-extra-body={"top_k": 1}',),
            "--veto-extra-body: reference/evidence-reader is not an API model, so no request "
            "body is sent; for a local model's chat template use --veto-chat-template-kwargs",
        ),
        (
            ('--veto-chat-template-kwargs={"enable_thinking": false}',),
            "--veto-chat-template-kwargs: reference/evidence-reader is a reference model, "
            "which has no chat template",
        ),
    ],
)
def test_options_that_cannot_mean_what_they_say(
    pytester: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    assert_usage_error(run(pytester, PAIRS, MODEL, *args), message)
