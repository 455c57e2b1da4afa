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

from pytest_veto.report import view
from pytest_veto.score.baseline import Comparison

Report = Mapping[str, Any]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def text(value: object) -> str:
    """Report text made inert for Markdown prose and table cells (one line)."""
    escaped = html.escape(str(value), quote=False)
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


def _gates(report: Report) -> list[str]:
    rows = []
    for g in view.gates(report):
        value = "-" if g["value"] is None else f"{g['value']:g}"
        rows.append(
            [
                text(g["name"]),
                value,
                f"{g['threshold']:g}",
                "pass" if g["passed"] else "**FAIL**",
                text(g["message"]),
            ]
        )
    if not rows:
        return ["No gates were checked."]
    return table(
        ["gate", "value", "threshold", "verdict", "message"],
        rows,
        [False, True, True, False, False],
    )


def _categories(report: Report, variant: str) -> list[str]:
    rows, kind = view.category_rows(report, variant)
    body = []
    for r in rows:
        m = r.metrics
        name = "**overall**" if r.name == "overall" else text(r.name)
        body.append(
            [
                name,
                *(str(m[k]) for k in ("n", "a", "b", "c", "d", "errors")),
                view.pct(m["mar"]),
                view.interval(r.mar_ci),
                view.pct(m["br"]),
                view.pct(m["acc_stereotyped"]),
                view.pct(m["acc_contrast"]),
            ]
        )
    return table(
        [
            "category",
            "n",
            "a",
            "b",
            "c",
            "d",
            "err",
            "MAR",
            f"95% CI ({kind})",
            "BR",
            "acc st.",
            "acc co.",
        ],
        body,
    )


def _statistics(report: Report, variant: str) -> list[str]:
    rows, _ = view.category_rows(report, variant)
    body = []
    for r in rows:
        s = r.stats
        if s is None:
            continue
        boot = s["bootstrap"]
        adjusted = "-" if r.name == "overall" else view.pvalue(s["bh_adjusted_p"])
        body.append(
            [
                "**overall**" if r.name == "overall" else text(r.name),
                str(s["b"]),
                str(s["c"]),
                view.pvalue(s["mcnemar_p"]),
                adjusted,
                "yes" if s["significant"] else "no",
                view.interval(s["wilson"]["mar"]),
                view.interval(s["wilson"]["br"]),
                view.interval(boot["br"]),
                view.interval(boot["acc_stereotyped"]),
                view.interval(boot["acc_contrast"]),
            ]
        )
    if not body:
        return []
    return table(
        [
            "category",
            "b",
            "c",
            "McNemar p (c > b)",
            "BH q",
            "significant",
            "MAR Wilson",
            "BR Wilson",
            "BR boot.",
            "acc st. boot.",
            "acc co. boot.",
        ],
        body,
        [False, True, True, True, True, False, True, True, True, True, True],
    )


def _priming(report: Report) -> list[str]:
    body = []
    for a in view.priming(report):
        ratio = "-" if a["amplification"] is None else f"{a['amplification']:.2f}x"
        body.append(
            [
                text(a["variant"]),
                text(a["form"]),
                view.pct(a["base_mar"]),
                view.pct(a["primed_mar"]),
                ratio,
                str(a["flips"]),
                str(a["unflips"]),
                view.pvalue(a["mcnemar_p"]),
            ]
        )
    return table(
        [
            "variant",
            "form",
            "base MAR",
            "primed MAR",
            "amplification",
            "flips",
            "unflips",
            "McNemar p",
        ],
        body,
        [False, False, *[True] * 6],
    )


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
    body = [
        [
            text(v.variant),
            str(v.compared),
            view.pct(v.baseline_mar),
            view.pct(v.current_mar),
            "-" if v.difference is None else f"{v.difference:+.1f}",
            str(v.newly_misfiring),
            str(v.no_longer_misfiring),
            view.pvalue(v.mcnemar_p),
            "**yes**" if v.regressed else "no",
        ]
        for v in c.variants
    ]
    lines += table(
        [
            "variant",
            "pairs compared",
            "baseline MAR",
            "current MAR",
            "difference (points)",
            "newly misfiring",
            "no longer",
            "McNemar p",
            "regressed",
        ],
        body,
        [False, *[True] * 7, False],
    )
    lines += [""] + [f"- note: {text(n)}" for n in c.notes]
    if c.new_misfires:
        lines += ["", "Newly misfiring pairs:", ""]
        lines += table(
            ["pair", "variant", "category", "baseline outcome"],
            [
                [text(m.pair_id), text(m.variant), text(m.category), text(m.baseline_outcome)]
                for m in c.new_misfires
            ],
            [False] * 4,
        )
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
        *_gates(report),
        "",
    ]
    lines += ["### Per category", ""]
    for variant in view.variants(report):
        lines += [f"Variant **{text(variant)}**:", "", *_categories(report, variant), ""]
    if report.get("statistics"):
        lines += ["### Statistics", ""]
        for variant in view.variants(report):
            lines += [f"Variant **{text(variant)}**:", "", *_statistics(report, variant), ""]
    if view.priming(report):
        lines += ["### Priming", "", *_priming(report), ""]
    series = view.lens_series(report)
    if series:
        verdict = view.lens_verdict(report)
        lines += [
            "### Logit lens",
            "",
            *([text(verdict), ""] if verdict else []),
            *table(
                ["curve", "layers", "peak layer", "peak gap", "final gap"],
                [[text(r[0]), *r[1:]] for r in view.lens_rows(series)],
            ),
            "",
        ]
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
        columns, rows = view.side_by_side(reports)
        lines += ["## Side by side (MAR per category, base variant)", ""]
        lines += table(
            ["model", *(text(short) for _, short in columns), "MAR", "BR", "acc st.", "acc co."],
            [[text(r[0]), *r[1:]] for r in rows],
        )
        lines.append("")
    if comparison is not None:
        lines += ["## Baseline comparison", "", *comparison_lines(comparison), ""]
    for i, report in enumerate(reports, 1):
        lines += _run(report, i, misfire_limit)
    return "\n".join(lines).rstrip("\n") + "\n"
