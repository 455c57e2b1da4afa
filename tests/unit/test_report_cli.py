"""``pytest-veto report`` in-process: input errors, exit statuses, the summary."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.cli import main
from pytest_veto.report.command import ReportOptions, load_report, run_report
from tests.support.reports import make_report, outcomes


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(options: ReportOptions) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_report(options, out, err)
    return status, out.getvalue(), err.getvalue()


def test_a_passing_report_exits_0_and_summarises(tmp_path: Path) -> None:
    path = write(tmp_path / "r.json", make_report(outcomes(18, 1, 2, 0), model="m1"))
    status, out, err = run(ReportOptions(runs=(path,), resamples=200))
    assert status == 0, err
    assert out.startswith("run 1: m1: 21 pairs, MAR 10.0% [")
    assert "BR 5.3%; gates PASSED" in out


def test_a_failed_report_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path / "r.json", make_report(outcomes(5, 0, 5, 0), passed=False))
    assert run(ReportOptions(runs=(path,), resamples=200))[0] == 1


def test_reports_without_common_pairs_exit_2(tmp_path: Path) -> None:
    one = write(tmp_path / "one.json", make_report(outcomes(3, prefix="age_s")))
    two = write(tmp_path / "two.json", make_report(outcomes(3, prefix="ses_s")))
    status, out, err = run(ReportOptions(runs=(one,), baseline=two))
    assert status == 2 and out == ""
    assert f"{one} vs {two}: the reports have no pair (pair_id, variant) in common" in err


def test_every_bad_file_is_reported_at_once(tmp_path: Path) -> None:
    nan = tmp_path / "nan.json"
    nan.write_text('{"schema_version": NaN}', encoding="utf-8")
    listy = write(tmp_path / "list.json", [1, 2])
    status, _, err = run(ReportOptions(runs=(nan, listy, tmp_path / "gone.json")))
    assert status == 2
    assert f"{nan}: invalid JSON: NaN is not valid JSON" in err
    assert f"{listy}: <report>: [1, 2] is not of type 'object'" in err
    assert f"{tmp_path / 'gone.json'}: no such file" in err


def test_load_report_returns_the_data(tmp_path: Path) -> None:
    report = make_report(outcomes(2, 0, 1, 0))
    assert load_report(write(tmp_path / "r.json", report)) == report


def test_outputs_are_written(tmp_path: Path) -> None:
    path = write(tmp_path / "r.json", make_report(outcomes(3, 0, 1, 0)))
    status = main(
        [
            "report",
            str(path),
            "--html",
            str(tmp_path / "out" / "r.html"),
            "--markdown",
            str(tmp_path / "out" / "r.md"),
        ]
    )
    assert status == 0
    assert (tmp_path / "out" / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (tmp_path / "out" / "r.md").read_text(encoding="utf-8").startswith("# VETO report")


@pytest.mark.parametrize(
    "args", [["--max-regression", "-1"], ["--alpha", "1.5"], ["--max-regression", "nan"]]
)
def test_bad_options_are_usage_errors(args: list[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "r.json", *args])
    assert exc.value.code == 2


@pytest.mark.parametrize(
    ("html", "markdown", "message"),
    [
        (
            "r.json",
            None,
            "--html {d}/r.json is also the report {d}/r.json: writing it would overwrite the "
            "input; write it to another file",
        ),
        (
            None,
            "old.json",
            "--markdown {d}/old.json is also --baseline {d}/old.json: writing it would "
            "overwrite the input; write it to another file",
        ),
        (
            "out.html",
            "out.html",
            "--html {d}/out.html is also --markdown {d}/out.html: one would overwrite the "
            "other; give each its own file",
        ),
    ],
)
def test_an_output_over_an_input_exits_2_and_writes_nothing(
    tmp_path: Path, html: str | None, markdown: str | None, message: str
) -> None:
    report = write(tmp_path / "r.json", make_report(outcomes(18, 1, 2, 0)))
    baseline = write(tmp_path / "old.json", make_report(outcomes(18, 1, 2, 0)))
    before = {p: p.read_bytes() for p in (report, baseline)}
    status, out, err = run(
        ReportOptions(
            runs=(report,),
            baseline=baseline,
            html=tmp_path / html if html else None,
            markdown=tmp_path / markdown if markdown else None,
        )
    )
    assert (status, out) == (2, "")
    assert err == message.format(d=tmp_path) + "\n"
    assert {p: p.read_bytes() for p in before} == before
    assert not (tmp_path / "out.html").exists()
