"""The report's tables as plain text cells, built once for the Markdown and HTML views.

Each builder reads a JSON report (or a baseline comparison) and returns a :class:`Table`:
header, rows of plain text (untrusted report text included, unescaped), which columns are
numeric, which rows are a pooled ``overall`` row, and pass/fail cells as :class:`Flag`.
Escaping and markup are the renderers' (``markdown.py``, ``html.py``).

Units: a metric reads as its option takes it: VETO's rates in percent (one decimal),
Mis-Align's scores as fractions (three decimals), and every MAR interval is the 95% Wilson
interval (see ``docs/explanation.md``, "One interval").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_veto.report import view
from pytest_veto.score.baseline import Comparison

Report = Mapping[str, Any]


@dataclass(frozen=True)
class Flag:
    """A verdict cell: ``text``, shown as a pass or as a failure."""

    passed: bool
    text: str


Cell = str | Flag


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    #: per column: right-aligned number
    numeric: tuple[bool, ...]
    #: per row: the pooled ``overall`` row (shown bold)
    pooled: tuple[bool, ...] = field(default=())

    @staticmethod
    def of(
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        numeric: Sequence[bool] | None = None,
        pooled: Sequence[bool] = (),
    ) -> Table:
        nums = tuple(numeric) if numeric is not None else tuple(i > 0 for i in range(len(header)))
        return Table(tuple(header), tuple(tuple(r) for r in rows), nums, tuple(pooled))


def _cols(spec: str) -> list[str]:
    """Column names, ``|``-separated."""
    return spec.split("|")


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def gates(report: Report) -> Table:
    return Table.of(
        ["gate", "value", "threshold", "verdict", "message"],
        [
            [
                str(g["name"]),
                "-" if g["value"] is None else f"{g['value']:g}",
                f"{g['threshold']:g}",
                Flag(bool(g["passed"]), "pass" if g["passed"] else "FAIL"),
                str(g["message"]),
            ]
            for g in view.gates(report)
        ],
        [False, True, True, False, False],
    )


def categories(report: Report, variant: str) -> Table:
    rows = view.category_rows(report, variant)
    return Table.of(
        _cols("category|n|a|b|c|d|err|MAR|95% CI (Wilson)|BR|acc st.|acc co."),
        [
            [
                r.name,
                *(str(r.metrics[k]) for k in ("n", "a", "b", "c", "d", "errors")),
                view.pct(r.metrics["mar"]),
                view.interval(r.mar_ci),
                view.pct(r.metrics["br"]),
                view.pct(r.metrics["acc_stereotyped"]),
                view.pct(r.metrics["acc_contrast"]),
            ]
            for r in rows
        ],
        pooled=[r.name == "overall" for r in rows],
    )


def statistics(report: Report, variant: str) -> Table:
    rows = [r for r in view.category_rows(report, variant) if r.stats is not None]
    body = []
    for r in rows:
        s = r.stats
        assert s is not None
        boot = s["bootstrap"]
        body.append(
            [
                r.name,
                str(s["b"]),
                str(s["c"]),
                view.pvalue(s["mcnemar_p"]),
                "-" if r.name == "overall" else view.pvalue(s["bh_adjusted_p"]),
                "yes" if s["significant"] else "no",
                *(
                    view.interval(ci)
                    for ci in (
                        s["wilson"]["mar"],
                        s["wilson"]["br"],
                        boot["mar"],
                        boot["br"],
                        boot["acc_stereotyped"],
                        boot["acc_contrast"],
                    )
                ),
            ]
        )
    return Table.of(
        _cols(
            "category|b|c|McNemar p (c > b)|BH q|significant|"
            "MAR Wilson|BR Wilson|MAR boot.|BR boot.|acc st. boot.|acc co. boot."
        ),
        body,
        [False, *[True] * 4, False, *[True] * 6],
        [r.name == "overall" for r in rows],
    )


def priming(report: Report) -> Table:
    return Table.of(
        _cols(
            "variant|form|base MAR|primed MAR|"
            "amplification|flips|unflips|McNemar p|flips by category"
        ),
        [
            [
                str(a["variant"]),
                str(a["form"]),
                view.pct(a["base_mar"]),
                view.pct(a["primed_mar"]),
                _ratio(a["amplification"]),
                str(a["flips"]),
                str(a["unflips"]),
                view.pvalue(a["mcnemar_p"]),
                ", ".join(f"{k}: {v}" for k, v in a["flips_by_category"].items()),
            ]
            for a in view.priming(report)
        ],
        [False, False, *[True] * 6, False],
    )


def misalign(report: Report) -> Table | None:
    """Mis-Align's scores overall, per dimension and per domain, with their 95% bootstrap
    intervals (fractions, as its options and gates take them); None when the run judged
    no Mis-Align item."""
    rows = view.misalign_rows(report)
    if not rows:
        return None

    def metric(m: Mapping[str, Any], name: str) -> list[str]:
        return [view.pct(m.get(name), 3), view.interval(m.get(f"{name}_ci95"), 3)]

    return Table.of(
        _cols("scope|n|TP|FN|FP|TN|err|Alignment Score|95% CI|Coverage|95% CI|FFR|95% CI"),
        [
            [
                name,
                *(str(m.get(k, 0)) for k in ("n", "tp", "fn", "fp", "tn", "errors")),
                *metric(m, "alignment_score"),
                *metric(m, "coverage"),
                *metric(m, "ffr"),
            ]
            for name, m in rows
        ],
        pooled=[name == "overall" for name, _ in rows],
    )


def controls(report: Report) -> Table | None:
    """The control questions (expected "no"): answers per category, yes_bias (percent of
    answered controls said yes) and accuracy (said no); None when none were asked."""
    rows = view.control_rows(report)
    if not rows:
        return None

    def share(counts: Mapping[str, int], answer: str) -> str:
        answered = sum(n for a, n in counts.items() if a != "error")
        return view.pct(100.0 * counts[answer] / answered if answered else None)

    return Table.of(
        _cols("scope|asked|yes|no|unknown|refused|errors|yes_bias %|accuracy %"),
        [
            [
                name,
                str(sum(counts.values())),
                *(str(counts[a]) for a in view.CONTROL_COLUMNS),
                share(counts, "yes"),
                share(counts, "no"),
            ]
            for name, counts in rows
        ],
        pooled=[name == "overall" for name, _ in rows],
    )


def comparison(c: Comparison) -> Table:
    return Table.of(
        _cols(
            "variant|pairs compared|baseline MAR|current MAR|"
            "difference (points)|newly misfiring|no longer|McNemar p|verdict"
        ),
        [
            [
                v.variant,
                str(v.compared),
                view.pct(v.baseline_mar),
                view.pct(v.current_mar),
                "-" if v.difference is None else f"{v.difference:+.1f}",
                str(v.newly_misfiring),
                str(v.no_longer_misfiring),
                view.pvalue(v.mcnemar_p),
                Flag(not v.regressed, "REGRESSED" if v.regressed else "no"),
            ]
            for v in c.variants
        ],
        [False, *[True] * 7, False],
    )


def new_misfires(c: Comparison) -> Table:
    return Table.of(
        ["pair", "variant", "category", "baseline outcome"],
        [[m.pair_id, m.variant, m.category, m.baseline_outcome] for m in c.new_misfires],
        [False] * 4,
    )


def lens(series: Mapping[str, Sequence[float | None]]) -> Table:
    return Table.of(
        ["curve", "layers", "peak layer", "peak gap", "final gap"], view.lens_rows(series)
    )


def side_by_side(reports: Sequence[Report]) -> tuple[Table, list[tuple[str, str]]]:
    """The published table (short category names as the header) and the full names."""
    columns, rows = view.side_by_side(reports)
    header = ["model", *(short for _, short in columns), "MAR", "BR", "acc st.", "acc co."]
    return Table.of(header, rows), columns
