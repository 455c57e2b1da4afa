"""How long do the lens tools take on SmolLM2-135M-Instruct on this machine?

Steps, each timed (all on the 64 sample pairs of ``fixtures/veto_sample.jsonl``):

1. behavioural outcomes: a logits-scored run of the direct condition, primed with the
   trigger on the stereotyped half (veto-spec 5; the lens takes its failure pairs from
   the primed run by default);
2. the logit lens over all 128 halves (an upper bound of the spec's 60-pair analysis),
   then the analysis of the 30 + 30 chosen pairs (target: under 2 minutes);
3. the attribution screen on the sweep pairs (target: under 10 s per pair);
4. the exact single-head sweep of all 270 heads on 10 pairs (target: under 5 minutes),
   or only the screen's top ``--verify-top`` heads with ``--verify-top``;
5. rank agreement of screen and sweep; top-K recovery on the failure pairs; figures.

    python benchmarks/bench_lens.py [--sweep-pairs 10] [--verify-top 30] [--no-sweep]
                                    [--threads N] [--out bench_lens.json] [--plots DIR]

Prints a summary and writes every number (with machine, load and versions) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "veto_sample.jsonl"
MODEL = "hf/smollm2-135m-instruct"


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def behavioural_outcomes(
    pairs: list[Any], cache_dir: str | None
) -> tuple[list[tuple[str, str, str]], dict[tuple[str, str], float], float]:
    """Primed direct-condition outcomes from logits scoring (one forward pass per half),
    with each half's LD."""
    from pytest_veto.backends.hf import HFBackend
    from pytest_veto.backends.protocol import BackendOptions, PromptRequest
    from pytest_veto.run.prompts import build_messages
    from pytest_veto.score.metrics import classify

    start = time.perf_counter()
    scorer = HFBackend(MODEL, BackendOptions(scoring="logits", batch_size=16, cache_dir=cache_dir))
    requests = []
    for pair in pairs:
        requests.append(
            PromptRequest(
                pair.id,
                "stereotyped",
                "trigger",
                build_messages(pair.stereotyped.text, user_prefix=pair.trigger_sentence + " "),
            )
        )
        requests.append(
            PromptRequest(pair.id, "contrast", "trigger", build_messages(pair.contrast.text))
        )
    done = scorer.complete(requests)
    scorer.close()
    lds = {(r.pair_id, r.half): c.logit_diff or 0.0 for r, c in zip(requests, done, strict=True)}
    outcomes: list[tuple[str, str, str]] = [
        (p.id, p.category, classify(lds[(p.id, "stereotyped")] > 0, lds[(p.id, "contrast")] > 0))
        for p in pairs
    ]
    return outcomes, lds, time.perf_counter() - start


def proxy_outcomes(
    pairs: list[Any], lds: dict[tuple[str, str], float], n: int = 30
) -> list[tuple[str, str, str]]:
    """When the model has too few real misfires to time the tools on, the ``n`` pairs
    with the largest behavioural LD(contrast) - LD(stereotyped) play failure ("c") and
    the others control ("a"). Only for timing: the findings mean nothing."""
    gap = {p.id: lds[(p.id, "contrast")] - lds[(p.id, "stereotyped")] for p in pairs}
    ranked = sorted(pairs, key=lambda p: (-gap[p.id], p.id))
    return [(p.id, p.category, "c" if i < n else "a") for i, p in enumerate(ranked)]


def non_embedding_params(model: Any) -> int:
    """Parameters in the blocks: the ones every token passes through (2 FLOPs each)."""
    return sum(p.numel() for n, p in model.named_parameters() if ".layers." in n or ".h." in n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep-pairs", type=int, default=10)
    parser.add_argument(
        "--verify-top",
        type=int,
        default=None,
        help="sweep only the screen's top M heads (default: all heads)",
    )
    parser.add_argument("--no-sweep", action="store_true", help="skip the exact sweep")
    parser.add_argument(
        "--compare-plain",
        action="store_true",
        help="also time the exact sweep without shared-prefix reuse, and compare effects",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--max-rows", type=int, default=64)
    parser.add_argument(
        "--cache-dir", default=None, help="pytest-veto cache root (models/ under it)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench_lens.json"))
    parser.add_argument("--plots", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "plugins"))
    import torch
    import transformers

    from pytest_veto.backends.hf import HFBackend
    from pytest_veto.backends.protocol import BackendOptions
    from pytest_veto.data.pairs import load_pairs
    from pytest_veto.lens.ablation import head_sweep
    from pytest_veto.lens.analysis import LensAnalysis, choose_pairs, pair_lenses
    from pytest_veto.lens.attribution import attribution_screen
    from pytest_veto.lens.inputs import lens_answer_tokens, lens_prompts
    from pytest_veto.lens.logit_lens import run_logit_lens
    from pytest_veto.lens.plots import available, write_plots
    from pytest_veto.lens.ranking import rank_agreement, ranking
    from pytest_veto.lens.recovery import topk_recovery

    if args.threads:
        torch.set_num_threads(args.threads)
    result: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "load_at_start": _load(),
        },
        "args": {k: str(v) for k, v in vars(args).items()},
    }

    def step(name: str, seconds: float, **extra: Any) -> None:
        result[name] = {"seconds": round(seconds, 2), "load": round(_load(), 2), **extra}
        details = ", ".join(f"{k}={v}" for k, v in extra.items() if not isinstance(v, (list, dict)))
        print(f"{name:<22} {seconds:8.1f} s   (load {_load():.1f}) {details}", flush=True)

    pairs = load_pairs(SAMPLE)
    outcomes, behaviour_lds, seconds = behavioural_outcomes(pairs, args.cache_dir)
    counts = {cell: sum(o[2] == cell for o in outcomes) for cell in "abcd"}
    proxy = counts["c"] < args.sweep_pairs
    step("behaviour_primed", seconds, cells=counts, proxy_roles=proxy)
    if proxy:
        print(f"   only {counts['c']} misfires: proxy roles by behavioural gap (timing only)")
        outcomes = proxy_outcomes(pairs, behaviour_lds)

    start = time.perf_counter()
    backend = HFBackend(MODEL, BackendOptions(cache_dir=args.cache_dir))
    model, tok = backend.hf_model, backend.tokenizer
    step("load", time.perf_counter() - start, params_blocks=non_embedding_params(model))
    tokens = lens_answer_tokens(tok)
    prompts = lens_prompts(pairs, backend.chat_prompt)
    n_tokens = sum(len(tok.encode(p.text, add_special_tokens=False)) for p in prompts)

    start = time.perf_counter()
    results = run_logit_lens(model, tok, prompts, tokens, batch_size=8)
    lens_s = time.perf_counter() - start
    step(
        "lens_128_halves",
        lens_s,
        prompts=len(prompts),
        tokens=n_tokens,
        s_per_pair=round(2 * lens_s / len(prompts), 3),
    )
    selection = choose_pairs(outcomes, n=30, seed=0)
    start = time.perf_counter()
    chosen = [p for p in pairs if p.id in set(selection.failure) | set(selection.control)]
    chosen_results = run_logit_lens(
        model, tok, lens_prompts(chosen, backend.chat_prompt), tokens, batch_size=8
    )
    analysis = LensAnalysis(tuple(pair_lenses(chosen_results, selection)), tokens.as_json())
    summary = analysis.summary()
    step(
        "lens_analysis_60",
        time.perf_counter() - start,
        n=summary["n"],
        peak=summary["peak"],
        handoff_rate=summary["handoff_rate"],
        verdict=summary["late_layer"]["verdict"],
    )
    del results
    result["lens_section"] = analysis.as_dict()

    failure_ids = list(selection.failure)
    fill = [p for p in selection.control if p not in failure_ids]
    sweep_ids = (failure_ids + fill)[: args.sweep_pairs]
    sweep_prompts = [p for p in prompts if p.pair_id in set(sweep_ids)]
    start = time.perf_counter()
    screen = attribution_screen(model, tok, sweep_prompts, tokens, batch_size=4)
    seconds = time.perf_counter() - start
    step("screen", seconds, pairs=len(sweep_ids), s_per_pair=round(seconds / len(sweep_ids), 2))
    result["screen_effects"] = [e.as_dict() for e in screen.effects()]

    order = ranking(screen.effects())
    if not args.no_sweep:
        candidates = order[: args.verify_top] if args.verify_top else None
        start = time.perf_counter()
        sweep = head_sweep(
            model,
            tok,
            sweep_prompts,
            tokens,
            heads=candidates,
            max_rows=args.max_rows,
            progress=lambda line, **_: print("   ", line, flush=True),
            share_prefix=args.compare_plain,
        )
        seconds = time.perf_counter() - start
        n_heads = len(candidates) if candidates else 270
        step(
            "exact_sweep",
            seconds,
            pairs=len(sweep_ids),
            heads=n_heads,
            s_per_pair=round(seconds / len(sweep_ids), 1),
        )
        if args.compare_plain:
            start = time.perf_counter()
            plain = head_sweep(
                model,
                tok,
                sweep_prompts,
                tokens,
                heads=candidates,
                max_rows=args.max_rows,
                share_prefix=False,
            )
            plain_s = time.perf_counter() - start
            gap = max(
                max(abs(a.d_stereotyped - b.d_stereotyped), abs(a.d_contrast - b.d_contrast))
                for a, b in zip(
                    sorted(sweep.effects(), key=lambda e: (e.layer, e.head)),
                    sorted(plain.effects(), key=lambda e: (e.layer, e.head)),
                    strict=True,
                )
            )
            step(
                "exact_sweep_plain",
                plain_s,
                speedup=round(plain_s / seconds, 2),
                largest_effect_gap=gap,
            )
        agreement = rank_agreement(sweep.effects(), screen.effects())
        step("agreement", 0.0, **{k: v for k, v in agreement.items()})
        result["sweep_effects"] = [e.as_dict() for e in sweep.effects()]
        exact_order = ranking(sweep.effects())
        order = exact_order + [h for h in order if h not in set(exact_order)]

    failure_prompts = [p for p in prompts if p.pair_id in set(failure_ids)]
    if failure_prompts:
        start = time.perf_counter()
        recovery = topk_recovery(model, tok, failure_prompts, tokens, order)
        step(
            "topk_recovery",
            time.perf_counter() - start,
            pairs=len(failure_ids),
            rates=[p.recovery_rate for p in recovery.points],
        )
        result["recovery"] = recovery.as_dict()
        if args.plots and available():
            paths = write_plots(analysis.as_dict(), recovery.as_dict(), args.plots)
            print("figures:", ", ".join(str(p) for p in paths))
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
