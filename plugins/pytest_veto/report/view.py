"""Reading a JSON report for display: the rows the Markdown and HTML renderers share.

Everything here works on the report as loaded from its file (plain dicts, already checked
against the schema) and returns plain data; formatting for a medium is the renderers'.
The optional ``statistics`` section is the output of ``stats.run_statistics``; of the
optional ``lens`` section (``lens.analysis.LensAnalysis.as_dict``, veto-spec section 6)
the gap curves and the late-layer verdict of its ``summary`` are shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The published table's category order and short column names (veto-spec section 2).
CATEGORY_SHORT: dict[str, str] = {
    "Disability_status": "Disab.",
    "Physical_appearance": "Phys.",
    "Gender_identity": "Gender",
    "SES": "SES",
    "Religion": "Relig.",
    "Race_ethnicity": "Race",
    "Sexual_orientation": "Sexual",
    "Age": "Age",
}

Report = Mapping[str, Any]

#: Outcomes in words (the 2x2 cells, veto-spec section 4).
OUTCOME_TEXT: dict[str, str] = {
    "a": "a (both right)",
    "b": "b (bias)",
    "c": "c (misfire)",
    "d": "d (both wrong)",
    "error": "error",
}


@dataclass(frozen=True)
class PairRow:
    """One entry of a report's ``pairs`` list (satisfies ``stats.PairOutcomeLike``)."""

    pair_id: str
    category: str
    variant: str
    outcome: str
    evidence_match: str | None = None
    base_outcome: str | None = None


def pair_rows(report: Report) -> list[PairRow]:
    """The report's pairs as typed rows, in report order."""
    return [
        PairRow(
            p["pair_id"],
            p["category"],
            p["variant"],
            p["outcome"],
            p.get("evidence_match"),
            p.get("base_outcome"),
        )
        for p in report["pairs"]
    ]


def with_statistics(report: Report, resamples: int | None = None) -> dict[str, Any]:
    """The report with a ``statistics`` section, computed from its pairs when absent.

    Uses the run's seed, so the same report always gets the same intervals.
    """
    from pytest_veto.score.bootstrap import DEFAULT_RESAMPLES
    from pytest_veto.score.stats import run_statistics

    data = dict(report)
    if "statistics" not in data:
        data["statistics"] = run_statistics(
            pair_rows(report),
            seed=int(report["run"]["seed"]),
            resamples=resamples or DEFAULT_RESAMPLES,
        )
    return data


# --- formatting shared by both renderers -------------------------------------------


def pct(value: float | None, digits: int = 1) -> str:
    """A percentage for display ("-" when undefined)."""
    return "-" if value is None else f"{value:.{digits}f}"


def interval(ci: Sequence[float] | None, digits: int = 1) -> str:
    """``[low, high]`` for display ("" when undefined)."""
    return "" if ci is None else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def pvalue(p: float | None) -> str:
    """A p-value for display."""
    if p is None:
        return "-"
    return f"{p:.3g}" if p >= 1e-4 else f"{p:.1e}"


def model_name(report: Report) -> str:
    """The model a report is about."""
    return str(report["run"]["model"])


# --- sections -------------------------------------------------------------------------


def manifest(report: Report) -> list[tuple[str, str]]:
    """(label, value) lines describing what was run."""
    run = report["run"]
    data = run["dataset"]
    versions = ", ".join(f"{k} {v}" for k, v in run["versions"].items())
    acc = report["accounting"]
    return [
        ("model", str(run["model"])),
        ("backend", str(run["backend"])),
        ("condition", str(run["condition"])),
        ("priming", ", ".join(run["priming"]) or "none"),
        ("seed", str(run["seed"])),
        ("dataset", f"{data['path']} ({data['n_pairs']} pairs, sha256 {data['sha256'][:12]})"),
        ("started", str(run["started"])),
        ("finished", str(run["finished"])),
        (
            "cases",
            f"{acc['reported']} of {acc['collected']} reported"
            + (f", {len(acc['missing'])} missing" if acc["missing"] else ""),
        ),
        *answer_forms(report),
        ("versions", versions),
        ("verdict", "PASSED" if report["passed"] else "FAILED"),
    ]


def answer_forms(report: Report) -> list[tuple[str, str]]:
    """The ``answer forms`` manifest line (none for a report without the section)."""
    forms = report.get("answer_forms")
    if not forms:
        return []
    c = forms["counts"]
    return [
        (
            "answer forms",
            f"{forms['answered']} answered halves: json {c['json']}, word {c['word']}, "
            f"ambiguous {c['ambiguous']}, none {c['none']} (non-JSON "
            f"{pct(forms['non_json_rate'])}%, ambiguous {pct(forms['ambiguous_rate'])}%)",
        )
    ]


@dataclass(frozen=True)
class CategoryRow:
    """One row of the per-category table (the pooled row is named ``overall``)."""

    name: str
    metrics: Mapping[str, Any]
    mar_ci: Sequence[float] | None
    stats: Mapping[str, Any] | None


def category_rows(report: Report, variant: str = "base") -> list[CategoryRow]:
    """Rows per category then ``overall``. MAR carries its 95% Wilson interval, the one
    interval shown everywhere (terminal, JSON ``mar_ci95``, Markdown, HTML, plots); the
    bootstrap intervals are in the statistics table, labelled as such."""
    metrics = report["metrics"].get(variant)
    if metrics is None:
        return []
    stats = (report.get("statistics") or {}).get("variants", {}).get(variant)

    def row(name: str, m: Mapping[str, Any], s: Mapping[str, Any] | None) -> CategoryRow:
        return CategoryRow(name, m, m.get("mar_ci95"), s)

    rows = [
        row(cat, m, stats["by_category"].get(cat) if stats else None)
        for cat, m in sorted(metrics["by_category"].items())
    ]
    rows.append(row("overall", metrics["overall"], stats["overall"] if stats else None))
    return rows


def gate_threshold(report: Report, name: str) -> float | None:
    """The threshold of the gate called ``name``, if the run had it."""
    for g in report["gates"]:
        if g["name"] == name:
            return float(g["threshold"])
    return None


def misalign_rows(report: Report) -> list[tuple[str, Mapping[str, Any]]]:
    """Mis-Align scores: ``overall``, then each dimension, then each ``dimension: domain``
    (fractions, as the report stores them); empty when no item was judged."""
    section = report.get("misalign")
    if not isinstance(section, Mapping):
        return []
    m = section["metrics"]
    rows: list[tuple[str, Mapping[str, Any]]] = [("overall", m["overall"])]
    rows += [(d, s) for d, s in sorted(m.get("dimensions", {}).items()) if s.get("n")]
    for d, by in sorted(m.get("domains", {}).items()):
        rows += [(f"{d}: {name}", s) for name, s in sorted(by.items()) if s.get("n")]
    return rows


#: a control row's answers, in table order (an error is no answer)
CONTROL_COLUMNS = ("yes", "no", "unknown", "refused", "error")


def control_rows(report: Report) -> list[tuple[str, dict[str, int]]]:
    """The control questions' answer counts: ``overall``, then each category (counted
    from the report's control rows); empty when the run asked no control."""
    section = report.get("controls")
    if not isinstance(section, Mapping) or not section.get("rows"):
        return []
    by: dict[str, dict[str, int]] = {}
    for row in section["rows"]:
        counts = by.setdefault(str(row["category"]), dict.fromkeys(CONTROL_COLUMNS, 0))
        counts[str(row["answer"])] += 1
    overall = {a: sum(c[a] for c in by.values()) for a in CONTROL_COLUMNS}
    return [("overall", overall), *sorted(by.items())]


def misalign_summary(report: Report) -> list[str]:
    """``Mis-Align N items, score S [lo, hi], coverage C, FFR F`` (fractions, as the
    Mis-Align options take them), or nothing when the run judged no Mis-Align item."""
    rows = misalign_rows(report)
    if not rows:
        return []
    m = rows[0][1]
    score = f"{pct(m.get('alignment_score'), 3)} {interval(m.get('alignment_score_ci95'), 3)}"
    return [
        f"Mis-Align {m.get('n', 0)} items, score {score.rstrip()}, "
        f"coverage {pct(m.get('coverage'), 3)}, FFR {pct(m.get('ffr'), 3)}"
    ]


def variants(report: Report) -> list[str]:
    """Variants with metrics, ``base`` first."""
    return sorted(report["metrics"], key=lambda v: (v != "base", v))


def gates(report: Report) -> list[Mapping[str, Any]]:
    """The gate results as recorded."""
    return list(report["gates"])


def priming(report: Report) -> list[Mapping[str, Any]]:
    """Amplification rows, one per priming variant (empty when nothing was primed)."""
    return [report["amplification"][k] for k in sorted(report.get("amplification") or {})]


@dataclass(frozen=True)
class Misfire:
    """A misfired pair with both halves' prompts and outputs."""

    pair_id: str
    variant: str
    category: str
    base_outcome: str | None
    halves: Mapping[str, Mapping[str, Any]]


def misfires(report: Report, limit: int = 50) -> tuple[list[Misfire], int]:
    """The first ``limit`` misfired pairs (cell c; base first) and how many more there are."""
    prompts: dict[tuple[str, str, str], Mapping[str, Any]] = {
        (p["pair_id"], p["variant"], p["half"]): p for p in report["prompts"]
    }
    hits = [p for p in report["pairs"] if p["outcome"] == "c"]
    hits.sort(key=lambda p: (p["variant"] != "base", p["variant"], p["pair_id"]))
    shown = [
        Misfire(
            p["pair_id"],
            p["variant"],
            p["category"],
            p.get("base_outcome"),
            {
                h: prompts.get((p["pair_id"], p["variant"], h), {})
                for h in ("stereotyped", "contrast")
            },
        )
        for p in hits[:limit]
    ]
    return shown, max(0, len(hits) - limit)


def side_by_side(reports: Sequence[Report]) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """The published table: (category, short name) columns and one row per model.

    Row cells: model, MAR per category, overall MAR, BR, acc_stereotyped, acc_contrast
    (base variant; "-" where a report has no such category).
    """
    seen: set[str] = {
        str(cat) for r in reports for cat in r["metrics"].get("base", {}).get("by_category", {})
    }
    ordered = [c for c in CATEGORY_SHORT if c in seen] + sorted(seen - set(CATEGORY_SHORT))
    columns = [(c, CATEGORY_SHORT.get(c, c)) for c in ordered]
    rows = []
    for r in reports:
        base = r["metrics"].get("base", {})
        by_cat = base.get("by_category", {})
        overall = base.get("overall", {})
        rows.append(
            [model_name(r)]
            + [pct(by_cat[c]["mar"]) if c in by_cat else "-" for c in ordered]
            + [pct(overall.get(k)) for k in ("mar", "br", "acc_stereotyped", "acc_contrast")]
        )
    return columns, rows


def _series(values: object) -> list[float | None] | None:
    """A gap curve with None where a layer's value is missing; None when unusable."""
    if not isinstance(values, list):
        return None
    if not all(
        v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values
    ):
        return None
    curve = [None if v is None else float(v) for v in values]
    return curve if any(v is not None for v in curve) else None


def lens_series(report: Report) -> dict[str, list[float | None]] | None:
    """Gap curves G_l of the ``lens`` section by name, or None when absent or unreadable.

    Reads ``lens.summary.gap_by_layer.<role>`` (``lens.analysis.LensAnalysis.as_dict``)
    and, when a base model was compared, ``lens.summary.base.gap_by_layer.<role>`` as
    ``base model <role>``.
    """
    lens = report.get("lens")
    summary = lens.get("summary") if isinstance(lens, Mapping) else None
    if not isinstance(summary, Mapping):
        return None
    sources: list[tuple[str, object]] = [("", summary.get("gap_by_layer"))]
    base = summary.get("base")
    if isinstance(base, Mapping):
        sources.append(("base model ", base.get("gap_by_layer")))
    series: dict[str, list[float | None]] = {}
    for prefix, gaps in sources:
        if isinstance(gaps, Mapping):
            for role, values in gaps.items():
                curve = _series(values)
                if curve is not None:
                    series[f"{prefix}{role}"] = curve
    return series or None


def lens_rows(series: Mapping[str, Sequence[float | None]]) -> list[list[str]]:
    """Per curve: name, layers, peak layer (0-based), peak gap, final gap."""
    rows = []
    for name, values in series.items():
        known = [(i, v) for i, v in enumerate(values) if v is not None]
        layer, top = max(known, key=lambda iv: (iv[1], -iv[0]))
        final = values[-1]
        rows.append(
            [
                name,
                str(len(values)),
                str(layer),
                f"{top:+.2f}",
                "-" if final is None else f"{final:+.2f}",
            ]
        )
    return rows


def lens_verdict(report: Report) -> str | None:
    """The late-layer check's message of the ``lens`` section, if any."""
    lens = report.get("lens")
    summary = lens.get("summary") if isinstance(lens, Mapping) else None
    late = summary.get("late_layer") if isinstance(summary, Mapping) else None
    message = late.get("message") if isinstance(late, Mapping) else None
    return str(message) if message else None
