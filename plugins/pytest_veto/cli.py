"""The ``pytest-veto`` command: data tools that run without pytest.

Each subcommand is a thin wrapper over a plain function in its own module; heavy
modules are imported only by the subcommand that needs them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_veto import __version__
from pytest_veto.data.pairs import DataError

#: Exit status for invalid input (argparse also uses 2 for usage errors).
EXIT_INVALID = 2
#: ``build-pairs --text`` choices, the default first (``data.bbq.build.TEXT_MODES``, not
#: imported here so that the command starts without loading the builder)
BUILD_TEXT_MODES = ("release", "corrected")


def _cmd_validate(args: argparse.Namespace) -> int:
    from pytest_veto.data.pair_checks import pair_warnings
    from pytest_veto.data.pairs import check_pair_data, parse_trusted

    status = 0
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"{path}: <file>: cannot read file: {exc.strerror}", file=sys.stderr)
            status = EXIT_INVALID
            continue
        pairs, issues = check_pair_data(path, data)
        for issue in issues:
            print(issue, file=sys.stderr)
        if issues:
            status = EXIT_INVALID
            continue
        warnings = pair_warnings(str(path), parse_trusted(path, data) or [])
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if warnings and args.strict:
            print(f"{path}: {len(warnings)} warning(s), failing (--strict)", file=sys.stderr)
            status = EXIT_INVALID
        else:
            noted = f", {len(warnings)} warning(s)" if warnings else ""
            print(f"{path}: OK, {len(pairs)} pairs{noted}")
    return status


def _cmd_build_pairs(args: argparse.Namespace) -> int:
    from pytest_veto.data.bbq.build import build_command

    return build_command(Path(args.bbq), Path(args.out), args.text, controls=args.controls)


def _cmd_fetch_bbq(args: argparse.Namespace) -> int:
    from pytest_veto.data.bbq.fetch import fetch_command

    return fetch_command(Path(args.to), base_url=args.base_url)


def _cmd_report(args: argparse.Namespace) -> int:
    from pytest_veto.report.command import ReportOptions, run_report

    return run_report(
        ReportOptions(
            runs=tuple(Path(f) for f in args.reports),
            baseline=Path(args.baseline) if args.baseline else None,
            max_regression=args.max_regression,
            alpha=args.alpha,
            html=Path(args.html) if args.html else None,
            markdown=Path(args.markdown) if args.markdown else None,
            misfire_limit=args.max_misfires,
        )
    )


def _cmd_explore_export(args: argparse.Namespace) -> int:
    from pytest_veto.report.explore_export import export_command

    return export_command(Path(args.report), Path(args.out))


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also NaN
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be within (0, 1), got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pytest-veto`` command."""
    parser = argparse.ArgumentParser(
        prog="pytest-veto",
        description="Data tools for the VETO release gate (run the gate itself with pytest).",
    )
    parser.add_argument("--version", action="version", version=f"pytest-veto {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check pair files against the VETO pair schema")
    p.add_argument("files", nargs="+", metavar="FILE", help="JSON Lines or official JSON file")
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 2) on warnings too: valid records that contradict themselves, "
        "repeat a pair under another id, or hold only whitespace",
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("build-pairs", help="build VETO pairs from a BBQ release folder")
    p.add_argument("--bbq", required=True, metavar="DIR", help="folder with the BBQ *.jsonl files")
    p.add_argument("--out", required=True, metavar="FILE", help="output JSON Lines file")
    p.add_argument(
        "--text",
        choices=BUILD_TEXT_MODES,
        default=BUILD_TEXT_MODES[0],
        help="release (default): the released VETO text exactly, quirks included; "
        "corrected: errata mode, our grammatical corrections of the questions and "
        "trigger sentences (docs/explanation.md, Errata mode)",
    )
    p.add_argument(
        "--controls",
        action="store_true",
        help='add each pair\'s control question (expected answer no) as a "control" '
        "field, for pytest --veto-controls; without it the output is the release's "
        "pairs, field for field (docs/explanation.md, Control questions)",
    )
    p.set_defaults(func=_cmd_build_pairs)

    p = sub.add_parser("fetch-bbq", help="download the pinned BBQ release and verify SHA-256")
    p.add_argument("--to", required=True, metavar="DIR", help="destination folder")
    p.add_argument("--base-url", default=None, help="mirror serving the category files")
    p.set_defaults(func=_cmd_fetch_bbq)

    p = sub.add_parser(
        "report",
        help="render JSON reports (Markdown, HTML) and compare with a baseline",
        description="Validate JSON reports, print a summary, render them, and compare the "
        "first with a baseline. Exit 1 when the first report failed a gate or "
        "regressed; 2 on an invalid or missing file.",
    )
    p.add_argument(
        "reports",
        nargs="+",
        metavar="RUN.json",
        help="reports to show side by side; the first is the one judged",
    )
    p.add_argument("--baseline", metavar="OLD.json", help="an earlier report to compare with")
    p.add_argument(
        "--max-regression",
        type=_non_negative,
        default=0.0,
        metavar="POINTS",
        help="allowed MAR rise in percentage points before a significant rise "
        "counts as a regression (default 0)",
    )
    p.add_argument(
        "--alpha",
        type=_probability,
        default=0.05,
        help="significance level of the paired McNemar test (default 0.05)",
    )
    p.add_argument("--html", metavar="OUT.html", help="write one self-contained HTML page")
    p.add_argument("--markdown", metavar="OUT.md", help="write a Markdown report")
    p.add_argument(
        "--max-misfires",
        type=int,
        default=50,
        metavar="N",
        help="misfired pairs listed in full per run (default 50)",
    )
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("explore", help="what exploring (pytest -m explore) found")
    steps = p.add_subparsers(dest="explore_command", required=True, metavar="STEP")
    p = steps.add_parser(
        "export", help="write a report's minimal misfires as VETO pairs (for --veto-data)"
    )
    p.add_argument("report", metavar="REPORT", help="a JSON report of a run with -m explore")
    p.add_argument("--out", required=True, metavar="FILE", help="the JSON Lines pair file")
    p.set_defaults(func=_cmd_explore_export)

    from pytest_veto.misalign.commands import add_misalign_parser

    add_misalign_parser(sub)  # misalign {dedup,label,pair}: Mis-Align Bench Stage I tools
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pytest-veto`` and ``python -m pytest_veto``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except DataError as exc:  # any input file a command loads: every issue, located
        print(exc, file=sys.stderr)
        return 2
    return status
