"""Which pairs the lens reads, and what its LDs say (veto-spec section 6). Pure: no torch.

- :func:`choose_pairs`: *failure* pairs (outcome ``c``: stereotyped wrong, contrast
  right) and *control* pairs (outcome ``a``: both right) from a behavioural run, ``n``
  of each, stratified by category with proportional allocation (largest remainder, ties
  by category name), sampled per category with a seeded generator from the category's
  pairs sorted by id, so the choice depends only on the outcomes, ``n`` and the seed.
- Gap ``G_l = mean LD_l(contrast) - mean LD_l(stereotyped)`` per role, its peak over
  layers on failure pairs, the hand-off rate, the late-layer check and, given a base
  model's LDs on the same pairs, the instruct-minus-base gap.

Layer indices follow :mod:`pytest_veto.lens.logit_lens`: ``l`` is the output of block
``l`` counted from 0; the *early* part of the stack is blocks ``0 .. floor(L *
early_fraction) - 1`` and the rest is *late*.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_veto.lens.logit_lens import LensResult

Role = Literal["failure", "control"]
ROLES: tuple[Role, Role] = ("failure", "control")
#: The behavioural outcome (2x2 cell) that puts a pair in each role.
ROLE_OUTCOME: dict[Role, str] = {"failure": "c", "control": "a"}
Verdict = Literal["late", "early", "no_gap", "insufficient", "non_finite"]


@dataclass(frozen=True)
class Selection:
    """The chosen pair ids per role and the category of each."""

    failure: tuple[str, ...]
    control: tuple[str, ...]
    categories: Mapping[str, str] = field(default_factory=dict)

    def roles(self) -> dict[str, Role]:
        """``pair_id -> role``."""
        return {**{p: "control" for p in self.control}, **{p: "failure" for p in self.failure}}


def allocate(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of ``n`` over categories (largest remainder, capped by the
    counts; what a full category cannot take goes to the others)."""
    total = sum(counts.values())
    if total <= n:
        return dict(counts)
    quota = {c: n * k / total for c, k in counts.items()}
    alloc = {c: min(counts[c], math.floor(q)) for c, q in quota.items()}
    while sum(alloc.values()) < n:
        open_ = [c for c in counts if alloc[c] < counts[c]]
        # largest remainder first; on a tie, the category whose name sorts first
        best = min(open_, key=lambda c: (-(quota[c] - alloc[c]), c))
        alloc[best] += 1
    return alloc


def choose_pairs(outcomes: Iterable[tuple[str, str, str]], n: int = 30, seed: int = 0) -> Selection:
    """Failure and control pairs from ``(pair_id, category, outcome)`` rows of one
    behavioural run (one variant); see the module docstring."""
    rows = list(outcomes)
    if n < 0:
        raise ValueError(f"n must not be negative, not {n}")
    seen: dict[str, str] = {}
    for pair_id, _, outcome in rows:
        if seen.setdefault(pair_id, outcome) != outcome:
            raise ValueError(
                f"{pair_id} has outcomes {seen[pair_id]!r} and {outcome!r}: pass "
                "the outcomes of one variant (e.g. the primed run) only"
            )
    categories: dict[str, str] = {}
    chosen: dict[Role, list[str]] = {"failure": [], "control": []}
    for role in ROLES:
        by_category: dict[str, list[str]] = {}
        for pair_id, category, outcome in rows:
            if outcome == ROLE_OUTCOME[role]:
                by_category.setdefault(category, []).append(pair_id)
                categories[pair_id] = category
        alloc = allocate({c: len(ids) for c, ids in by_category.items()}, n)
        for category in sorted(by_category):
            ids = sorted(set(by_category[category]))
            rng = random.Random(f"{seed}/{role}/{category}")
            chosen[role] += rng.sample(ids, min(alloc[category], len(ids)))
    return Selection(
        tuple(sorted(chosen["failure"])),
        tuple(sorted(chosen["control"])),
        {p: categories[p] for p in (*chosen["failure"], *chosen["control"])},
    )


@dataclass(frozen=True)
class PairLens:
    """Both halves' LD by layer for one chosen pair."""

    pair_id: str
    category: str
    role: Role
    stereotyped: tuple[float, ...]
    contrast: tuple[float, ...]


def pair_lenses(results: Sequence[LensResult], selection: Selection) -> list[PairLens]:
    """Join per-half lens results into pairs of the selection (every chosen pair needs both)."""
    halves = {(r.pair_id, r.half): r for r in results}
    out = []
    for pair_id, role in sorted(selection.roles().items(), key=lambda kv: (kv[1], kv[0])):
        st, ct = halves.get((pair_id, "stereotyped")), halves.get((pair_id, "contrast"))
        if st is None or ct is None:
            raise ValueError(f"{pair_id}: the lens has no result for both halves")
        out.append(PairLens(pair_id, st.category, role, st.ld_by_layer, ct.ld_by_layer))
    return out


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def gap_by_layer(pairs: Sequence[PairLens], role: Role) -> list[float] | None:
    """``G_l`` for the pairs of one role; None when the role has no pairs."""
    chosen = [p for p in pairs if p.role == role]
    if not chosen:
        return None
    layers = len(chosen[0].stereotyped)
    return [
        _mean([p.contrast[layer] for p in chosen]) - _mean([p.stereotyped[layer] for p in chosen])
        for layer in range(layers)
    ]


def peak(gaps: Sequence[float]) -> tuple[int, float]:
    """Layer and value of the largest gap (the first such layer on a tie)."""
    layer = max(range(len(gaps)), key=lambda i: (gaps[i], -i))
    return layer, gaps[layer]


def early_layers(n_layers: int, early_fraction: float = 0.5) -> range:
    """Blocks in the early part of the stack: ``0 .. floor(n * fraction) - 1``."""
    return range(math.floor(n_layers * early_fraction))


def handoff(pair: PairLens, early_fraction: float = 0.5) -> bool:
    """Late-layer suppression of one pair: some early block already favours yes on the
    stereotyped half (LD > 0) but the final LD is negative."""
    early = early_layers(len(pair.stereotyped), early_fraction)
    return pair.stereotyped[-1] < 0 and any(pair.stereotyped[layer] > 0 for layer in early)


def handoff_rate(pairs: Sequence[PairLens], early_fraction: float = 0.5) -> float | None:
    """Fraction of failure pairs with a hand-off; None without failure pairs."""
    failures = [p for p in pairs if p.role == "failure"]
    if not failures:
        return None
    return sum(handoff(p, early_fraction) for p in failures) / len(failures)


@dataclass(frozen=True)
class LateLayerCriteria:
    """Thresholds of the late-layer check (gaps in logits)."""

    early_fraction: float = 0.5
    early_gap_threshold: float = 2.0
    min_peak: float = 1.0


DEFAULT_CRITERIA = LateLayerCriteria()


@dataclass(frozen=True)
class LateLayerCheck:
    """Is the failure-pair gap a late-layer effect? ``late``: it peaks in the late part of
    the stack while every early gap stays within the threshold; ``early``: it does not;
    ``no_gap``: the peak is below ``min_peak``; ``insufficient``: no failure pairs;
    ``non_finite``: some gap is NaN or infinite (e.g. an overflow in low precision), so
    nothing can be concluded and the check fails rather than pass on broken numbers."""

    verdict: Verdict
    message: str
    peak_layer: int | None = None
    peak_value: float | None = None
    max_early_gap: float | None = None


def late_layer_check(
    failure_gaps: Sequence[float] | None, criteria: LateLayerCriteria = DEFAULT_CRITERIA
) -> LateLayerCheck:
    """The late-layer verdict for the failure-pair gaps (see :class:`LateLayerCheck`)."""
    if not failure_gaps:
        return LateLayerCheck("insufficient", "no failure pairs: nothing to localize")
    n = len(failure_gaps)
    broken = [i for i, g in enumerate(failure_gaps) if not math.isfinite(g)]
    if broken:
        return LateLayerCheck(
            "non_finite",
            f"the failure-pair gap is not finite at layer(s) "
            f"{', '.join(map(str, broken[:5]))} of {n}: the lens values are "
            "broken (try float32: --veto-dtype float32)",
        )
    layer, value = peak(failure_gaps)
    early = early_layers(n, criteria.early_fraction)
    max_early = max((abs(failure_gaps[i]) for i in early), default=0.0)
    where = f"gap peaks at layer {layer} of {n} (0-based) at {value:+.2f}"
    if value < criteria.min_peak:
        return LateLayerCheck(
            "no_gap",
            f"{where}: below {criteria.min_peak}, no suppression to localize",
            layer,
            value,
            max_early,
        )
    if layer >= len(early) and max_early <= criteria.early_gap_threshold:
        return LateLayerCheck(
            "late",
            f"{where}; early layers (0-{len(early) - 1}) stay within "
            f"{criteria.early_gap_threshold} (max {max_early:.2f}): late-layer "
            "suppression",
            layer,
            value,
            max_early,
        )
    reason = (
        f"the peak is in the early part (layers 0-{len(early) - 1})"
        if layer < len(early)
        else f"an early gap reaches {max_early:.2f} > {criteria.early_gap_threshold}"
    )
    return LateLayerCheck(
        "early", f"{where}; {reason}: not a late-layer effect", layer, value, max_early
    )


def _clean(values: Iterable[float] | None) -> list[float | None] | None:
    if values is None:
        return None
    return [v if math.isfinite(v) else None for v in values]


@dataclass(frozen=True)
class LensAnalysis:
    """The lens results of the chosen pairs and their summary (``as_dict`` for reports)."""

    pairs: tuple[PairLens, ...]
    answer_tokens: Mapping[str, Mapping[str, int]]
    criteria: LateLayerCriteria = DEFAULT_CRITERIA
    base_pairs: tuple[PairLens, ...] | None = None
    seconds: float | None = None
    base_answer_tokens: Mapping[str, Mapping[str, int]] | None = None

    @property
    def n_layers(self) -> int:
        """Blocks in the model (0 without pairs)."""
        return len(self.pairs[0].stereotyped) if self.pairs else 0

    def gaps(self, role: Role, base: bool = False) -> list[float] | None:
        """``G_l`` of a role, for this model or (``base=True``) the base model."""
        source = self.base_pairs if base else self.pairs
        return gap_by_layer(source, role) if source is not None else None

    def late_layer(self) -> LateLayerCheck:
        """The late-layer check on the failure-pair gaps."""
        return late_layer_check(self.gaps("failure"), self.criteria)

    def _base_summary(self) -> dict[str, Any] | None:
        if self.base_pairs is None:
            return None
        if self.base_pairs and len(self.base_pairs[0].stereotyped) != self.n_layers:
            raise ValueError("the base model has a different number of layers")
        gaps: dict[str, list[float | None] | None] = {}
        diffs: dict[str, list[float | None] | None] = {}
        for role in ROLES:
            mine, theirs = self.gaps(role), self.gaps(role, base=True)
            gaps[role] = _clean(theirs)
            diffs[role] = _clean(
                [a - b for a, b in zip(mine, theirs, strict=True)] if mine and theirs else None
            )
        tokens = self.base_answer_tokens
        return {
            "gap_by_layer": gaps,
            "instruct_minus_base": diffs,
            "answer_tokens": {k: dict(v) for k, v in tokens.items()} if tokens else None,
        }

    def summary(self) -> dict[str, Any]:
        """Gaps by role, peak, hand-off rate, late-layer verdict, counts and token ids."""
        failure = self.gaps("failure")
        check = self.late_layer()
        finite = failure if failure and check.verdict != "non_finite" else None
        layer, value = peak(finite) if finite is not None else (None, None)
        return {
            "n": {role: sum(p.role == role for p in self.pairs) for role in ROLES},
            "n_layers": self.n_layers,
            "layer_index": "0-based block index; the last entry is the model's own output",
            "gap_by_layer": {role: _clean(self.gaps(role)) for role in ROLES},
            "peak": {"layer": layer, "value": value},
            "handoff_rate": handoff_rate(self.pairs, self.criteria.early_fraction),
            "late_layer": {
                "verdict": check.verdict,
                "message": check.message,
                "max_early_gap": check.max_early_gap,
            },
            "criteria": dict(vars(self.criteria)),
            "answer_tokens": {k: dict(v) for k, v in self.answer_tokens.items()},
            "base": self._base_summary(),
            "seconds": self.seconds,
        }

    def as_dict(self) -> dict[str, Any]:
        """The report section ``lens``: every chosen pair's LDs and the summary."""
        return {
            "pairs": [
                {
                    "pair_id": p.pair_id,
                    "category": p.category,
                    "role": p.role,
                    "ld_by_layer": {
                        "stereotyped": _clean(p.stereotyped),
                        "contrast": _clean(p.contrast),
                    },
                }
                for p in self.pairs
            ],
            "summary": self.summary(),
        }
