"""Pure arithmetic over head-ablation results: specificity, ranking, rank agreement and
recovery (veto-spec section 6). No torch: inputs are plain mappings of floats.

- A *delta* is the change of a prompt's final LD when a head is ablated (ablated minus
  baseline), exact (:mod:`pytest_veto.lens.ablation`) or estimated to first order
  (:mod:`pytest_veto.lens.attribution`).
- *Specificity* of a head on a pair = delta on the stereotyped half - delta on the
  contrast half; a head's specificity is its mean over pairs. A head that suppresses
  "yes" only on stereotyped prompts has a large positive specificity: removing it raises
  the stereotyped LD and leaves the contrast LD alone. Heads rank by it, highest first
  (ties by layer, then head).
- A failure pair is *recovered* under an ablation when its stereotyped final LD is not
  positive at baseline and positive after. ``recovery_rate`` divides by all failure
  pairs (the published rate); ``recovery_rate_eligible`` only by those whose baseline
  LD was not already positive (the behavioural run uses a different prompt than the
  lens, so a behavioural failure can have a positive lens LD).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

#: How top-K recovery ranks heads: each failure pair by its own specificity (published),
#: or once for all pairs by the mean over ranking pairs.
Ranking = Literal["per-pair", "pooled"]
RANKINGS: tuple[Ranking, ...] = ("per-pair", "pooled")
HeadKey = tuple[int, int]
PromptKey = tuple[str, str]
#: ``(pair_id, half) -> (layer, head) -> delta``
Deltas = Mapping[PromptKey, Mapping[HeadKey, float]]


@dataclass(frozen=True)
class HeadEffect:
    """Mean effect of ablating one head over the pairs that have both halves."""

    layer: int
    head: int
    d_stereotyped: float
    d_contrast: float
    specificity: float
    n_pairs: int

    def as_dict(self) -> dict[str, float | int]:
        """Plain data."""
        return {
            "layer": self.layer,
            "head": self.head,
            "d_stereotyped": self.d_stereotyped,
            "d_contrast": self.d_contrast,
            "specificity": self.specificity,
            "n_pairs": self.n_pairs,
        }


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def head_effects(deltas: Deltas) -> list[HeadEffect]:
    """Per-head mean deltas and specificity, ranked (see the module docstring)."""
    pairs = sorted(
        {p for p, _ in deltas if (p, "stereotyped") in deltas and (p, "contrast") in deltas}
    )
    heads = sorted({h for values in deltas.values() for h in values})
    effects = []
    for head in heads:
        st = [
            deltas[(p, "stereotyped")][head]
            for p in pairs
            if head in deltas[(p, "stereotyped")] and head in deltas[(p, "contrast")]
        ]
        ct = [
            deltas[(p, "contrast")][head]
            for p in pairs
            if head in deltas[(p, "stereotyped")] and head in deltas[(p, "contrast")]
        ]
        spec = [s - c for s, c in zip(st, ct, strict=True)]
        effects.append(HeadEffect(head[0], head[1], _mean(st), _mean(ct), _mean(spec), len(spec)))
    return sorted(effects, key=lambda e: (-_finite_or_low(e.specificity), e.layer, e.head))


def _finite_or_low(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def ranking(effects: Sequence[HeadEffect]) -> list[HeadKey]:
    """Head keys, most specific first."""
    ordered = sorted(effects, key=lambda e: (-_finite_or_low(e.specificity), e.layer, e.head))
    return [(e.layer, e.head) for e in ordered]


def pair_rankings(deltas: Deltas) -> dict[str, list[HeadKey]]:
    """Each pair's own ranking of the heads (its specificity alone; the published
    per-pair method), for the pairs that have both halves."""
    pairs = sorted({p for p, half in deltas if half == "stereotyped" and (p, "contrast") in deltas})
    return {
        p: ranking(head_effects({k: deltas[k] for k in ((p, "stereotyped"), (p, "contrast"))}))
        for p in pairs
    }


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks with ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson on average ranks); None if undefined."""
    if len(x) != len(y):
        raise ValueError(f"spearman needs equal lengths, got {len(x)} and {len(y)}")
    if len(x) < 2:
        return None
    rx, ry = _ranks(x), _ranks(y)
    mx, my = _mean(rx), _mean(ry)
    cov = math.fsum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = math.fsum((a - mx) ** 2 for a in rx)
    vy = math.fsum((b - my) ** 2 for b in ry)
    if vx == 0 or vy == 0:
        return None
    return cov / math.sqrt(vx * vy)


def rank_agreement(
    exact: Sequence[HeadEffect], estimate: Sequence[HeadEffect], top: int = 10
) -> dict[str, float | int | None]:
    """How well an estimate (the attribution screen) ranks heads like the exact sweep:
    Spearman on specificity and on the stereotyped delta over the heads both cover, and
    how many of the exact top ``top`` heads are in the estimate's top ``top``."""
    est = {(e.layer, e.head): e for e in estimate}
    common = [
        e
        for e in exact
        if (e.layer, e.head) in est
        and math.isfinite(e.specificity)
        and math.isfinite(est[(e.layer, e.head)].specificity)
    ]
    x_spec = [e.specificity for e in common]
    y_spec = [est[(e.layer, e.head)].specificity for e in common]
    x_st = [e.d_stereotyped for e in common]
    y_st = [est[(e.layer, e.head)].d_stereotyped for e in common]
    top_exact = set(ranking(common)[:top])
    top_est = set(ranking([est[(e.layer, e.head)] for e in common])[:top])
    return {
        "n_heads": len(common),
        "spearman_specificity": spearman(x_spec, y_spec),
        "spearman_d_stereotyped": spearman(x_st, y_st),
        "top": top,
        "top_overlap": len(top_exact & top_est),
    }


@dataclass(frozen=True)
class RecoveryPoint:
    """What ablating the top ``k`` heads together did to the failure pairs."""

    k: int
    heads: tuple[HeadKey, ...]
    n_pairs: int
    recovered: int
    n_eligible: int
    recovery_rate: float | None
    recovery_rate_eligible: float | None
    mean_d_stereotyped: float | None
    mean_d_contrast: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        data = dict(vars(self))
        data["heads"] = [list(h) for h in self.heads]
        return data


def recovery_point(
    k: int,
    heads: Sequence[HeadKey],
    baseline: Mapping[PromptKey, float],
    ablated: Mapping[PromptKey, float],
) -> RecoveryPoint:
    """Recovery of the failure pairs in ``baseline`` (final LDs, both halves where given)."""
    pairs = sorted({p for p, half in baseline if half == "stereotyped"})
    recovered = sum(
        1 for p in pairs if baseline[(p, "stereotyped")] <= 0 < ablated[(p, "stereotyped")]
    )
    eligible = sum(1 for p in pairs if baseline[(p, "stereotyped")] <= 0)
    d_st = [ablated[(p, "stereotyped")] - baseline[(p, "stereotyped")] for p in pairs]
    d_ct = [
        ablated[(p, "contrast")] - baseline[(p, "contrast")]
        for p in pairs
        if (p, "contrast") in baseline and (p, "contrast") in ablated
    ]
    return RecoveryPoint(
        k=k,
        heads=tuple(heads),
        n_pairs=len(pairs),
        recovered=recovered,
        n_eligible=eligible,
        recovery_rate=recovered / len(pairs) if pairs else None,
        recovery_rate_eligible=recovered / eligible if eligible else None,
        mean_d_stereotyped=_mean(d_st) if d_st else None,
        mean_d_contrast=_mean(d_ct) if d_ct else None,
    )
