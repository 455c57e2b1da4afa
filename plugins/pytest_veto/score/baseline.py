"""Baseline comparison: has MAR regressed since an earlier report? (pure, on report dicts)

Pairs are matched by ``(pair_id, variant)``. A matched pair errored in either run is
left out (its misfire indicator is undefined), so both MARs are computed on the same
pairs. The test is a one-sided paired McNemar on the per-pair misfire indicator (cell c):
pairs that misfire now but did not before, against pairs that misfired before but no
longer do. A variant regresses when its MAR rose by more than the allowed number of
points *and* the rise is significant (``p < alpha``); the comparison regresses when any
variant present in both reports does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_veto.score.metrics import ScoredPair
from pytest_veto.score.stats import mcnemar_one_sided

Report = Mapping[str, Any]

#: The JSON report's ``schema_version``: reports of different versions are not compared.
REPORT_SCHEMA_VERSION = 1


def pair_rows(results: Sequence[ScoredPair]) -> list[dict[str, Any]]:
    """The report's ``pairs`` list (also what a baseline comparison reads)."""
    return [
        {
            "pair_id": r.pair_id,
            "category": r.category,
            "variant": r.variant,
            "evidence_match": r.evidence_match,
            "outcome": r.outcome,
            "base_outcome": r.base_outcome,
        }
        for r in results
    ]


def compare_run(
    results: Sequence[ScoredPair],
    *,
    model: str,
    condition: str,
    dataset_sha256: str,
    baseline: Report,
    max_regression_points: float = 0.0,
) -> Comparison:
    """This run's results against a baseline report (``compare_reports`` on its rows)."""
    current = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "run": {"model": model, "condition": condition, "dataset": {"sha256": dataset_sha256}},
        "pairs": pair_rows(results),
    }
    return compare_reports(current, baseline, max_regression_points=max_regression_points)


class ComparisonError(ValueError):
    """The two reports cannot be compared (a message says why)."""


@dataclass(frozen=True)
class NewMisfire:
    """A pair that misfires in the current run and did not in the baseline."""

    pair_id: str
    variant: str
    category: str
    baseline_outcome: str

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping."""
        return {
            "pair_id": self.pair_id,
            "variant": self.variant,
            "category": self.category,
            "baseline_outcome": self.baseline_outcome,
        }


@dataclass(frozen=True)
class VariantComparison:
    """One variant: MAR before and after on the same pairs, and the paired test."""

    variant: str
    matched: int
    compared: int
    baseline_mar: float | None
    current_mar: float | None
    difference: float | None
    newly_misfiring: int
    no_longer_misfiring: int
    mcnemar_p: float
    regressed: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Comparison:
    """The current report against a baseline."""

    current_model: str
    baseline_model: str
    max_regression_points: float
    alpha: float
    variants: tuple[VariantComparison, ...]
    new_misfires: tuple[NewMisfire, ...]
    notes: tuple[str, ...]

    @property
    def regressed(self) -> bool:
        """True when any variant regressed."""
        return any(v.regressed for v in self.variants)

    def variant(self, name: str) -> VariantComparison | None:
        """The comparison of one variant, if both reports have it."""
        return next((v for v in self.variants if v.variant == name), None)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able mapping in a stable order."""
        return {
            "current_model": self.current_model,
            "baseline_model": self.baseline_model,
            "max_regression_points": self.max_regression_points,
            "alpha": self.alpha,
            "regressed": self.regressed,
            "variants": [v.as_dict() for v in self.variants],
            "new_misfires": [m.as_dict() for m in self.new_misfires],
            "notes": list(self.notes),
        }


def _index(report: Report, which: str) -> dict[tuple[str, str], Mapping[str, Any]]:
    index: dict[tuple[str, str], Mapping[str, Any]] = {}
    for p in report["pairs"]:
        key = (p["pair_id"], p["variant"])
        if key in index:
            raise ComparisonError(
                f"the {which} report lists pair {key[0]!r} under variant {key[1]!r} twice"
            )
        index[key] = p
    return index


def _mar(outcomes: list[str]) -> float | None:
    a, c = outcomes.count("a"), outcomes.count("c")
    return 100.0 * c / (a + c) if a + c else None


def _notes(
    current: Report, baseline: Report, now: set[tuple[str, str]], before: set[tuple[str, str]]
) -> list[str]:
    notes = []
    cur, base = current["run"], baseline["run"]
    if cur["dataset"]["sha256"] != base["dataset"]["sha256"]:
        notes.append(
            "the runs used different data files (sha256 "
            f"{cur['dataset']['sha256'][:12]} vs {base['dataset']['sha256'][:12]}); "
            "pairs are matched by id"
        )
    if cur["condition"] != base["condition"]:
        notes.append(
            f"the condition differs: {cur['condition']} now, {base['condition']} in the baseline"
        )
    v_now, v_before = {v for _, v in now}, {v for _, v in before}
    for which, mine, theirs in (("current", v_now, v_before), ("baseline", v_before, v_now)):
        if mine - theirs:
            notes.append(
                f"variant(s) only in the {which} report, not compared: "
                + ", ".join(sorted(mine - theirs))
            )
    shared = v_now & v_before
    extra_now = sum(v in shared for _, v in now - before)
    extra_before = sum(v in shared for _, v in before - now)
    if extra_now or extra_before:
        notes.append(
            f"{extra_now} pair(s) only in the current report and {extra_before} "
            "only in the baseline are not compared"
        )
    return notes


def compare_reports(
    current: Report,
    baseline: Report,
    *,
    max_regression_points: float = 0.0,
    alpha: float = 0.05,
) -> Comparison:
    """Compare ``current`` with ``baseline`` on the pairs both ran (see the module doc).

    Raises ComparisonError when the schema versions differ or no pair is in both.
    """
    if current.get("schema_version") != baseline.get("schema_version"):
        raise ComparisonError(
            f"cannot compare reports of different schema versions: the current report has "
            f"schema_version {current.get('schema_version')!r}, the baseline "
            f"{baseline.get('schema_version')!r}"
        )
    now, before = _index(current, "current"), _index(baseline, "baseline")
    common = sorted(set(now) & set(before), key=lambda k: (k[1] != "base", k[1], k[0]))
    if not common:

        def sample(keys: set[tuple[str, str]]) -> str:
            shown = sorted(f"{pid} [{variant}]" for pid, variant in keys)[:3]
            return ", ".join(shown) + (" ..." if len(keys) > 3 else "") or "none"

        raise ComparisonError(
            "the reports have no pair (pair_id, variant) in common: current has "
            f"{len(now)} ({sample(set(now))}), baseline has {len(before)} "
            f"({sample(set(before))})"
        )
    results: list[VariantComparison] = []
    new: list[NewMisfire] = []
    for variant in sorted({v for _, v in common}, key=lambda v: (v != "base", v)):
        keys = [k for k in common if k[1] == variant]
        usable = [
            k for k in keys if now[k]["outcome"] != "error" and before[k]["outcome"] != "error"
        ]
        cur = [now[k]["outcome"] for k in usable]
        old = [before[k]["outcome"] for k in usable]
        newly = [k for k in usable if now[k]["outcome"] == "c" and before[k]["outcome"] != "c"]
        gone = sum(now[k]["outcome"] != "c" and before[k]["outcome"] == "c" for k in usable)
        p = mcnemar_one_sided(len(newly), gone)
        mar_now, mar_before = _mar(cur), _mar(old)
        diff = mar_now - mar_before if mar_now is not None and mar_before is not None else None
        results.append(
            VariantComparison(
                variant=variant,
                matched=len(keys),
                compared=len(usable),
                baseline_mar=mar_before,
                current_mar=mar_now,
                difference=diff,
                newly_misfiring=len(newly),
                no_longer_misfiring=gone,
                mcnemar_p=p,
                regressed=diff is not None and diff > max_regression_points and p < alpha,
            )
        )
        new += [
            NewMisfire(pid, v, str(now[(pid, v)]["category"]), str(before[(pid, v)]["outcome"]))
            for pid, v in newly
        ]
    return Comparison(
        current_model=str(current["run"]["model"]),
        baseline_model=str(baseline["run"]["model"]),
        max_regression_points=max_regression_points,
        alpha=alpha,
        variants=tuple(results),
        new_misfires=tuple(new),
        notes=tuple(_notes(current, baseline, set(now), set(before))),
    )
