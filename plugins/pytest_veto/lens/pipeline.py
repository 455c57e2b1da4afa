"""The two entry points the plugin calls, each over a loaded model (an ``HFBackend``).

- :func:`run_lens_analysis`: choose failure and control pairs from a behavioural run's
  outcomes, run the logit lens on both halves of each (and on a base model, if given)
  and summarise: the report section ``lens`` is ``analysis.as_dict()``.
- :func:`run_head_ablation`: on (a stratified subset of) the failure pairs, the exact
  single-head sweep and/or the attribution screen, their rank agreement, and top-K
  joint ablation with recovery on all failure pairs (and on those not used for ranking).

Both take anything with ``hf_model``, ``tokenizer`` and ``chat_prompt(messages)``, which
:class:`pytest_veto.backends.hf.HFBackend` has. torch loads only when they run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pytest_veto.backends.answer_tokens import AnswerTokens
from pytest_veto.backends.protocol import Message
from pytest_veto.data.pairs import Pair
from pytest_veto.lens.ablation import SweepResult, dataset_means, head_sweep
from pytest_veto.lens.analysis import (
    DEFAULT_CRITERIA,
    LateLayerCriteria,
    LensAnalysis,
    PairLens,
    Selection,
    choose_pairs,
    pair_lenses,
)
from pytest_veto.lens.architecture import LensError, find_architecture
from pytest_veto.lens.attribution import ScreenResult, attribution_screen
from pytest_veto.lens.hooks import AblationMode
from pytest_veto.lens.inputs import lens_answer_tokens, lens_prompts
from pytest_veto.lens.logit_lens import run_logit_lens
from pytest_veto.lens.ranking import (
    Deltas,
    HeadKey,
    Ranking,
    head_effects,
    pair_rankings,
    rank_agreement,
)
from pytest_veto.lens.ranking import ranking as ranked_heads
from pytest_veto.lens.recovery import DEFAULT_KS, RecoveryResult, topk_recovery
from pytest_veto.run.priming import PrimingVariant
from pytest_veto.run.progress import ProgressSink

#: the one key of a pooled ranking's orders
POOLED = "*"


class LensSubject(Protocol):
    """A loaded open-weight model: what ``HFBackend`` exposes."""

    hf_model: Any
    tokenizer: Any

    def chat_prompt(self, messages: Sequence[Message]) -> str:
        """The templated prompt text ending with the generation prompt."""
        ...


def _pairs_by_id(pairs: Iterable[Pair], ids: Sequence[str]) -> list[Pair]:
    known = {p.id: p for p in pairs}
    missing = [i for i in ids if i not in known]
    if missing:
        raise LensError(f"outcomes name pairs that are not in the data: {', '.join(missing[:5])}")
    return [known[i] for i in ids]


def run_lens_analysis(
    subject: LensSubject,
    pairs: Sequence[Pair],
    outcomes: Iterable[tuple[str, str, str]],
    *,
    n: int = 30,
    seed: int = 0,
    batch_size: int = 8,
    base: LensSubject | None = None,
    criteria: LateLayerCriteria = DEFAULT_CRITERIA,
    variant: PrimingVariant | None = None,
) -> LensAnalysis:
    """Logit lens on ``n`` failure and ``n`` control pairs chosen from ``outcomes``
    (``(pair_id, category, outcome)`` of the model's behavioural run; the spec's
    default is the primed run, which has more failures; see
    :func:`pytest_veto.lens.analysis.choose_pairs`), and on ``base`` (the pretrained
    model) for the same pairs when given. ``variant``: the priming variant whose run the
    outcomes are of; the lens reads that run's prompts (None: the unprimed ones)."""
    start = time.perf_counter()
    selection = choose_pairs(outcomes, n, seed)
    chosen = _pairs_by_id(pairs, [*selection.failure, *selection.control])
    lenses, tokens = _lens_pairs(subject, chosen, selection, batch_size, variant)
    base_lenses, base_tokens = (
        _lens_pairs(base, chosen, selection, batch_size, variant)
        if base is not None
        else (None, None)
    )
    return LensAnalysis(
        tuple(lenses),
        tokens.as_json(),
        criteria,
        tuple(base_lenses) if base_lenses is not None else None,
        time.perf_counter() - start,
        base_tokens.as_json() if base_tokens is not None else None,
    )


def _lens_pairs(
    subject: LensSubject,
    chosen: Sequence[Pair],
    selection: Selection,
    batch_size: int,
    variant: PrimingVariant | None,
) -> tuple[list[PairLens], AnswerTokens]:
    tokens = lens_answer_tokens(subject.tokenizer)
    prompts = lens_prompts(chosen, subject.chat_prompt, variant)
    results = run_logit_lens(
        subject.hf_model, subject.tokenizer, prompts, tokens, batch_size=batch_size
    )
    return pair_lenses(results, selection), tokens


@dataclass(frozen=True)
class AblationReport:
    """Head ranking (exact sweep and/or screen) and top-K recovery on failure pairs."""

    ranking: Ranking
    ranked_by: Literal["exact", "screen", "screen+exact"]
    ranking_pairs: tuple[str, ...]
    failure_pairs: tuple[str, ...]
    sweep: SweepResult | None
    screen: ScreenResult | None
    recovery: RecoveryResult
    architecture: Mapping[str, object]

    def agreement(self) -> dict[str, float | int | None] | None:
        """Rank agreement of the screen with the exact sweep (None unless both ran)."""
        if self.sweep is None or self.screen is None:
            return None
        return rank_agreement(self.sweep.effects(), self.screen.effects())

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the report (``lens`` section, key ``ablation``)."""
        heldout = [p for p in self.failure_pairs if p not in set(self.ranking_pairs)]
        return {
            "architecture": dict(self.architecture),
            "ranking": self.ranking,
            "ranked_by": self.ranked_by,
            "ranking_pairs": list(self.ranking_pairs),
            "sweep": self.sweep.as_dict() if self.sweep is not None else None,
            "screen": self.screen.as_dict() if self.screen is not None else None,
            "agreement": self.agreement(),
            "recovery": self.recovery.as_dict(),
            "recovery_heldout": (
                [p.as_dict() for p in self.recovery.points_for(heldout)] if heldout else None
            ),
        }


def run_head_ablation(
    subject: LensSubject,
    pairs: Sequence[Pair],
    failure_ids: Sequence[str],
    *,
    ranking: Ranking = "per-pair",
    n_rank: int = 10,
    seed: int = 0,
    ks: Sequence[int] = DEFAULT_KS,
    mode: AblationMode = "zero",
    exact: bool = True,
    screen: bool = True,
    verify_top: int | None = None,
    mean_pairs: Sequence[Pair] = (),
    max_rows: int = 64,
    batch_size: int = 8,
    variant: PrimingVariant | None = None,
    progress: ProgressSink | None = None,
) -> AblationReport:
    """Rank heads by exact sweep (``exact``) and/or the attribution screen (``screen``;
    it ranks when the sweep is off), then ablate the top K together on every failure pair.

    ``ranking="per-pair"`` (published): every failure pair is swept and ranks the heads by
    its own specificity; ``"pooled"``: heads are ranked once on ``n_rank`` failure pairs
    (a category-stratified subset of ``failure_ids``), and recovery is reported on all
    failure pairs and separately on those not used for ranking. ``verify_top=M`` (with
    both on) sweeps exactly only the screen's top M heads (per pair: the union of every
    pair's top M), which are then ranked by their exact specificity ahead of the rest in
    screen order (ranked_by ``screen+exact``). ``mean_pairs`` (e.g. the control pairs)
    give the vectors of ``dataset_mean`` ablation; without them the failure pairs are
    used. ``variant``: the priming variant whose prompts are read (None: unprimed).
    """
    if not exact and not screen:
        raise LensError("run_head_ablation needs the exact sweep, the screen, or both")
    model, tokenizer = subject.hf_model, subject.tokenizer
    arch = find_architecture(model)
    failures = _pairs_by_id(pairs, list(failure_ids))
    if not failures:
        raise LensError("no failure pairs: nothing to ablate")
    all_prompts = lens_prompts(failures, subject.chat_prompt, variant)
    if ranking == "pooled":
        subset = choose_pairs([(p.id, p.category, "c") for p in failures], n_rank, seed).failure
    else:
        subset = tuple(p.id for p in failures)
    rank_prompts = [p for p in all_prompts if p.pair_id in set(subset)]
    tokens = lens_answer_tokens(tokenizer)

    def orders_of(deltas: Deltas) -> dict[str, list[HeadKey]]:
        if ranking == "per-pair":
            return pair_rankings(deltas)
        return {POOLED: ranked_heads(head_effects(deltas))}

    means = None
    if mode == "dataset_mean":
        source = (
            lens_prompts(mean_pairs, subject.chat_prompt, variant) if mean_pairs else all_prompts
        )
        means = dataset_means(model, tokenizer, source, arch=arch, batch_size=batch_size)
    screened = None
    if screen:
        if progress is not None:
            progress(
                f"head ablation: attribution screen on {len(rank_prompts)} prompts", force=True
            )
        screened = attribution_screen(
            model,
            tokenizer,
            rank_prompts,
            tokens,
            arch=arch,
            mode=mode,
            means=means,
            batch_size=max(1, batch_size // 2),
        )
    screen_orders = orders_of(screened.estimates) if screened is not None else {}
    candidates = (
        sorted({h for order in screen_orders.values() for h in order[:verify_top]})
        if verify_top and screened is not None
        else None
    )
    sweep = (
        head_sweep(
            model,
            tokenizer,
            rank_prompts,
            tokens,
            arch=arch,
            heads=candidates,
            mode=mode,
            means=means,
            max_rows=max_rows,
            progress=progress,
        )
        if exact
        else None
    )
    ranked_by: Literal["exact", "screen", "screen+exact"] = "screen"
    orders = screen_orders
    if sweep is not None:
        ranked_by = "screen+exact" if candidates is not None else "exact"
        orders = {}
        for key, exact_order in orders_of(sweep.deltas()).items():
            verified = set(exact_order)
            rest = [h for h in screen_orders.get(key, []) if h not in verified]
            orders[key] = exact_order + rest
    recovery = topk_recovery(
        model,
        tokenizer,
        all_prompts,
        tokens,
        orders[POOLED] if ranking == "pooled" else orders,
        ks=ks,
        arch=arch,
        mode=mode,
        means=means,
        batch_size=batch_size,
        progress=progress,
    )
    return AblationReport(
        ranking,
        ranked_by,
        tuple(subset),
        tuple(p.id for p in failures),
        sweep,
        screened,
        recovery,
        arch.describe(),
    )
