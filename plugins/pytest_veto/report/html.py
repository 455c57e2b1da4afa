"""A single self-contained HTML page from one or more JSON reports (and a comparison).

Self-contained: CSS inline, figures as base64 PNG ``data:`` URLs, no script, no external
font, image or stylesheet; links only to anchors in the page. Every text from a report
goes through ``html.escape``: model outputs are untrusted. Figures need matplotlib (the
``report`` extra); without it the page says so and keeps every table.

Section ids: ``side-by-side`` (two or more runs), ``baseline`` (with a comparison), and
for run i (from 1): ``run{i}`` holding ``run{i}-manifest``, ``-gates``, ``-categories``,
``-statistics`` (when present), ``-priming`` (when primed), ``-controls`` (when control
questions ran), ``-misalign`` (when Mis-Align items ran), ``-plots``, ``-lens`` (when the
report has a lens section) and ``-misfires``. Tables come from ``tables.py``, shared with
the Markdown view.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pytest_veto.report import plots, tables, view
from pytest_veto.score.baseline import Comparison

Report = Mapping[str, Any]

#: Misfired pairs shown unfolded at the top of their list.
OPEN_MISFIRES = 3

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:0 auto;max-width:1200px;padding:1rem 2rem;color:#1d1d1f;background:#fff;line-height:1.4}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
h3{margin-top:1.6rem}nav{font-size:.9rem;margin:.5rem 0 1rem}nav a{margin-right:.8rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.88rem}
th,td{border:1px solid #d0d0d5;padding:.25rem .5rem;vertical-align:top}
th{background:#f3f3f6;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.overall td{font-weight:600;background:#fafafa}
.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:700}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:.8rem;color:#fff;font-weight:700}
.badge.pass{background:#1a7f37;color:#fff}.badge.fail{background:#c62828;color:#fff}
dl.manifest{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;font-size:.9rem}
dl.manifest dt{font-weight:600}dl.manifest dd{margin:0;word-break:break-all}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border:1px solid #e1e4e8;
padding:.4rem .6rem;margin:.2rem 0;font-size:.82rem}
details{border:1px solid #e1e4e8;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer;font-weight:600}.note{color:#555;font-size:.9rem}
table.halves{width:100%;table-layout:fixed}
img.plot{max-width:100%;height:auto;display:block;margin:.5rem 0}
"""


def esc(value: object) -> str:
    """Report text made inert for HTML (attributes too)."""
    return html.escape(str(value), quote=True)


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[bool] | None = None,
    row_classes: Sequence[str] | None = None,
) -> str:
    """A table; cells must already be HTML (escaped text or markup made here)."""
    numeric = numeric or [i > 0 for i in range(len(header))]
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(
            f'<td class="num">{c}</td>' if numeric[j] else f"<td>{c}</td>"
            for j, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(ident: str, title: str, body: str, level: int = 3) -> str:
    return f'<section id="{ident}"><h{level}>{title}</h{level}>{body}</section>'


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="plot" alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def _verdict(passed: bool) -> str:
    return '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'


def _manifest(report: Report) -> str:
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in view.manifest(report))
    return f'<dl class="manifest">{items}</dl>'


def render(t: tables.Table) -> str:
    """A shared table: every text escaped, a verdict coloured, the pooled row bold."""

    def cell(value: tables.Cell) -> str:
        if isinstance(value, tables.Flag):
            return f'<span class="{"pass" if value.passed else "fail"}">{esc(value.text)}</span>'
        return esc(value)

    classes = ["overall" if p else "" for p in t.pooled] or None
    rows = [[cell(c) for c in r] for r in t.rows]
    return _table([esc(h) for h in t.header], rows, t.numeric, classes)


def _gates(report: Report) -> str:
    if not report["gates"]:
        return "<p>No gates were checked.</p>"
    return render(tables.gates(report))


def _per_variant(report: Report, build: Callable[[Report, str], tables.Table]) -> str:
    parts = []
    for variant in view.variants(report):
        t = build(report, variant)
        if t.rows:
            parts.append(f"<h4>Variant {esc(variant)}</h4>" + render(t))
    return "".join(parts)


def _statistics(report: Report) -> str:
    method = (report.get("statistics") or {}).get("method", {})
    boot = method.get("bootstrap", {})
    note = (
        f'<p class="note">MAR and BR intervals: 95% Wilson (the interval shown everywhere). '
        f"Bootstrap columns: {esc(boot.get('resamples'))} pair-level resamples, "
        f"seed {esc(boot.get('seed'))}, percentile intervals; per-category McNemar p-values "
        f"corrected with Benjamini-Hochberg at q = "
        f"{esc(method.get('multiple_testing', {}).get('q'))}.</p>"
    )
    return note + _per_variant(report, tables.statistics)


def _no_plots() -> str:
    return (
        '<p class="note">Figures need matplotlib: <code>pip install '
        '"pytest-veto[report]"</code>.</p>'
    )


def _plots(report: Report, draw: bool) -> str:
    if not draw:
        return _no_plots()
    rows = view.category_rows(report, "base")
    parts = []
    if rows:
        parts.append(
            _img(
                plots.mar_bars(
                    [r.name for r in rows],
                    [r.metrics["mar"] for r in rows],
                    [r.mar_ci for r in rows],
                    "MAR by category, base variant (95% Wilson interval)",
                    limit=view.gate_threshold(report, "mar_max"),
                ),
                "MAR by category with 95% intervals",
            )
        )
    # overall and per dimension (the per-domain scores, a few items each, are in the table)
    scores = [(name, m) for name, m in view.misalign_rows(report) if ": " not in name]
    if scores:
        parts.append(
            _img(
                plots.score_bars(
                    [name for name, _ in scores],
                    [m.get("alignment_score") for _, m in scores],
                    [m.get("alignment_score_ci95") for _, m in scores],
                    "Mis-Align Alignment Score, overall and by dimension (95% bootstrap interval)",
                    limit=view.gate_threshold(report, "misalign_min_score"),
                ),
                "Mis-Align Alignment Score by scope with 95% intervals",
            )
        )
    amps = view.priming(report)
    if amps:
        parts.append(
            _img(
                plots.dumbbell(
                    [a["variant"] for a in amps],
                    [a["base_mar"] for a in amps],
                    [a["primed_mar"] for a in amps],
                    "Unprimed vs primed MAR by priming variant",
                ),
                "Unprimed and primed MAR per priming variant",
            )
        )
    return "".join(parts) or '<p class="note">Nothing to plot.</p>'


def _lens(report: Report, series: Mapping[str, Sequence[float | None]], draw: bool) -> str:
    verdict = view.lens_verdict(report)
    head = f"<p>{esc(verdict)}</p>" if verdict else ""
    table = render(tables.lens(series))
    if not draw:
        return head + table + _no_plots()
    title = "Logit-lens gap G = mean LD(contrast) - mean LD(stereotyped), by layer"
    return head + table + _img(plots.gap_curves(series, title), "Logit-lens gap curves by layer")


def _half(half: str, row: Mapping[str, Any]) -> str:
    if not row:
        return f"<tr><td>{half}</td><td colspan=3>no prompt recorded</td></tr>"
    raw = row.get("error") if row.get("answer") == "error" else row.get("raw", "")
    mark = "right" if row.get("correct") else "WRONG"
    parsed = (
        f"{esc(row.get('answer'))} (expected {esc(row.get('expected'))}: "
        f'<span class="{"pass" if row.get("correct") else "fail"}">{mark}</span>)'
    )
    return (
        f"<tr><td>{half}</td><td><pre>{esc(row.get('user', ''))}</pre></td>"
        f"<td><pre>{esc(raw)}</pre></td><td>{parsed}</td></tr>"
    )


def _misfires(report: Report, limit: int) -> str:
    shown, more = view.misfires(report, limit)
    if not shown:
        return "<p>No pair misfired.</p>"
    parts = []
    for k, m in enumerate(shown):
        base = (
            ""
            if m.base_outcome is None
            else f"; unprimed: {esc(view.OUTCOME_TEXT.get(m.base_outcome, m.base_outcome))}"
        )
        rows = "".join(_half(h, m.halves[h]) for h in ("stereotyped", "contrast"))
        parts.append(
            f"<details{' open' if k < OPEN_MISFIRES else ''}><summary>{esc(m.pair_id)} "
            f"[{esc(m.variant)}] ({esc(m.category)})"
            f'{base}</summary><table class="halves"><colgroup><col style="width:9%">'
            '<col style="width:47%"><col style="width:30%"><col style="width:14%"></colgroup>'
            "<thead><tr><th>half</th><th>user prompt</th><th>raw output</th><th>parsed</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            "</details>"
        )
    if more:
        parts.append(
            f"<p>... and {more} more misfired pair(s) not shown (the JSON report has them all).</p>"
        )
    return "".join(parts)


def _comparison(c: Comparison) -> str:
    badge = (
        '<span class="badge fail">REGRESSED</span>'
        if c.regressed
        else '<span class="badge pass">no regression</span>'
    )
    intro = (
        f"<p>Current <b>{esc(c.current_model)}</b> against baseline "
        f"<b>{esc(c.baseline_model)}</b>: {badge} (allowed rise "
        f"{esc(f'{c.max_regression_points:g}')} points, alpha {esc(f'{c.alpha:g}')}).</p>"
    )
    table = render(tables.comparison(c))
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in c.notes)
    new = ""
    if c.new_misfires:
        new = "<h4>Newly misfiring pairs</h4>" + render(tables.new_misfires(c))
    return intro + table + notes + new


def _run(report: Report, i: int, limit: int, draw: bool) -> str:
    p = f"run{i}"
    passed = bool(report["passed"])
    badge = (
        f'<span class="badge {"pass" if passed else "fail"}">'
        f"{'PASSED' if passed else 'FAILED'}</span>"
    )
    parts = [
        _section(f"{p}-manifest", "Manifest", _manifest(report)),
        _section(f"{p}-gates", "Gates", _gates(report)),
        _section(f"{p}-categories", "Per category", _per_variant(report, tables.categories)),
    ]
    if report.get("statistics"):
        parts.append(_section(f"{p}-statistics", "Statistics", _statistics(report)))
    if view.priming(report):
        parts.append(_section(f"{p}-priming", "Priming", render(tables.priming(report))))
    controls = tables.controls(report)
    if controls is not None:
        title = "Control questions (expected no)"
        parts.append(_section(f"{p}-controls", title, render(controls)))
    misalign = tables.misalign(report)
    if misalign is not None:
        parts.append(_section(f"{p}-misalign", "Mis-Align Bench", render(misalign)))
    parts.append(_section(f"{p}-plots", "Figures", _plots(report, draw)))
    series = view.lens_series(report)
    if series:
        parts.append(_section(f"{p}-lens", "Logit lens", _lens(report, series, draw)))
    parts.append(_section(f"{p}-misfires", "Misfired pairs", _misfires(report, limit)))
    title = f"Run {i}: {esc(view.model_name(report))} {badge}"
    return _section(p, title, "".join(parts), level=2)


def _side_by_side(reports: Sequence[Report], draw: bool) -> str:
    t, columns = tables.side_by_side(reports)
    full = {short: name for name, short in columns}
    header = [
        f'<abbr title="{esc(full[h])}">{esc(h)}</abbr>' if 0 < i <= len(columns) else esc(h)
        for i, h in enumerate(t.header)
    ]
    table = _table(header, [[esc(x) for x in r] for r in t.rows])
    if not draw:
        return table
    overall = [rows[-1] if (rows := view.category_rows(r, "base")) else None for r in reports]
    png = plots.mar_bars(
        [view.model_name(r) for r in reports],
        [o.metrics["mar"] if o else None for o in overall],
        [o.mar_ci if o else None for o in overall],
        "Overall MAR by model (95% Wilson interval)",
    )
    return table + _img(png, "Overall MAR by model")


def render_html(
    reports: Sequence[Report],
    comparison: Comparison | None = None,
    *,
    misfire_limit: int = 50,
    figures: bool = True,
) -> str:
    """The HTML page; ``figures=False`` (or no matplotlib) leaves the figures out."""
    if not reports:
        raise ValueError("nothing to render: no report given")
    draw = figures and plots.available()
    sections = []
    links = []
    if len(reports) > 1:
        sections.append(
            _section(
                "side-by-side", "Side by side (base variant)", _side_by_side(reports, draw), level=2
            )
        )
        links.append(("side-by-side", "side by side"))
    if comparison is not None:
        sections.append(
            _section("baseline", "Baseline comparison", _comparison(comparison), level=2)
        )
        links.append(("baseline", "baseline"))
    for i, report in enumerate(reports, 1):
        sections.append(_run(report, i, misfire_limit, draw))
        links.append((f"run{i}", f"run {i}: {view.model_name(report)}"))
    nav = "".join(f'<a href="#{ident}">{esc(label)}</a>' for ident, label in links)
    models = ", ".join(view.model_name(r) for r in reports)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>VETO report: {esc(models)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>VETO report</h1><p>{esc(models)}</p><nav>{nav}</nav></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )
