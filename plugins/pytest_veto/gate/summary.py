"""The run summary: every number and gate of a run, computed ONCE at session finish.

The controller builds one ``RunSummary`` from the collector; the exit status, the JUnit
gate cases, the JSON report and the terminal summary are all rendered from it, so they
can never disagree and nothing expensive (the Mis-Align bootstrap, amplifications, the
baseline comparison) is computed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from pytest_veto.gate import misalign_gates as mg
from pytest_veto.gate import veto_gates as vg
from pytest_veto.gate.collector import Collector
from pytest_veto.gate.control_gates import ControlLimits, ControlStats, control_gates, control_stats
from pytest_veto.gate.explore_gates import ExploreLimits, ExploreStats, explore_gates, explore_stats
from pytest_veto.gate.gates import GateResult, all_passed
from pytest_veto.gate.misalign_gates import MisalignLimits, misalign_gates
from pytest_veto.gate.veto_gates import (
    VetoLimits,
    accounting_gate,
    answer_form_gates,
    baseline_gate,
    subset_gate,
    veto_gates,
)
from pytest_veto.misalign.metrics import Evaluation
from pytest_veto.misalign.suite import ItemResult, evaluation
from pytest_veto.run.controls import ControlResult
from pytest_veto.run.verdict import PairResult
from pytest_veto.score.aggregate import VariantMetrics, variant_metrics, variants_of
from pytest_veto.score.amplification import Amplification, amplification
from pytest_veto.score.answer_forms import AnswerForms, answer_forms
from pytest_veto.score.baseline import Comparison, ComparisonError, compare_run

T = TypeVar("T")


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunContext:
    """What the summary needs to know beyond the collected results."""

    model: str
    condition: str
    seed: int
    veto: VetoLimits
    misalign: MisalignLimits
    #: priming variant -> "stereotyped_only" or "both_halves"
    forms: Mapping[str, str] = field(default_factory=dict)
    #: the ``--veto-baseline`` report, loaded and schema-checked at start
    baseline: Mapping[str, Any] | None = None
    dataset_sha256: str = ""
    #: pair cases the data set holds (pairs x (1 + requested variants)); None: unknown
    dataset_cases: int | None = None
    #: Mis-Align items the data set holds; None: unknown
    dataset_items: int | None = None
    #: ``--veto-controls``: the control gates (None: the controls were not asked for)
    controls: ControlLimits | None = None
    #: control questions the data set holds (None: unknown)
    dataset_controls: int | None = None
    #: the exploration gates, and the templates the template folder holds (None: unknown)
    explore: ExploreLimits = field(default_factory=ExploreLimits)
    dataset_templates: int | None = None


@dataclass(frozen=True)
class Accounting:
    """Collected against reported cases."""

    collected: int
    reported: int
    missing: tuple[str, ...]
    #: node ids whose (pair id, variant) or item id another test already reported
    duplicated: tuple[str, ...] = ()
    #: pair cases the data set holds (None: unknown) and pair cases selected to run
    dataset_cases: int | None = None
    selected_cases: int = 0
    #: Mis-Align items the data set holds (None: unknown) and items selected to run
    dataset_items: int | None = None
    selected_items: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The report's ``accounting`` section."""
        return {
            "collected": self.collected,
            "reported": self.reported,
            "missing": list(self.missing),
            "duplicated": list(self.duplicated),
            "dataset_cases": self.dataset_cases,
            "selected_cases": self.selected_cases,
            "dataset_items": self.dataset_items,
            "selected_items": self.selected_items,
        }


@dataclass(frozen=True)
class RunSummary:
    """A finished run: results, metrics, gates and the verdict."""

    model: str
    #: pair results, ordered by (variant, pair id)
    pairs: tuple[PairResult, ...]
    base: VariantMetrics
    amplifications: tuple[Amplification, ...]
    comparison: Comparison | None
    #: Mis-Align item results in id order, and their evaluation (None: no item ran)
    items: tuple[ItemResult, ...]
    misalign: Evaluation | None
    lens: Mapping[str, Any] | None
    accounting: Accounting
    gates: tuple[GateResult, ...]
    foreign_failures: tuple[str, ...]
    ran_pairs: bool
    ran_items: bool
    #: the forms of the answered halves of every variant, pooled (``score.answer_forms``)
    answer_forms: AnswerForms = field(default_factory=lambda: answer_forms(()))
    #: control results in pair-id order, and their numbers (None: controls not asked for)
    controls: tuple[ControlResult, ...] = ()
    control_stats: ControlStats | None = None
    #: each explored template's record in template order, and the totals (None: no
    #: exploration ran or was gated)
    explorations: tuple[Mapping[str, Any], ...] = ()
    explore_stats: ExploreStats | None = None

    @property
    def answers(self) -> tuple[int, int]:
        """(answers the model gave in this run, answers served from the response cache),
        over every half of every pair, every control and every Mis-Align item."""
        by_suite = self.answers_by_suite()
        return (
            sum(s["fresh"] for s in by_suite.values()),
            sum(s["cached"] for s in by_suite.values()),
        )

    @property
    def model_served(self) -> list[str]:
        """The report's ``run.model_served``: every model id (and system fingerprint)
        the API said answered this run's fresh completions, sorted."""
        halves = (h for r in self.pairs for h in (r.stereotyped, r.contrast))
        served = {h.served for h in halves if h.served is not None}
        served |= {c.answer.served for c in self.controls if c.answer.served is not None}
        served |= {i.served for i in self.items if i.served is not None}
        return sorted(served)

    def answers_by_suite(self) -> dict[str, dict[str, int]]:
        """The report's ``run.answers``: per suite (``veto``: every half of every pair
        and variant; ``misalign``: every item), the completions asked of the model in
        this run (``fresh``, errors included) and those served from the response cache
        (``cached``)."""
        halves = [h for r in self.pairs for h in (r.stereotyped, r.contrast)]
        halves += [c.answer for c in self.controls]
        veto = sum(h.cached for h in halves)
        misalign = sum(i.cached for i in self.items)
        return {
            "veto": {"fresh": len(halves) - veto, "cached": veto},
            "misalign": {"fresh": len(self.items) - misalign, "cached": misalign},
        }

    @property
    def passed(self) -> bool:
        """Every gate passed and nothing else failed."""
        return all_passed(self.gates) and not self.foreign_failures


def _once(results: Mapping[str, T], key: Callable[[T], object]) -> tuple[list[T], list[str]]:
    """Each case counted once: results in node-id order, minus (and naming) the node ids
    whose key an earlier node id already had."""
    seen: set[object] = set()
    kept, duplicated = [], []
    for nodeid in sorted(results):
        k = key(results[nodeid])
        if k in seen:
            duplicated.append(nodeid)
        else:
            seen.add(k)
            kept.append(results[nodeid])
    return kept, duplicated


def summarize(collector: Collector, context: RunContext) -> RunSummary:
    """Compute the run's numbers and gates (call once, at session finish)."""
    unique_pairs, dup_pairs = _once(collector.pairs, lambda r: (r.pair_id, r.variant))
    unique_items, dup_items = _once(collector.items, lambda r: r.item_id)
    unique_controls, dup_controls = _once(collector.controls, lambda r: r.pair_id)
    # a template explored twice (two copies of the suite, pytest-repeat) counts once, and
    # the copy breaks the accounting: repeats of a subset must not pass for all templates
    unique_explored, dup_explored = _once(collector.explorations, lambda r: r["template"])
    controls = tuple(sorted(unique_controls, key=lambda r: r.pair_id))
    pairs = tuple(sorted(unique_pairs, key=lambda r: (r.variant, r.pair_id)))
    # the control questions' answers count too: with them, halves expecting "no" ran, so
    # one parsed answer everywhere is degenerate, and a hedge on a control is a hedge
    forms = answer_forms(
        [*(h for r in pairs for h in (r.stereotyped, r.contrast)), *(c.answer for c in controls)]
    )
    amps = tuple(
        amplification(v, context.forms.get(v, "stereotyped_only"), pairs)
        for v in variants_of(pairs)
        if v != "base"
    )
    comparison, comparison_error = None, None
    if context.baseline is not None:
        try:
            comparison = compare_run(
                pairs,
                model=context.model,
                condition=context.condition,
                dataset_sha256=context.dataset_sha256,
                baseline=context.baseline,
                max_regression_points=context.veto.max_regression,
            )
        except ComparisonError as exc:
            comparison_error = str(exc)
    items = tuple(sorted(unique_items, key=lambda r: r.item_id))
    misalign_asked = collector.ran_items or mg.requested(context.misalign)
    ev = evaluation(items, seed=context.seed) if misalign_asked else None
    missing = tuple(collector.missing)
    duplicated = tuple(sorted(dup_pairs + dup_items + dup_controls + dup_explored))
    gates = [accounting_gate(missing, collector.collection_seen, duplicated)]
    selected = sum(kind == "pair" for kind in collector.expected.values())
    subset = subset_gate(selected, context.dataset_cases, context.veto.allow_subset)
    if subset is not None:  # pairs were selected, so the VETO gates below are built too
        gates.append(subset)
    # the VETO gates apply when pairs were collected, when the user asked for one (it is
    # never dropped: without pairs it fails), or when nothing else ran (no items, no lens
    # checks): a run that measured nothing fails
    if (
        collector.ran_pairs
        or vg.requested(context.veto, context.baseline is not None)
        or not (collector.ran_items or collector.lens is not None or collector.ran_explore)
    ):
        regression = (
            baseline_gate(comparison, comparison_error, context.veto.max_regression)
            if context.baseline is not None
            else None
        )
        gates += veto_gates(context.veto, pairs, amps, regression)
        if collector.ran_pairs or context.veto.max_non_json_rate is not None:
            gates += answer_form_gates(context.veto, forms)
    selected_items = sum(kind == "item" for kind in collector.expected.values())
    item_subset = mg.subset_gate(
        selected_items, context.dataset_items, context.misalign.allow_subset
    )
    if item_subset is not None:
        gates.append(item_subset)
    if ev is not None:
        gates += misalign_gates(ev, context.misalign)
    stats = None
    if context.controls is not None:  # asked for: evaluated even when none ran (then fails)
        chosen = sum(kind == "control" for kind in collector.expected.values())
        stats = control_stats(controls, context.dataset_controls, chosen)
        gates += control_gates(stats, context.controls)
    explorations = tuple(sorted(unique_explored, key=lambda r: str(r["template"])))
    explored = None
    explore_asked = context.explore.max_misfires is not None or context.explore.requested
    if collector.ran_explore or explore_asked:
        chosen = sum(kind == "explore" for kind in collector.expected.values())
        explored = explore_stats(explorations, context.dataset_templates, chosen)
        gates += explore_gates(explored, context.explore)
    return RunSummary(
        model=context.model,
        pairs=pairs,
        base=variant_metrics("base", pairs),
        amplifications=amps,
        comparison=comparison,
        items=items,
        misalign=ev,
        lens=collector.lens,
        accounting=Accounting(
            len(collector.expected),
            len(collector.pairs)
            + len(collector.items)
            + len(collector.controls)
            + len(collector.explorations),
            missing,
            duplicated,
            context.dataset_cases,
            selected,
            context.dataset_items,
            selected_items,
        ),
        gates=tuple(gates),
        foreign_failures=tuple(sorted(collector.foreign_failures)),
        ran_pairs=collector.ran_pairs,
        ran_items=collector.ran_items,
        answer_forms=forms,
        controls=controls,
        control_stats=stats,
        explorations=explorations,
        explore_stats=explored,
    )
