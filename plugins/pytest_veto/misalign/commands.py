"""``pytest-veto misalign {dedup,label,pair}``: the Stage I data tools on the command line.

Each handler is a thin wrapper over a plain function; this module imports nothing heavy
at load time (the ``pytest-veto`` parser is built on every call).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_veto.backends.protocol import Backend
    from pytest_veto.misalign.items import ColumnMap, PromptRecord
    from pytest_veto.misalign.tables import Table, TableFormat
    from pytest_veto.run.response_cache import ResponseCache

#: Exit status for invalid input, as for the other commands.
EXIT_INVALID = 2
#: Exit status when some backend requests failed (rerun: answers are cached).
EXIT_INCOMPLETE = 1


def add_misalign_parser(sub: Any) -> None:
    """Register ``misalign`` and its sub-subcommands on the ``pytest-veto`` subparsers."""
    group = sub.add_parser("misalign", help="Mis-Align Bench (SaVaCu) Stage I data tools")
    steps = group.add_subparsers(dest="misalign_command", required=True, metavar="STEP")

    p = steps.add_parser(
        "dedup",
        help="drop near-duplicate prompts (64-bit SimHash, Hamming <= 10, first occurrence kept)",
    )
    _io_args(p)
    p.add_argument("--distance", type=int, default=10, help="max Hamming distance (10)")
    p.add_argument("--report", metavar="FILE", help="also write the counts as JSON")
    p.set_defaults(func=_cmd_dedup)

    for name, func, text in (
        ("label", _cmd_label, "label prompts with safety/value/cultural domains via a model"),
        ("pair", _cmd_pair, "generate filtered aligned + misaligned responses via a model"),
    ):
        p = steps.add_parser(name, help=text)
        _io_args(p)
        p.add_argument(
            "--model",
            required=True,
            help="backend model, e.g. reference/evidence-reader, hf/..., openai/...",
        )
        p.add_argument(
            "--columns",
            metavar="FILE",
            help="JSON column map (id, prompt, safety, value, culture columns)",
        )
        p.add_argument("--stage-template", metavar="FILE", help="Stage I prompts JSON")
        p.add_argument("--seed", type=int, default=0, help="backend seed (0)")
        p.add_argument("--api-base", default=None, help="API server for litellm models")
        p.add_argument("--cache-dir", metavar="DIR", help="response cache folder")
        p.add_argument("--no-cache", action="store_true", help="do not use the response cache")
        p.set_defaults(func=func)
        if name == "pair":
            p.add_argument(
                "--rounds", type=int, default=2, help="feedback-guided resampling rounds (2)"
            )
            p.add_argument("--template", metavar="FILE", help="judging template JSON")


def _io_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="CSV, JSON Lines (.jsonl) or text (.txt) file")
    p.add_argument("output", metavar="OUT", help="output file")
    p.add_argument("--column", default=None, help="the prompt column (default: prompt)")
    p.add_argument(
        "--format",
        choices=("csv", "jsonl", "text"),
        default=None,
        help="input format (default: from the file name)",
    )


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_INVALID


def _cmd_dedup(args: argparse.Namespace) -> int:
    from pytest_veto.misalign.neardup import dedup
    from pytest_veto.misalign.simhash import fingerprints
    from pytest_veto.misalign.tables import guess_format, read_table

    path = Path(args.input)
    fmt: TableFormat | None = args.format or guess_format(path)
    if fmt is None:
        return _fail(f"{path}: unknown file type: name it .csv, .jsonl or .txt, or give --format")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _fail(f"{path}: <file>: cannot read file: {exc.strerror}")
    table, issues = read_table(path, data, fmt)
    column = "text" if fmt == "text" else (args.column or "prompt")
    if not issues and table.columns is not None and column not in table.columns:
        return _fail(
            f"{path}:1: {column}: no such column (columns: "
            f"{', '.join(table.columns)}); choose one with --column"
        )
    prompts: list[str] = []
    for row in table.rows:
        value = row.values.get(column)
        if not isinstance(value, str):
            print(
                f"{path}:{row.line}: {column}: {'missing' if value is None else 'not a string'}",
                file=sys.stderr,
            )
            return EXIT_INVALID
        prompts.append(value)
    for issue in issues:
        print(issue, file=sys.stderr)
    if issues:
        return EXIT_INVALID
    try:
        result = dedup(fingerprints(prompts), args.distance)
    except ValueError as exc:  # a distance the block search cannot do
        return _fail(f"--distance {args.distance}: {exc}")
    keep = result.keep.tolist()
    _write(Path(args.output), _render(table, fmt, keep, data))
    counts = {
        "input": str(path),
        "output": args.output,
        "distance": args.distance,
        **result.counts(),
    }
    print(
        f"{path}: read {counts['read']}, kept {counts['kept']}; removed {counts['identical']} "
        f"identical and {counts['near']} near-duplicate(s) (Hamming <= {args.distance})"
        + ("" if result.exact else f"; {result.capped} capped search(es): not exact")
    )
    if args.report:
        _write(Path(args.report), (json.dumps(counts, indent=2) + "\n").encode("utf-8"))
    return 0


def _render(table: Table, fmt: TableFormat, keep: Sequence[bool], data: bytes) -> bytes:
    """The kept rows in the input's format (CSV: same header, every column kept)."""
    kept = [row for row, k in zip(table.rows, keep, strict=True) if k]
    if fmt == "csv":
        assert table.columns is not None
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows([[str(row.values[c]) for c in table.columns] for row in kept])
        return out.getvalue().encode("utf-8")
    if fmt == "jsonl":
        return "".join(json.dumps(row.values, ensure_ascii=False) + "\n" for row in kept).encode(
            "utf-8"
        )
    return "".join(f"{row.values['text']}\n" for row in kept).encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    from pytest_veto.data.atomic import write_bytes_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data)


def _prompts(args: argparse.Namespace) -> tuple[list[PromptRecord] | None, int]:
    """Load the input prompts, or print located errors."""
    from pytest_veto.misalign.columns import load_column_map
    from pytest_veto.misalign.items import load_prompts
    from pytest_veto.misalign.schema import MisalignDataError

    try:
        columns: ColumnMap | None = load_column_map(args.columns) if args.columns else None
        return load_prompts(args.input, columns, fmt=args.format, prompt_column=args.column), 0
    except MisalignDataError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return None, EXIT_INVALID


def _backend_and_cache(args: argparse.Namespace) -> tuple[Backend, ResponseCache | None]:
    from pytest_veto.backends import BackendOptions, backend_kind, create_backend

    backend = create_backend(args.model, BackendOptions(seed=args.seed, api_base=args.api_base))
    if args.no_cache or backend_kind(args.model) == "reference":
        return backend, None
    from pytest_veto.run.response_cache import ResponseCache

    return backend, ResponseCache.open(args.cache_dir)


def _cmd_label(args: argparse.Namespace) -> int:
    from pytest_veto.misalign.domains import DIMENSIONS, load_vocabulary
    from pytest_veto.misalign.stage_one import label_prompts, load_stage_template

    prompts, status = _prompts(args)
    if prompts is None:
        return status
    stage = load_stage_template(args.stage_template)
    backend, cache = _backend_and_cache(args)
    try:
        result = label_prompts(prompts, backend, load_vocabulary(), stage=stage, cache=cache)
    finally:
        backend.close()
        if cache is not None:
            cache.close()
    lines = [
        json.dumps(
            {"id": r.id, "prompt": r.prompt, **{d: r.domain(d) for d in DIMENSIONS}},
            ensure_ascii=False,
        )
        + "\n"
        for r in result.records
    ]
    _write(Path(args.output), "".join(lines).encode("utf-8"))
    answers = ", ".join(f"{k} {v}" for k, v in sorted(result.answers.items()))
    print(
        f"{args.input}: labelled {len(prompts)} prompt(s) x {len(DIMENSIONS)} dimensions "
        f"with {args.model}: {answers}"
    )
    if result.errors:
        print(
            f"{result.errors} request(s) failed and were labelled Unknown; rerun to retry",
            file=sys.stderr,
        )
        return EXIT_INCOMPLETE
    return 0


def _cmd_pair(args: argparse.Namespace) -> int:
    from pytest_veto.misalign.items import dump_items
    from pytest_veto.misalign.prompting import load_template
    from pytest_veto.misalign.stage_one import load_stage_template, pair_prompts

    if args.rounds < 0:
        return _fail(f"--rounds must be >= 0, got {args.rounds}")
    prompts, status = _prompts(args)
    if prompts is None:
        return status
    judge, stage = load_template(args.template), load_stage_template(args.stage_template)
    backend, cache = _backend_and_cache(args)
    try:
        result = pair_prompts(
            prompts, backend, judge, stage=stage, cache=cache, max_rounds=args.rounds
        )
    finally:
        backend.close()
        if cache is not None:
            cache.close()
    _write(Path(args.output), dump_items(result.items).encode("utf-8"))
    rounds = ", ".join(f"round {k}: {v}" for k, v in sorted(result.rounds.items()))
    dropped = len({d.id for d in result.dropped})
    print(
        f"{args.input}: {len(prompts)} prompt(s) -> {len(result.items)} item(s), "
        f"{dropped} prompt(s) dropped after {args.rounds} resampling round(s)"
        + (f"; accepted responses by round: {rounds}" if rounds else "")
    )
    return 0
