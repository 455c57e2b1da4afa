"""``pytest-veto explore export``: the misfires a run's exploration found, as VETO pairs.

Each minimal misfire in a report's ``explore`` section carries its pair record (both
halves, both expecting "yes", and a ``source`` naming the template and the drawn values).
Export writes them as a JSON Lines pair file, checked by the same loader as every pair
file, so a team can gate on them with ``--veto-data`` like on any pairs. The report is
read and schema-checked as ``pytest-veto report`` reads it. Exit status: 0 written (an
empty file when the run found no misfire, said so); 2 an unusable report or output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from pytest_veto.data.atomic import write_bytes_atomic
from pytest_veto.data.pairs import check_pair_data
from pytest_veto.report.command import EXIT_INVALID, EXIT_OK, ReportInputError, load_report


def found_records(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every minimal misfire's pair record, each pair id once, in template order."""
    section = report.get("explore") or {}
    records: dict[str, dict[str, Any]] = {}
    for template in section.get("templates_explored", []):
        for misfire in template["misfires"]:
            records.setdefault(misfire["record"]["id"], misfire["record"])
    return list(records.values())


def export_command(report_path: Path, out: Path, stream: TextIO = sys.stdout) -> int:
    """Write the found misfires of ``report_path`` to ``out`` (JSON Lines)."""
    try:
        report = load_report(report_path)
    except ReportInputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    if report.get("explore") is None:
        print(f"{report_path}: the run explored nothing (run pytest -m explore)", file=sys.stderr)
        return EXIT_INVALID
    if out.resolve() == report_path.resolve():
        print(f"--out {out}: would overwrite the report it reads", file=sys.stderr)
        return EXIT_INVALID
    records = found_records(report)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    _, issues = check_pair_data(out, data)
    if issues:  # the report's records are the plugin's own: a mismatch is a bug or an edit
        for issue in issues:
            print(issue, file=sys.stderr)
        return EXIT_INVALID
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(out, data)
    except OSError as exc:
        print(f"--out {out}: cannot write: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if records:
        print(f"{out}: {len(records)} misfired pair(s) found by exploring", file=stream)
        cues = sorted(
            {str(c) for r in records if (c := (r.get("source") or {}).get("drawn", {}).get("cue"))}
        )
        if cues:  # a cue is a priming variant, not part of the pair's text
            print(
                f"some need a cue: gate on them with --veto-data={out} "
                f"--veto-priming={','.join(cues)}",
                file=stream,
            )
    else:
        print(f"{out}: the run found no misfire; the file is empty", file=stream)
    return EXIT_OK
