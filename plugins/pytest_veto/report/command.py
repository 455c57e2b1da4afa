"""``pytest-veto report``: read JSON reports, compare with a baseline, render, decide.

Nothing is rerun: every number comes from the report files (the statistics section is
computed from a report's own pairs when the report has none). Exit status: 2 when a file
is missing, not JSON or not a valid report, or when the reports cannot be compared; 1
when the first report failed its gates or regressed against the baseline; else 0.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pytest_veto.data import jsonfile
from pytest_veto.data.paths import first_clash
from pytest_veto.report import view
from pytest_veto.score.baseline import Comparison, ComparisonError, compare_reports

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2


class ReportInputError(ValueError):
    """A report file that cannot be used; the message names the file and the place."""


def load_report(path: Path) -> dict[str, Any]:
    """Read and schema-check one report file; ReportInputError says what is wrong where."""
    from pytest_veto.report.json_report import ReportSchemaError, validate_report

    try:
        data = jsonfile.read(path)  # UTF-8, a byte order mark allowed, as pair files
    except FileNotFoundError:
        raise ReportInputError(f"{path}: no such file") from None
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read file: {exc}") from None
    except jsonfile.UserJsonError as exc:
        if exc.kind == "constant":  # worded as before: "<file>: invalid JSON: NaN is ..."
            where = f"line {exc.line}, column {exc.column}"
            raise ReportInputError(f"{path}: invalid JSON: {exc.reason} ({where})") from None
        where = f"{exc.line}:{exc.column}:" if exc.column else f"{exc.line}:"
        raise ReportInputError(f"{path}:{where} {exc.reason}") from None
    try:
        validate_report(data)
    except ReportSchemaError as exc:
        lines = str(exc).splitlines()[1:]  # the first line is the generic title
        raise ReportInputError("\n".join(f"{path}: {line}" for line in lines)) from None
    if not isinstance(data, dict):  # the schema says object; this is for the type checker
        raise ReportInputError(f"{path}: a report is a JSON object")
    from pytest_veto.report.consistency import inconsistencies

    issues = inconsistencies(data)
    if issues:
        raise ReportInputError(
            "\n".join(f"{path}: inconsistent report: {issue}" for issue in issues)
        )
    return data


@dataclass(frozen=True)
class ReportOptions:
    """What ``pytest-veto report`` was asked to do."""

    runs: tuple[Path, ...]
    baseline: Path | None = None
    max_regression: float = 0.0
    alpha: float = 0.05
    html: Path | None = None
    markdown: Path | None = None
    misfire_limit: int = 50
    resamples: int | None = None


def summary_lines(
    reports: Sequence[dict[str, Any]], comparison: Comparison | None, new_limit: int = 50
) -> list[str]:
    """The short text summary printed to stdout."""
    lines = []
    for i, r in enumerate(reports, 1):
        overall = r["metrics"].get("base", {}).get("overall", {})
        ci = view.interval(overall.get("mar_ci95"))  # Wilson: the one interval shown
        failed = [g["name"] for g in r["gates"] if not g["passed"]]
        verdict = (
            "PASSED" if r["passed"] else "FAILED" + (f" ({', '.join(failed)})" if failed else "")
        )
        lines.append(
            f"run {i}: {view.model_name(r)}: {overall.get('n', 0)} pairs, "
            f"MAR {view.pct(overall.get('mar'))}% {ci}, "
            f"BR {view.pct(overall.get('br'))}%"
            + "".join(f"; {part}" for part in view.misalign_summary(r))
            + f"; gates {verdict}"
        )
        for amp in view.priming(r):
            ratio = "-" if amp["amplification"] is None else f"{amp['amplification']:.2f}x"
            lines.append(
                f"  primed {amp['variant']}: MAR {view.pct(amp['base_mar'])}% -> "
                f"{view.pct(amp['primed_mar'])}% ({ratio}, McNemar p "
                f"{view.pvalue(amp['mcnemar_p'])})"
            )
    if comparison is not None:
        c = comparison
        lines.append(
            f"baseline {c.baseline_model}: "
            + ("REGRESSED" if c.regressed else "no regression")
            + f" (allowed rise {c.max_regression_points:g} points, alpha {c.alpha:g})"
        )
        for v in c.variants:
            diff = "-" if v.difference is None else f"{v.difference:+.1f}"
            lines.append(
                f"  {v.variant}: MAR {view.pct(v.baseline_mar)}% -> "
                f"{view.pct(v.current_mar)}% ({diff} points on {v.compared} pairs; "
                f"{v.newly_misfiring} newly misfiring, {v.no_longer_misfiring} no "
                f"longer; McNemar p {view.pvalue(v.mcnemar_p)})"
                + (": REGRESSED" if v.regressed else "")
            )
        for note in c.notes:
            lines.append(f"  note: {note}")
        if c.new_misfires:
            lines.append(f"  newly misfiring pairs ({len(c.new_misfires)}):")
            lines += [
                f"    {m.pair_id} [{m.variant}] ({m.category})" for m in c.new_misfires[:new_limit]
            ]
            if len(c.new_misfires) > new_limit:
                lines.append(f"    ... and {len(c.new_misfires) - new_limit} more")
    return lines


def _write(path: Path, text: str) -> None:
    from pytest_veto.data.atomic import write_bytes_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, text.encode("utf-8"))


def _output_clash(options: ReportOptions) -> str | None:
    """An output (``--html``, ``--markdown``) that is also a report read, or the other
    output: writing it would destroy the input or the other page."""
    outputs = [
        (f"--{flag} {path}", path)
        for flag, path in (("markdown", options.markdown), ("html", options.html))
        if path is not None
    ]
    inputs = [(f"the report {path}", path) for path in options.runs]
    if options.baseline is not None:
        inputs.append((f"--baseline {options.baseline}", options.baseline))
    return first_clash(outputs, inputs)


def run_report(options: ReportOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Do what ``pytest-veto report`` does; returns the exit status."""
    clash = _output_clash(options)
    if clash is not None:  # checked before anything is read or written
        print(clash, file=err)
        return EXIT_INVALID
    reports: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in options.runs:
        try:
            reports.append(load_report(path))
        except ReportInputError as exc:
            problems.append(str(exc))
    baseline = None
    if options.baseline is not None:
        try:
            baseline = load_report(options.baseline)
        except ReportInputError as exc:
            problems.append(str(exc))
    if problems:
        print("\n".join(problems), file=err)
        return EXIT_INVALID
    comparison = None
    if baseline is not None:
        try:
            comparison = compare_reports(
                reports[0],
                baseline,
                max_regression_points=options.max_regression,
                alpha=options.alpha,
            )
        except ComparisonError as exc:
            print(f"{options.runs[0]} vs {options.baseline}: {exc}", file=err)
            return EXIT_INVALID
    reports = [view.with_statistics(r, options.resamples) for r in reports]
    for line in summary_lines(reports, comparison):
        print(line, file=out)
    if options.markdown is not None:
        from pytest_veto.report.markdown import render_markdown

        _write(
            options.markdown,
            render_markdown(reports, comparison, misfire_limit=options.misfire_limit),
        )
        print(f"wrote {options.markdown}", file=out)
    if options.html is not None:
        from pytest_veto.report import plots
        from pytest_veto.report.html import render_html

        if not plots.available():
            print(
                'note: figures left out: matplotlib is missing (pip install "pytest-veto[report]")',
                file=err,
            )
        _write(options.html, render_html(reports, comparison, misfire_limit=options.misfire_limit))
        print(f"wrote {options.html}", file=out)
    failed = not reports[0]["passed"] or (comparison is not None and comparison.regressed)
    return EXIT_FAILED if failed else EXIT_OK
