"""Top-K recovery: ablate the K most specific heads together on failure pairs and count
the pairs whose stereotyped LD turns positive (veto-spec section 6).

Two rankings (:data:`pytest_veto.lens.ranking.Ranking`):

- ``per-pair``, the published method: every failure pair ranks the heads by its own
  specificity (in-sample) and ablates its own top K; the share recovered at each K is
  over all failure pairs. One pass per K still serves every pair: each batch row
  ablates its own heads (:func:`pytest_veto.lens.hooks.row_masks`).
- ``pooled``: one ranking, from the mean specificity over a set of ranking pairs, and the
  same top K ablated on every pair (recovery on the pairs not used for ranking is then
  out of sample).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_veto.backends.answer_tokens import AnswerTokens
from pytest_veto.lens.ablation import final_lds, plan_of
from pytest_veto.lens.architecture import Architecture, LensError, find_architecture
from pytest_veto.lens.hooks import AblationMode
from pytest_veto.lens.inputs import LensPrompt
from pytest_veto.lens.ranking import HeadKey, PromptKey, Ranking, RecoveryPoint, recovery_point
from pytest_veto.run.progress import ProgressSink, count_line

if TYPE_CHECKING:
    import torch

DEFAULT_KS: tuple[int, ...] = (1, 3, 5, 10, 20)


@dataclass(frozen=True)
class RecoveryResult:
    """Top-K joint ablation on failure pairs: one point per K, and each pair's own
    heads and LDs."""

    mode: AblationMode
    ranking: Ranking
    #: pair id -> the heads it ablates, most specific first, up to the largest K
    #: (pooled: the same for every pair)
    orders: Mapping[str, tuple[HeadKey, ...]]
    baseline: Mapping[PromptKey, float]
    ablated: Mapping[int, Mapping[PromptKey, float]]  # K -> final LDs
    seconds: float

    @property
    def order(self) -> tuple[HeadKey, ...]:
        """The shared ranking of a pooled result (empty per pair: see ``orders``)."""
        if self.ranking != "pooled" or not self.orders:
            return ()
        return next(iter(self.orders.values()))

    @property
    def points(self) -> tuple[RecoveryPoint, ...]:
        """One point per K over all the pairs."""
        return self.points_for(None)

    def points_for(self, pair_ids: Sequence[str] | None) -> tuple[RecoveryPoint, ...]:
        """One point per K over the given pairs only (all pairs for None); a point's
        ``heads`` are the shared top K (pooled) or empty (per pair)."""
        keep = None if pair_ids is None else set(pair_ids)
        base = {k: v for k, v in self.baseline.items() if keep is None or k[0] in keep}
        return tuple(
            recovery_point(k, self.order[:k], base, lds) for k, lds in self.ablated.items()
        )

    def pair_rows(self) -> list[dict[str, Any]]:
        """Per failure pair: its heads, its stereotyped LD at baseline and at each K, and
        the Ks at which it was recovered."""
        rows = []
        for pair_id in sorted(self.orders):
            key = (pair_id, "stereotyped")
            if key not in self.baseline:
                continue
            base = self.baseline[key]
            by_k = {k: lds[key] for k, lds in self.ablated.items()}
            rows.append(
                {
                    "pair_id": pair_id,
                    "heads": [list(h) for h in self.orders[pair_id]],
                    "ld_baseline": base,
                    "ld_by_k": {str(k): v for k, v in by_k.items()},
                    "recovered_at": [k for k, v in by_k.items() if base <= 0 < v],
                }
            )
        return rows

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "mode": self.mode,
            "ranking": self.ranking,
            "seconds": self.seconds,
            "n_pairs": len({p for p, _ in self.baseline}),
            "points": [p.as_dict() for p in self.points],
            "pairs": self.pair_rows(),
        }


def topk_recovery(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[LensPrompt],
    tokens: AnswerTokens,
    order: Sequence[HeadKey] | Mapping[str, Sequence[HeadKey]],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    arch: Architecture | None = None,
    mode: AblationMode = "zero",
    means: Mapping[int, torch.Tensor] | None = None,
    batch_size: int = 8,
    progress: ProgressSink | None = None,
) -> RecoveryResult:
    """Ablate the first K heads of ``order`` together for each K, on failure pairs'
    ``prompts`` (both halves: the contrast half shows the side effect). ``order`` is one
    ranking for every pair (pooled) or a mapping from pair id to that pair's own ranking
    (per pair). ``progress`` gets a line after the baseline and after each K."""
    start = time.perf_counter()
    arch = arch or find_architecture(model)
    if any(k < 1 for k in ks):
        raise LensError(f"K must be at least 1: {list(ks)}")
    keys = [p.key for p in prompts]
    top = max(ks, default=0)
    ranking: Ranking = "per-pair" if isinstance(order, Mapping) else "pooled"
    if isinstance(order, Mapping):
        missing = sorted({p.pair_id for p in prompts} - set(order))
        if missing:
            raise LensError(f"no head ranking for pair(s) {', '.join(missing[:5])}")
        orders = {p.pair_id: tuple(order[p.pair_id][:top]) for p in prompts}
    else:
        orders = {p.pair_id: tuple(order[:top]) for p in prompts}

    def run(k: int) -> dict[PromptKey, float]:
        lds = final_lds(
            model,
            tokenizer,
            prompts,
            tokens,
            arch=arch,
            plan=plan_of(next(iter(orders.values()), ())[:k]) if ranking == "pooled" else None,
            mode=mode,
            means=means,
            batch_size=batch_size,
            heads_per_prompt=(
                [orders[p.pair_id][:k] for p in prompts] if ranking == "per-pair" else None
            ),
        )
        return dict(zip(keys, lds, strict=True))

    def report(done: int) -> None:
        if progress is not None:
            progress(
                count_line(
                    f"top-K recovery on {len(prompts)} prompts, passes",
                    done,
                    len(ks) + 1,
                    time.perf_counter() - start,
                ),
                force=done == len(ks) + 1,
            )

    baseline = run(0)
    report(1)
    ablated: dict[int, dict[PromptKey, float]] = {}
    for k in ks:
        ablated[k] = run(k)
        report(len(ablated) + 1)
    return RecoveryResult(mode, ranking, orders, baseline, ablated, time.perf_counter() - start)
