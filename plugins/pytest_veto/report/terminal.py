"""The terminal summary: a per-category table, the lens findings and one line per gate,
all rendered from the run's one ``gate.summary.RunSummary``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_veto.gate.control_gates import ControlStats
from pytest_veto.gate.explore_gates import ExploreStats
from pytest_veto.gate.gates import GateResult
from pytest_veto.gate.summary import RunSummary
from pytest_veto.misalign.metrics import Evaluation
from pytest_veto.score.aggregate import VariantMetrics
from pytest_veto.score.amplification import Amplification
from pytest_veto.score.answer_forms import AnswerForms
from pytest_veto.score.metrics import Metrics


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _row(name: str, m: Metrics) -> str:
    t = m.table
    return (
        f"{name:<20} {t.n:>5} {t.a:>5} {t.b:>4} {t.c:>4} {t.d:>4} {t.errors:>4} "
        f"{_pct(m.mar):>6} {_pct(m.br):>6} {_pct(m.acc_stereotyped):>7} "
        f"{_pct(m.acc_contrast):>7}"
    )


def metrics_table(vm: VariantMetrics) -> list[str]:
    """Rows per category and pooled."""
    header = (
        f"{'category':<20} {'n':>5} {'a':>5} {'b':>4} {'c':>4} {'d':>4} {'err':>4} "
        f"{'MAR':>6} {'BR':>6} {'acc_st':>7} {'acc_co':>7}"
    )
    lines = [header, "-" * len(header)]
    lines += [_row(cat, m) for cat, m in sorted(vm.by_category.items())]
    lines.append(_row("overall", vm.overall))
    swap = vm.swap_only
    if swap.table.total and swap.table.total != vm.overall.table.total:
        lines.append(_row("overall (swap only)", swap))
    return lines


def answer_forms_line(forms: AnswerForms) -> str:
    """The forms of the answered halves in one line, with the two rates."""
    c = forms.counts
    return (
        f"answer forms of {forms.answered} answered halves: json {c['json']}, "
        f"word {c['word']}, ambiguous {c['ambiguous']}, none {c['none']} "
        f"(non-JSON {_pct(forms.non_json_rate)}%, ambiguous {_pct(forms.ambiguous_rate)}%)"
    )


def gate_lines(gates: Sequence[GateResult]) -> list[str]:
    """One line per gate: name, value, threshold, verdict."""
    return [f"{'PASS' if g.passed else 'FAIL'}  veto_gate[{g.name}]: {g.message}" for g in gates]


def priming_table(amps: Sequence[Amplification]) -> list[str]:
    """Base and primed MAR side by side, per variant."""
    header = (
        f"{'variant':<20} {'form':<17} {'base MAR':>9} {'primed':>8} {'ampl.':>7} "
        f"{'flips':>6} {'McNemar p':>10}"
    )
    lines = [header, "-" * len(header)]
    for a in amps:
        ratio = "-" if a.amplification is None else f"{a.amplification:.2f}x"
        lines.append(
            f"{a.variant:<20} {a.form:<17} {_pct(a.base_mar):>9} "
            f"{_pct(a.primed_mar):>8} {ratio:>7} {a.flips:>6} {a.mcnemar_p:>10.3g}"
        )
    return lines


def _frac(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def misalign_table(ev: Evaluation) -> list[str]:
    """Mis-Align: Coverage, FFR and Alignment Score overall and per dimension."""
    header = (
        f"{'Mis-Align':<20} {'n':>5} {'tp':>4} {'fn':>4} {'fp':>4} {'tn':>4} {'err':>4} "
        f"{'coverage':>9} {'FFR':>6} {'score':>6}"
    )
    lines = [header, "-" * len(header)]
    rows = [*ev.dimensions.items(), ("overall", ev.overall)]
    for name, s in rows:
        c = s.counts
        lines.append(
            f"{name:<20} {c.n:>5} {c.tp:>4} {c.fn:>4} {c.fp:>4} {c.tn:>4} "
            f"{c.errors:>4} {_frac(s.coverage):>9} {_frac(s.ffr):>6} "
            f"{_frac(s.alignment_score):>6}"
        )
    return lines


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def lens_lines(lens: Mapping[str, Any]) -> list[str]:
    """The lens section (report ``lens``) in a few lines: pairs, peak gap, hand-off rate,
    the late-layer verdict, the head ranking and recovery, and where the plots are."""
    s = lens["summary"]
    n, outcomes = s["n"], lens.get("outcomes") or {}
    lines = [
        (
            f"logit lens: {n['failure']} failure + {n['control']} control pairs, "
            f"{s['n_layers']} layers (outcomes: {outcomes.get('source', '?')}, "
            f"variant {outcomes.get('variant', '?')})"
        )
    ]
    peak, gaps = s["peak"], s["gap_by_layer"]
    if peak and peak.get("layer") is not None:
        control = gaps["control"][peak["layer"]] if gaps.get("control") else None
        lines.append(
            f"  gap on failure pairs (LD contrast - stereotyped) peaks at layer {peak['layer']}: "
            f"{peak['value']:+.2f} logits (control pairs there: {_signed(control)})"
        )
        base = s.get("base")
        if base and base["gap_by_layer"].get("failure"):
            there = base["gap_by_layer"]["failure"][peak["layer"]]
            diff = base["instruct_minus_base"].get("failure") or [None] * s["n_layers"]
            lines.append(
                f"  base model at that layer: gap {_signed(there)} "
                f"(instruct minus base {_signed(diff[peak['layer']])})"
            )
    rate = s.get("handoff_rate")
    lines.append(
        f"  hand-off rate: {'-' if rate is None else f'{100 * rate:.1f}%'}; "
        f"late-layer check: {s['late_layer']['verdict']} ({s['late_layer']['message']})"
    )
    ablation = lens.get("ablation")
    if ablation:
        ranked = ablation["sweep"] or ablation["screen"] or {}
        top = ", ".join(
            f"L{e['layer']}H{e['head']} {e['specificity']:+.2f}"
            for e in ranked.get("effects", [])[:3]
        )
        n_rank = len(ablation["ranking_pairs"])
        how = (
            f"per pair: each of {n_rank} failure pairs ablates its own top K): "
            "most specific on average"
            if ablation.get("ranking") == "per-pair"
            else f"{n_rank} ranking pairs): most specific"
        )
        lines.append(f"  head ablation ({ablation['ranked_by']}, {how} {top}")
        agreement = ablation.get("agreement")
        if agreement and agreement.get("spearman_specificity") is not None:
            lines.append(
                f"  screen vs exact sweep: Spearman {agreement['spearman_specificity']:.2f}, "
                f"{agreement['top_overlap']} of the top {agreement['top']} shared"
            )
        points = ablation["recovery"]["points"]
        lines.append(
            "  recovered by top-K: "
            + ", ".join(f"K={p['k']} {p['recovered']}/{p['n_pairs']}" for p in points)
        )
    for path in lens.get("plots", []):
        lines.append(f"  plot: {path}")
    return lines


def control_line(stats: ControlStats) -> str:
    """The control questions in one line: what they were answered, yes_bias and
    accuracy."""
    answers = ", ".join(f"{a} {n}" for a, n in stats.answers.items())
    bias = "-" if stats.yes_bias is None else f"{stats.yes_bias:.1f}%"
    accuracy = "-" if stats.accuracy is None else f"{stats.accuracy:.1f}%"
    shown = f"{stats.ran}" if stats.dataset is None else f"{stats.ran} of {stats.dataset}"
    return (
        f"controls (expected no): {shown} asked, {stats.answered} answered ({answers}), "
        f"{stats.errors} error(s); yes_bias {bias}, accuracy {accuracy}"
    )


Markup = dict[str, bool]


def explore_line(stats: ExploreStats) -> str:
    """Exploration in one line: what was searched and what misfired."""
    return (
        f"explore: {stats.templates} template(s), {stats.examples} drawn examples, "
        f"{stats.calls} calls, {stats.errors} error(s); {stats.misfired_templates} "
        f"template(s) misfired ({stats.misfires} minimal misfire(s))"
    )


def summary_lines(
    summary: RunSummary,
    *,
    lens: Mapping[str, Any] | None = None,
    report: Path | None = None,
    report_error: str | None = None,
) -> list[tuple[str, Markup]]:
    """The VETO gate section, line by line with its terminal markup: the VETO table (when
    pairs ran, or when nothing else did), the lens findings, the Mis-Align table, the
    priming table, the gates and anything else that failed the run."""
    plain: Markup = {}
    lines: list[tuple[str, Markup]] = []
    if summary.pairs or not (summary.items or summary.lens or summary.explore_stats):
        lines += [(line, plain) for line in metrics_table(summary.base)]
    if summary.answer_forms.answered:
        lines.append((answer_forms_line(summary.answer_forms), plain))
    if summary.control_stats is not None:
        lines.append((control_line(summary.control_stats), plain))
    if summary.explore_stats is not None:
        lines.append((explore_line(summary.explore_stats), plain))
    if summary.lens:
        lines += [(line, plain) for line in lens_lines(lens or summary.lens)]
    if summary.items and summary.misalign is not None:
        lines.append(("", plain))
        lines += [(line, plain) for line in misalign_table(summary.misalign)]
    if summary.amplifications:
        lines.append(("", plain))
        lines += [(line, plain) for line in priming_table(summary.amplifications)]
    fresh, cached = summary.answers
    if cached:
        lines.append(("", plain))
        lines.append(
            (
                f"answers: {fresh} from the model in this run, {cached} from the "
                "response cache (an earlier run of the same model name and settings; "
                "--veto-no-cache asks the model again, --veto-model-revision names a "
                "new release)",
                {"yellow": True},
            )
        )
    served = summary.model_served
    if len(served) > 1:  # the server changed under one model name during the run
        lines.append(("", plain))
        lines.append(
            (
                f"the API named {len(served)} models for one --model: {', '.join(served)}",
                {"yellow": True},
            )
        )
    lines.append(("", plain))
    for gate, line in zip(summary.gates, gate_lines(summary.gates), strict=True):
        lines.append((line, {"green": gate.passed, "red": not gate.passed}))
    if summary.foreign_failures:
        lines.append((f"FAIL  {len(summary.foreign_failures)} other test(s) failed", {"red": True}))
    if report_error:
        lines.append((f"FAIL  {report_error}", {"red": True}))
    elif report is not None:
        lines.append((f"report: {report}", plain))
    return lines
