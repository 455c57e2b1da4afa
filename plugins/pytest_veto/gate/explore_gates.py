"""The exploration gates (``-m explore``): what exploring the templates found, and the
gates on it.

A misfire found by exploring fails its template's test, and the run: exploring is asked
for, so what it finds counts, at most ``--veto-explore-max-misfires`` templates (default
0) may misfire. Like every gate these fail closed: a requested misfire limit with no
template explored fails, so do examples lost to errors beyond the run's error limit
(an outage hides misfires: an errored example is rejected, never a counterexample), and
a ``-k``/``--deselect`` subset of the templates (without ``--veto-allow-subset``).
Pure functions: records and limits in, numbers and checked gates out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_veto.gate.gates import GateResult, GateSpec, check, percent, subset_check


@dataclass(frozen=True)
class ExploreLimits:
    """The exploration gates of a run."""

    #: ``--veto-explore-max-misfires``: templates that may misfire (None: not given, so 0
    #: when exploration ran, and no gate when it did not)
    max_misfires: int | None = None
    #: the run's error limit (``--veto-max-error-rate``), in percent of drawn examples
    max_error_rate: float = 0.0
    allow_subset: bool = False
    #: ``--veto-explore``: exploration was asked for, so it must happen (a ``-k`` or
    #: ``-m`` that deselects every template fails the run instead of dropping the gates)
    requested: bool = False


@dataclass(frozen=True)
class ExploreStats:
    """What exploring found, over the templates explored."""

    #: templates the data holds (None: unknown) and those selected to explore
    dataset: int | None
    selected: int
    templates: int
    examples: int
    errors: int
    calls: int
    #: answered examples with the contrast half right (the only ones that could misfire)
    informative: int
    #: templates with at least one misfire, and distinct minimal misfires in all
    misfired_templates: int
    misfires: int

    @property
    def error_rate(self) -> float | None:
        """Percent of drawn examples lost to an errored call (None: none drawn)."""
        return percent(self.errors, self.examples)

    def as_dict(self) -> dict[str, Any]:
        """The report's ``explore`` totals."""
        return {
            "dataset": self.dataset,
            "selected": self.selected,
            "templates": self.templates,
            "examples": self.examples,
            "errors": self.errors,
            "informative": self.informative,
            "calls": self.calls,
            "misfired_templates": self.misfired_templates,
            "misfires": self.misfires,
        }


def explore_stats(
    records: Sequence[Mapping[str, Any]], dataset: int | None, selected: int
) -> ExploreStats:
    """The totals of the explored templates' records."""
    return ExploreStats(
        dataset=dataset,
        selected=selected,
        templates=len(records),
        examples=sum(r["examples"] for r in records),
        errors=sum(r["errors"] for r in records),
        informative=sum(r["informative"] for r in records),
        calls=sum(r["calls"] for r in records),
        misfired_templates=sum(bool(r["misfires"]) for r in records),
        misfires=sum(len(r["misfires"]) for r in records),
    )


def explore_gates(stats: ExploreStats, limits: ExploreLimits) -> list[GateResult]:
    """The error-rate gate, the gate on examples that could misfire (when templates were
    explored), the misfire gate (when exploration ran or was asked for), and the subset
    gate."""
    none = "no template was explored" if not stats.templates else "no example was drawn"
    out = [
        check(
            GateSpec("explore_max_error_rate", "explore error rate", limits.max_error_rate),
            stats.error_rate,
            f"{stats.errors} of {stats.examples} drawn examples errored"
            if stats.examples
            else none,
        )
    ]
    limit = limits.max_misfires
    if stats.templates:  # a model that never answers a contrast half right cannot misfire
        spec = GateSpec("explore_min_informative", "examples that could misfire", 1, "min", "")
        note = "answered examples with the contrast half right, over every template"
        out.append(check(spec, float(stats.informative), note))
    if limit is not None or stats.selected or limits.requested:
        spec = GateSpec("explore_max_misfires", "templates misfiring", limit or 0, "max", "")
        value = float(stats.misfired_templates) if stats.templates else None
        note = f"{stats.misfired_templates} of {stats.templates} explored templates misfired"
        out.append(check(spec, value, note if stats.templates else none))
    subset = subset_check(
        "all_templates_selected",
        "templates",
        stats.selected,
        stats.dataset,
        limits.allow_subset,
        "-k, --deselect, ...",
    )
    if subset is not None:
        out.append(subset)
    return out
