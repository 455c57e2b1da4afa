"""The controller: collects pair results from reports, accounts for every collected case,
checks the gates, and produces the exit status, JUnit gate cases and the JSON report.

It only reads test reports, so it works the same in-process and as the pytest-xdist
controller (where tests run in workers and only reports come back).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pytest_veto.gate.gates import GateResult, GateSpec, all_passed, check
from pytest_veto.misalign.metrics import Evaluation
from pytest_veto.misalign.suite import ItemResult, MisalignGates
from pytest_veto.misalign.suite import evaluation as misalign_evaluation
from pytest_veto.misalign.suite import gates as misalign_gates
from pytest_veto.run.verdict import PairResult
from pytest_veto.score.aggregate import table_of, variant_metrics, variants_of
from pytest_veto.score.amplification import Amplification, amplification
from pytest_veto.score.baseline import Comparison, ComparisonError, compare_reports
from pytest_veto.score.stats import wilson_interval
from pytest_veto.settings import RunSettings

#: Test functions whose parameters are VETO cases (reserved names in model suites).
CASE_NODEID = re.compile(r"::(test_pair|test_misalign_item)\[[^\]]+\]$")


def is_case_nodeid(nodeid: str) -> bool:
    """Is this node id a model case: a VETO pair (``...::test_pair[<case id>]``) or a
    Mis-Align item (``...::test_misalign_item[<item id>]``)?"""
    return CASE_NODEID.search(nodeid) is not None


def is_item_nodeid(nodeid: str) -> bool:
    """Is this node id a Mis-Align item case?"""
    return "::test_misalign_item[" in nodeid


def _upper(successes: int, n: int) -> float | None:
    interval = wilson_interval(successes, n)
    return None if interval is None else interval[1]


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _is_verdict(when: str, wire: dict[str, Any] | None) -> bool:
    """Is this failure the case's own verdict (a misfire's or a misjudged item's call, an
    errored pair's or item's setup)?"""
    if wire is None:
        return False
    if "item_id" in wire:  # a Mis-Align item
        errored = wire.get("verdict") == "error"
        wrong = not errored and wire.get("verdict") != wire.get("label")
        return (when == "call" and wrong) or (when == "setup" and errored)
    outcome = wire.get("outcome")
    return (when == "call" and outcome == "c") or (when == "setup" and outcome == "error")


@dataclass
class Controller:
    """Aggregates a run on the controller (or the single process without xdist)."""

    settings: RunSettings
    started: str = field(default_factory=now_iso)
    expected: set[str] = field(default_factory=set)
    results: dict[str, PairResult] = field(default_factory=dict)
    foreign_failures: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    collection_seen: bool = False
    #: priming variant -> "stereotyped_only" or "both_halves"
    forms: dict[str, str] = field(default_factory=dict)
    #: the ``--veto-baseline`` report, loaded and schema-checked at start
    baseline: dict[str, Any] | None = None
    #: the data's hash, for the baseline comparison's notes (set by the gatekeeper)
    dataset_sha256: str = ""
    item_results: dict[str, ItemResult] = field(default_factory=dict)
    #: the report's ``lens`` section (from the lens checks' reports)
    lens: dict[str, Any] | None = None
    misalign_limits: MisalignGates = field(default_factory=MisalignGates)

    # --- inputs -------------------------------------------------------------
    def collected(self, nodeids: list[str]) -> None:
        """Node ids collected (after deselection) by this process or by an xdist worker."""
        self.collection_seen = True
        self.expected.update(n for n in nodeids if is_case_nodeid(n))

    def report(self, nodeid: str, failed: bool, wire: dict[str, Any] | None,
               when: str = "call") -> None:
        """One test report (any phase); ``wire`` is the pair result it carries, if any."""
        if failed and is_case_nodeid(nodeid):
            if not _is_verdict(when, wire):
                # a crash, a lost verdict, an error outside the verdict: the result cannot
                # be trusted, so the case counts as unaccounted
                self.broken.add(nodeid)
                self.results.pop(nodeid, None)
                self.item_results.pop(nodeid, None)
        elif failed:
            # a case's own failures are judged by the gates; anything else fails the run
            self.foreign_failures.add(nodeid)
        if wire is not None and nodeid not in self.broken:
            if "item_id" in wire:
                self.item_results[nodeid] = ItemResult(**wire)
            else:
                self.results[nodeid] = PairResult.from_wire(wire)

    # --- outputs ------------------------------------------------------------
    @property
    def missing(self) -> list[str]:
        """Collected cases that produced no result (crashed worker, lost report, plugin bug)."""
        return sorted(self.expected - set(self.results) - set(self.item_results))

    def pair_results(self) -> list[PairResult]:
        """Results in a deterministic order."""
        return sorted(self.results.values(), key=lambda r: (r.variant, r.pair_id))

    def gates(self) -> list[GateResult]:
        """Accounting, then the VETO gates (when pairs were collected, or when nothing else
        ran -- no items, no lens checks: a run that measured nothing fails), then the
        Mis-Align gates (when items were). Lens checks gate as tests of their own."""
        items = any(is_item_nodeid(n) for n in self.expected)
        pairs = any(not is_item_nodeid(n) for n in self.expected)
        results = [self._accounting_gate()]
        if pairs or not (items or self.lens is not None):
            results += self._veto_gates()
        if items:
            results += misalign_gates(self.misalign_results(), self.misalign_limits,
                                      self.misalign_evaluation())
        return results

    def misalign_results(self) -> list[ItemResult]:
        """Mis-Align item results in id order."""
        return sorted(self.item_results.values(), key=lambda r: r.item_id)

    def misalign_evaluation(self) -> Evaluation:
        """Coverage, FFR, Alignment Score of the items answered."""
        return misalign_evaluation(self.misalign_results(), seed=self.settings.seed)

    def _accounting_gate(self) -> GateResult:
        missing = self.missing
        note = ""
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            note = f"no result for: {shown}"
        elif not self.collection_seen:
            note = "collection was never reported"
        return check(GateSpec("all_pairs_accounted", "cases without a result", 0, "max", ""),
                     float(len(missing)) if self.collection_seen else None, note)

    def _veto_gates(self) -> list[GateResult]:
        s = self.settings
        base = variant_metrics("base", self.pair_results()).overall
        # errors of every variant count: a primed half that failed must not vanish from
        # the primed metrics and leave the gate green
        pooled = table_of(self.results.values())
        error_rate = 100.0 * pooled.errors / pooled.total if pooled.total else None
        results = [
            check(GateSpec("min_pairs", "answered pairs", s.min_pairs, "min", ""),
                  float(base.table.n)),
            check(GateSpec("max_error_rate", "error rate", s.max_error_rate),
                  error_rate, "no pairs ran" if error_rate is None else
                  (f"{pooled.errors} of {pooled.total} cases, all variants"
                   if len(variants_of(self.results.values())) > 1 else "")),
        ]
        upper = s.gate_on == "upper"
        t = base.table
        if s.mar_max is not None:
            value = _upper(t.c, t.a + t.c) if upper else base.mar
            metric = "MAR (upper 95% bound)" if upper else "MAR"
            results.append(check(GateSpec("mar_max", metric, s.mar_max), value))
        if s.br_max is not None:
            value = _upper(t.b, t.a + t.b) if upper else base.br
            metric = "BR (upper 95% bound)" if upper else "BR"
            results.append(check(GateSpec("br_max", metric, s.br_max), value))
        if self.baseline is not None:
            results.append(self._baseline_gate())
        # one gate per requested variant, also when none of its cases ran (then it fails)
        amps = {a.variant: a for a in self.amplifications()}
        for name in dict.fromkeys([*s.priming, *amps]):
            amp = amps.get(name)
            missing = "" if amp is not None else "no primed results"
            if s.amplification_max is not None:
                results.append(check(
                    GateSpec(f"amplification_max:{name}", f"amplification ({name})",
                             s.amplification_max, "max", "x"),
                    amp.amplification if amp else None,
                    missing or ("base MAR is 0" if amp and amp.base_mar == 0 else "")))
            limit = (s.primed_mar_max or {}).get(name, (s.primed_mar_max or {}).get("*"))
            if limit is not None:
                results.append(check(GateSpec(f"primed_mar_max:{name}",
                                              f"primed MAR ({name})", limit),
                                     amp.primed_mar if amp else None, missing))
        if s.strict:
            misfires = sum(r.misfired for r in self.results.values())
            results.append(check(GateSpec("strict", "misfired pairs", 0, "max", ""),
                                 float(misfires)))
        return results

    def comparison(self) -> Comparison | None:
        """This run against ``--veto-baseline`` (None without one)."""
        if self.baseline is None:
            return None
        from pytest_veto.report.json_report import SCHEMA_VERSION, pair_rows

        run = {"model": self.settings.model, "condition": self.settings.condition,
               "dataset": {"sha256": self.dataset_sha256}}
        current = {"schema_version": SCHEMA_VERSION, "run": run,
                   "pairs": pair_rows(self.pair_results())}
        return compare_reports(current, self.baseline,
                               max_regression_points=self.settings.max_regression)

    def _baseline_gate(self) -> GateResult:
        """Fails when MAR rose by more than the allowance *and* the rise is significant."""
        spec = GateSpec("baseline_regression", "MAR rise over the baseline",
                        self.settings.max_regression, "max", " points")
        try:
            comparison = self.comparison()
        except ComparisonError as exc:
            return check(spec, None, str(exc))
        assert comparison is not None
        parts = []
        for v in comparison.variants:
            rise = "-" if v.difference is None else f"{v.difference:+.2f} points"
            parts.append(f"{v.variant}: {rise}, {v.newly_misfiring} newly misfiring, "
                         f"p={v.mcnemar_p:.3g}{' REGRESSED' if v.regressed else ''}")
        base = comparison.variant("base")
        value = base.difference if base is not None else None
        if value is None:  # a rise that cannot be computed is no evidence of none
            return check(spec, None, "the base MAR of this run or of the baseline is "
                         "undefined; " + "; ".join(parts))
        verdict = "FAIL" if comparison.regressed else "pass"
        message = (f"MAR rise over the baseline ({comparison.baseline_model}), allowed "
                   f"{spec.threshold:g} points unless not significant: {verdict}; "
                   + "; ".join(parts))
        return GateResult(spec.name, spec.metric, spec.threshold, value,
                          not comparison.regressed, message)

    def amplifications(self) -> list[Amplification]:
        """Primed MAR and amplification of every priming variant that ran."""
        results = self.pair_results()
        return [amplification(v, self.forms.get(v, "stereotyped_only"), results)
                for v in variants_of(results) if v != "base"]

    def passed(self, gates: list[GateResult]) -> bool:
        """The run passes only when every gate passes and nothing else failed."""
        return all_passed(gates) and not self.foreign_failures

    def accounting(self) -> dict[str, Any]:
        """Collected vs reported cases, for the report."""
        return {
            "collected": len(self.expected),
            "reported": len(self.results) + len(self.item_results),
            "missing": self.missing,
        }
