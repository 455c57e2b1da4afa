"""A Markdown rendering of one or more JSON reports (and a baseline comparison).

Text from a report (model outputs above all) is untrusted: in tables and prose it is
HTML-escaped and its Markdown syntax backslash-escaped; prompts and raw outputs go in
fenced blocks whose fence is longer than any backtick run inside them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_veto.report import tables, view
from pytest_veto.score.baseline import Comparison

Report = Mapping[str, Any]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


#: ``<=`` and ``>=`` (and ``<`` before a space or digit) open no tag: a gate message's
#: ``<=`` stays ``<=`` rather than ``&lt;=`` in a plain-text view of the file
_HARMLESS_ANGLE = re.compile(r"&lt;(?=[=\s\d]|$)|&gt;(?==)")


def text(value: object) -> str:
    """Report text made inert for Markdown prose and table cells (one line)."""
    escaped = html.escape(str(value), quote=False)
    escaped = _HARMLESS_ANGLE.sub(lambda m: "<" if m[0] == "&lt;" else ">", escaped)
    return _MD_SPECIAL.sub(r"\\\1", " ".join(escaped.split()))


def fenced(content: str, info: str = "text") -> list[str]:
    """A fenced code block that ``content`` cannot close."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", content, fence]


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None
) -> list[str]:
    """A pipe table (cells must already be escaped)."""
    right = right or [i > 0 for i in range(len(header))]
    rule = ["---:" if r else "---" for r in right]
    return ["| " + " | ".join(row) + " |" for row in (header, rule, *rows)]


def _manifest(report: Report) -> list[str]:
    return [f"- **{label}**: {text(value)}" for label, value in view.manifest(report)]


def render(t: tables.Table) -> list[str]:
    """A shared table as a pipe table: text columns escaped, numbers as built, a failed
    verdict and the pooled row in bold."""

    def cell(value: tables.Cell, j: int, pooled: bool) -> str:
        if isinstance(value, tables.Flag):
            return text(value.text) if value.passed else f"**{text(value.text)}**"
        shown = value if t.numeric[j] else text(value)
        return f"**{shown}**" if pooled and j == 0 else shown

    pooled = t.pooled or (False,) * len(t.rows)
    rows = [[cell(c, j, pooled[i]) for j, c in enumerate(r)] for i, r in enumerate(t.rows)]
    return table([text(h) for h in t.header], rows, t.numeric)


def _half(half: str, row: Mapping[str, Any]) -> list[str]:
    if not row:
        return [f"*{half} half: no prompt recorded*", ""]
    mark = "right" if row.get("correct") else "WRONG"
    verdict = (
        f"*{half} half*: parsed **{text(row.get('answer', '?'))}** "
        f"(expected {text(row.get('expected', '?'))}: {mark})"
    )
    lines = [verdict, ""]
    lines += ["User prompt:", "", *fenced(str(row.get("user", ""))), ""]
    raw = row.get("error") if row.get("answer") == "error" else row.get("raw", "")
    lines += ["Raw output:", "", *fenced(str(raw)), ""]
    return lines


def _misfires(report: Report, limit: int) -> list[str]:
    shown, more = view.misfires(report, limit)
    if not shown:
        return ["No pair misfired."]
    lines: list[str] = []
    for m in shown:
        title = f"#### {text(m.pair_id)} [{text(m.variant)}] ({text(m.category)})"
        lines += [title, ""]
        if m.base_outcome is not None:
            unprimed = view.OUTCOME_TEXT.get(m.base_outcome, m.base_outcome)
            lines += [f"Unprimed outcome: {text(unprimed)}", ""]
        for half in ("stereotyped", "contrast"):
            lines += _half(half, m.halves[half])
    if more:
        lines.append(
            f"... and {more} more misfired pair(s) not shown (the JSON report has them all)."
        )
    return lines


def comparison_lines(c: Comparison) -> list[str]:
    """The baseline comparison as Markdown."""
    verdict = "**REGRESSED**" if c.regressed else "no regression"
    lines = [
        (
            f"Current {text(c.current_model)} against baseline {text(c.baseline_model)}: "
            f"{verdict} (allowed rise {c.max_regression_points:g} points, "
            f"alpha {c.alpha:g})."
        ),
        "",
    ]
    lines += render(tables.comparison(c))
    lines += [""] + [f"- note: {text(n)}" for n in c.notes]
    if c.new_misfires:
        lines += ["", "Newly misfiring pairs:", "", *render(tables.new_misfires(c))]
    return lines


def _run(report: Report, index: int, limit: int) -> list[str]:
    lines = [
        f"## Run {index}: {text(view.model_name(report))}",
        "",
        "### Manifest",
        "",
        *_manifest(report),
        "",
        "### Gates",
        "",
        *(render(tables.gates(report)) if report["gates"] else ["No gates were checked."]),
        "",
    ]
    lines += ["### Per category", ""]
    for variant in view.variants(report):
        lines += [f"Variant **{text(variant)}**:", "", *render(tables.categories(report, variant))]
        lines.append("")
    if report.get("statistics"):
        lines += ["### Statistics", ""]
        for variant in view.variants(report):
            stats = tables.statistics(report, variant)
            if stats.rows:
                lines += [f"Variant **{text(variant)}**:", "", *render(stats), ""]
    if view.priming(report):
        lines += ["### Priming", "", *render(tables.priming(report)), ""]
    controls = tables.controls(report)
    if controls is not None:
        lines += ["### Control questions (expected no)", "", *render(controls), ""]
    misalign = tables.misalign(report)
    if misalign is not None:
        lines += ["### Mis-Align Bench", "", *render(misalign), ""]
    series = view.lens_series(report)
    if series:
        verdict = view.lens_verdict(report)
        lines += ["### Logit lens", "", *([text(verdict), ""] if verdict else [])]
        lines += [*render(tables.lens(series)), ""]
    lines += ["### Misfired pairs", "", *_misfires(report, limit), ""]
    return lines


def render_markdown(
    reports: Sequence[Report], comparison: Comparison | None = None, *, misfire_limit: int = 50
) -> str:
    """The Markdown document: side by side (2+ runs), baseline, then each run in full."""
    if not reports:
        raise ValueError("nothing to render: no report given")
    lines = ["# VETO report", ""]
    if len(reports) > 1:
        lines += ["## Side by side (MAR per category, base variant)", ""]
        lines += render(tables.side_by_side(reports)[0])
        lines.append("")
    if comparison is not None:
        lines += ["## Baseline comparison", "", *comparison_lines(comparison), ""]
    for i, report in enumerate(reports, 1):
        lines += _run(report, i, misfire_limit)
    return "\n".join(lines).rstrip("\n") + "\n"
