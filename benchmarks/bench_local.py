"""How fast is the local backend (``hf/smollm2-135m-instruct``) on this machine, against
what its matrix multiplies allow?

Everything goes through the real backend (``create_backend`` + ``HFBackend.complete``) on
the direct-condition requests of the embedded sample
(``requests_for(Case(pair), "direct")`` over ``sample_pairs_path()``). Steps:

1. matmul rate, float32 and bfloat16, ``torch.get_num_threads()`` threads: the model's own
   linear layers (q, k, v, o, gate, up, down of one block as ``F.linear`` on M x 576
   activations, M = rows x width of a typical scoring batch) and a square 1024 matmul;
2. logits scoring (float32, batch 16): prompts/s, tokens/s and the ratio to the float32
   floor = (prompt tokens x 2 x non-embedding parameters + prompts x 2 x vocab x hidden
   for the head at the last position) / the model-linears float32 rate;
3. greedy generation, batch 16 vs batch 1, on the same prompts;
4. logits scoring in bfloat16: speed-up over float32, answer agreement, max |LD| change;
5. a Markdown table with the machine (CPU, cores, threads, load average, date).

``--profile`` adds a torch.profiler breakdown of one scoring batch (4 prompts) and a timing
of the same batch's forward pass with the vocabulary head at every position
(``logits_to_keep=0``) against the last position only (``logits_to_keep=1``, what
``HFBackend._score`` passes); the script also checks with a hook on the head that the
backend's own scoring computes the head at one position per prompt.

    python benchmarks/bench_local.py [--prompts 32] [--gen-prompts 16] [--threads N]
                                     [--repeats 2] [--no-generate] [--no-bf16]
                                     [--profile] [--cache-dir DIR] [--json FILE]

Wall seconds are best of ``--repeats``; the load average (1 min) is recorded at every
step because a shared machine slows everything (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

MODEL = "hf/smollm2-135m-instruct"
LOADS: list[tuple[str, float]] = []


def load_avg() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def note_load(step: str) -> float:
    value = load_avg()
    LOADS.append((step, value))
    return value


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")
                return ",".join(f for f in wanted if f in flags)
    except OSError:
        pass
    return "?"


# -- 1. matrix multiplies -----------------------------------------------------------------


def layer_shapes(config: Any) -> list[tuple[int, int]]:
    """(in, out) of every linear layer of one decoder block (Llama layout)."""
    d, ff = config.hidden_size, config.intermediate_size
    head_dim = getattr(config, "head_dim", None) or d // config.num_attention_heads
    q = config.num_attention_heads * head_dim
    kv = config.num_key_value_heads * head_dim
    return [(d, q), (d, kv), (d, kv), (q, d), (d, ff), (d, ff), (ff, d)]


def time_rate(fn: Callable[[], Any], flops: float, budget_s: float) -> dict[str, float]:
    """GFLOP/s of ``fn`` (best and median over repeats filling about ``budget_s``)."""
    fn()  # warm-up (allocations, MKL/oneDNN kernel selection)
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < 3 or (time.perf_counter() < deadline and len(times) < 200):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {
        "best": flops / min(times) / 1e9,
        "median": flops / statistics.median(times) / 1e9,
        "repeats": float(len(times)),
    }


def matmul_rates(config: Any, rows: int, budget_s: float) -> dict[str, dict[str, dict[str, float]]]:
    import torch
    import torch.nn.functional as F

    out: dict[str, dict[str, dict[str, float]]] = {}
    shapes = layer_shapes(config)
    for name in ("float32", "bfloat16"):
        dtype = getattr(torch, name)
        gen = torch.Generator().manual_seed(0)
        with torch.inference_mode():
            weights = [torch.randn(o, i, generator=gen).to(dtype) for i, o in shapes]
            inputs = {i: torch.randn(rows, i, generator=gen).to(dtype) for i, _ in shapes}

            def block(weights: list[Any] = weights, inputs: dict[int, Any] = inputs) -> None:
                for (i, _), w in zip(shapes, weights, strict=True):
                    F.linear(inputs[i], w)

            block_flops = sum(2.0 * rows * i * o for i, o in shapes)
            a = torch.randn(1024, 1024, generator=gen).to(dtype)
            b = torch.randn(1024, 1024, generator=gen).to(dtype)

            def square(a: Any = a, b: Any = b) -> None:
                torch.matmul(a, b)

            out[name] = {
                "model_linears": time_rate(block, block_flops, budget_s),
                "square_1024": time_rate(square, 2.0 * 1024**3, budget_s / 2),
            }
        note_load(f"matmul {name}")
    return out


# -- the backend ----------------------------------------------------------------------------


def sample_requests(n: int) -> list[Any]:
    from pytest_veto.data.pairs import load_pairs
    from pytest_veto.data.resources import sample_pairs_path
    from pytest_veto.run.cases import Case, requests_for

    requests = [
        r for pair in load_pairs(sample_pairs_path()) for r in requests_for(Case(pair), "direct")
    ]
    return requests[:n]


def make_backend(cache_dir: str | None, **options: Any) -> Any:
    from pytest_veto.backends import create_backend
    from pytest_veto.backends.protocol import BackendOptions

    return create_backend(MODEL, BackendOptions(cache_dir=cache_dir, **options))


def timed_complete(
    backend: Any, requests: Sequence[Any], repeats: int
) -> tuple[list[Any], float, float]:
    """Completions (of the last run), best wall seconds and its CPU seconds; one
    warm-up call (two requests, short budget) first."""
    backend.complete([dataclasses.replace(r, max_new_tokens=2) for r in requests[:2]])
    best, best_cpu, done = float("inf"), 0.0, []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        done = backend.complete(requests)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        errors = [c.error for c in done if c.status != "ok"]
        if errors:
            raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
        if wall < best:
            best, best_cpu = wall, cpu
    return done, best, best_cpu


def token_counts(backend: Any, requests: Sequence[Any]) -> tuple[int, int, int]:
    """Real prompt tokens, tokens computed with padding, and the longest batch width."""
    encoded = {i: backend.encode_prompt(r) for i, r in enumerate(requests)}
    real = sum(len(t) for t in encoded.values())
    padded, widest = 0, 0
    for batch in backend._batches(requests, encoded):  # the backend's own batching
        width = max(len(encoded[i]) for i in batch)
        padded += width * len(batch)
        widest = max(widest, width)
    return real, padded, widest


def non_embedding_params(model: Any) -> int:
    """Parameters inside the decoder blocks (each costs 2 FLOPs per token)."""
    return sum(p.numel() for n, p in model.named_parameters() if ".layers." in n)


def head_keeps_last_position_only(backend: Any) -> bool:
    """Does the scorer's forward call restrict the vocabulary head to the last position?"""
    seen: dict[str, int] = {}
    head = backend.hf_model.get_output_embeddings()
    handle = head.register_forward_hook(lambda m, i, o: seen.__setitem__("positions", o.shape[1]))
    try:
        backend.complete(sample_requests(1))
    finally:
        handle.remove()
    return seen.get("positions") == 1


def profile_batch(backend: Any, requests: Sequence[Any]) -> dict[str, Any]:
    """Where one scoring batch spends its time, and what the head at every position costs."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    batch = list(requests[:4])  # a short batch: under load a full one takes too long
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        backend.complete(batch)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) or 1.0
    top = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:12]
    ops = [(e.key, round(100.0 * e.self_cpu_time_total / total, 1), e.count) for e in top]

    rows = [backend.encode_prompt(r) for r in batch]
    ids, mask = backend._padded(rows)
    positions = (mask.cumsum(-1) - 1).clamp_min(0)
    timings: dict[str, float] = {}
    with torch.inference_mode():
        for keep in (1, 0, 1, 0):  # interleaved, best of two each
            start = time.perf_counter()
            backend.hf_model(
                input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=keep
            )
            elapsed = time.perf_counter() - start
            name = f"logits_to_keep={keep}"
            timings[name] = min(elapsed, timings.get(name, float("inf")))
    note_load("profile")
    return {
        "top_ops_self_cpu_pct": ops,
        "one_batch_forward_s": timings,
        "batch_shape": list(ids.shape),
    }


# -- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=32, help="prompts for logits scoring")
    parser.add_argument(
        "--gen-prompts",
        type=int,
        default=16,
        help="prompts for generation (the same ones at batch 16 and 1)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=2, help="scoring runs (best is kept)")
    parser.add_argument(
        "--matmul-seconds", type=float, default=2.0, help="time budget per matmul rate"
    )
    parser.add_argument("--no-generate", action="store_true")
    parser.add_argument("--no-bf16", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--cache-dir", default=None, help="pytest-veto cache root (models/ under it)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write every number here")
    args = parser.parse_args()

    import torch
    import transformers

    if args.threads:
        torch.set_num_threads(args.threads)
    started = datetime.datetime.now().astimezone()
    note_load("start")
    res: dict[str, Any] = {
        "machine": {
            "cpu": cpu_model(),
            "flags": cpu_flags(),
            "cores": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "date": started.isoformat(timespec="minutes"),
        }
    }
    print(
        f"{cpu_model()} ({cpu_flags()}), {os.cpu_count()} cores, "
        f"{torch.get_num_threads()} torch threads, load {load_avg():.2f}",
        flush=True,
    )

    # logits scoring, float32 (loaded first: its batch shape sizes the matmul test)
    requests = sample_requests(args.prompts)
    start = time.perf_counter()
    f32 = make_backend(args.cache_dir, scoring="logits", batch_size=16, dtype="float32")
    res["load_s"] = round(time.perf_counter() - start, 2)
    model = f32.hf_model
    config = model.config
    n_blocks = non_embedding_params(model)
    n_all = sum(p.numel() for p in model.parameters())
    real, padded, widest = token_counts(f32, requests)
    batches = -(-len(requests) // 16)
    rows = round(padded / batches)  # activations rows of a typical batch (16 x width)
    res["model"] = {
        "params_all": n_all,
        "params_blocks": n_blocks,
        "vocab": config.vocab_size,
        "hidden": config.hidden_size,
        "layers": config.num_hidden_layers,
        "prompt_tokens": real,
        "padded_tokens": padded,
        "widest": widest,
    }
    last_only = head_keeps_last_position_only(f32)
    res["head_last_position_only"] = last_only
    print(
        f"model: {n_all / 1e6:.1f} M parameters, {n_blocks / 1e6:.1f} M in blocks; "
        f"{len(requests)} prompts, {real} tokens ({real / len(requests):.0f}/prompt), "
        f"{padded} with padding; head at last position only: {last_only}",
        flush=True,
    )

    res["matmul"] = rates = matmul_rates(config, rows, args.matmul_seconds)
    for name, r in rates.items():
        print(
            f"matmul {name:<8}  model linears (M={rows}): {r['model_linears']['median']:6.1f} "
            f"GFLOP/s (best {r['model_linears']['best']:.1f}); square 1024: "
            f"{r['square_1024']['median']:6.1f} (best {r['square_1024']['best']:.1f})",
            flush=True,
        )

    done32, wall, cpu = timed_complete(f32, requests, args.repeats)
    note_load("logits float32")
    head_positions = len(requests) if last_only else padded
    floor_flops = (
        real * 2.0 * n_blocks + head_positions * 2.0 * config.vocab_size * config.hidden_size
    )
    floor_median = floor_flops / (rates["float32"]["model_linears"]["median"] * 1e9)
    floor_best = floor_flops / (rates["float32"]["model_linears"]["best"] * 1e9)
    res["logits_float32"] = {
        "wall_s": wall,
        "cpu_s": cpu,
        "prompts_per_s": len(requests) / wall,
        "tokens_per_s": real / wall,
        "floor_flops": floor_flops,
        "floor_s_median_rate": floor_median,
        "floor_s_best_rate": floor_best,
        "ratio_to_floor": wall / floor_median,
        "ratio_to_best_floor": wall / floor_best,
        "achieved_gflops": floor_flops / wall / 1e9,
    }
    print(
        f"logits f32 b16: {wall:.2f} s ({cpu:.1f} CPU s), {len(requests) / wall:.2f} prompts/s, "
        f"{real / wall:.0f} tok/s; floor {floor_median:.2f} s -> {wall / floor_median:.2f}x "
        f"({wall / floor_best:.2f}x of the best-rate floor; {cpu / floor_median:.2f}x by CPU s)",
        flush=True,
    )

    if args.profile:
        res["profile"] = prof = profile_batch(f32, requests)
        print(f"profile of one batch {prof['batch_shape']} (self CPU %):")
        for key, pct, count in prof["top_ops_self_cpu_pct"]:
            print(f"   {pct:5.1f}%  {key} x{count}")
        print(
            "   forward only:",
            {k: round(v, 3) for k, v in prof["one_batch_forward_s"].items()},
            flush=True,
        )

    if not args.no_bf16:
        bf16 = make_backend(args.cache_dir, scoring="logits", batch_size=16, dtype="bfloat16")
        done16, wall16, cpu16 = timed_complete(bf16, requests, args.repeats)
        bf16.close()
        note_load("logits bfloat16")
        same = sum(a.text == b.text for a, b in zip(done32, done16, strict=True))
        diffs = [
            abs((a.logit_diff or 0.0) - (b.logit_diff or 0.0))
            for a, b in zip(done32, done16, strict=True)
        ]
        flips = [
            (r.key, round(a.logit_diff or 0.0, 3), round(b.logit_diff or 0.0, 3))
            for r, a, b in zip(requests, done32, done16, strict=True)
            if a.text != b.text
        ]
        res["logits_bfloat16"] = {
            "wall_s": wall16,
            "cpu_s": cpu16,
            "prompts_per_s": len(requests) / wall16,
            "speedup_vs_float32": wall / wall16,
            "agreement": same / len(requests),
            "max_abs_ld_diff": max(diffs),
            "mean_abs_ld_diff": statistics.fmean(diffs),
            "flips_f32_bf16": flips,
        }
        print(
            f"logits bf16 b16: {wall16:.2f} s, {len(requests) / wall16:.2f} prompts/s, "
            f"speed-up {wall / wall16:.2f}x; agreement {same}/{len(requests)}, "
            f"max |dLD| {max(diffs):.3f}, mean {statistics.fmean(diffs):.3f}",
            flush=True,
        )
    f32.close()

    if not args.no_generate:
        gen_requests = sample_requests(args.gen_prompts)
        gen: dict[int, tuple[list[Any], float, float]] = {}
        for batch_size in (16, 1):
            backend = make_backend(
                args.cache_dir, scoring="generate", batch_size=batch_size, dtype="float32"
            )
            gen[batch_size] = timed_complete(backend, gen_requests, 1)
            backend.close()
            note_load(f"generate b{batch_size}")
            done, gwall, gcpu = gen[batch_size]
            new = sum(c.extra.get("new_tokens", 0.0) for c in done)
            res[f"generate_b{batch_size}"] = {
                "wall_s": gwall,
                "cpu_s": gcpu,
                "prompts_per_s": len(done) / gwall,
                "new_tokens": new,
                "new_tokens_per_s": new / gwall,
            }
            print(
                f"generate b{batch_size}: {gwall:.2f} s ({gcpu:.1f} CPU s), "
                f"{len(done) / gwall:.2f} prompts/s, {new:.0f} new tokens",
                flush=True,
            )
        same = sum(a.text == b.text for a, b in zip(gen[16][0], gen[1][0], strict=True))
        res["generate_ratio"] = gen[1][1] / gen[16][1]
        res["generate_text_agreement"] = same / len(gen_requests)
        print(
            f"batched / unbatched: {res['generate_ratio']:.2f}x; identical texts "
            f"{same}/{len(gen_requests)}",
            flush=True,
        )

    res["loads"] = LOADS
    print_table(res, rows, len(requests), args.gen_prompts)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def print_table(res: dict[str, Any], rows: int, n: int, n_gen: int) -> None:
    m, mm = res["machine"], res["matmul"]
    loads = [v for _, v in LOADS]
    lines = [
        "",
        f"`bench_local.py`, {m['date']}: {m['cpu']} ({m['flags']}), {m['cores']} cores, "
        f"{m['threads']} torch threads, Python {m['python']}, torch {m['torch']}, "
        f"transformers {m['transformers']}; load average (1 min) {min(loads):.1f}-{max(loads):.1f} "
        f"during the run. SmolLM2-135M-Instruct, {n} direct-condition sample prompts "
        f"({res['model']['prompt_tokens'] / n:.0f} tokens each)"
        + (f", {n_gen} for generation." if "generate_ratio" in res else "."),
        "",
        "| what | result | load |",
        "| --- | ---: | ---: |",
    ]
    load_at = dict(LOADS)
    for name in ("float32", "bfloat16"):
        r = mm[name]
        lines.append(
            f"| matmul {name}, model linears (M={rows}) / square 1024 | "
            f"{r['model_linears']['median']:.0f} / {r['square_1024']['median']:.0f} GFLOP/s "
            f"| {load_at[f'matmul {name}']:.1f} |"
        )
    lf = res["logits_float32"]
    lines.append(
        f"| logits scoring, float32, batch 16 | {lf['prompts_per_s']:.2f} prompts/s, "
        f"{lf['tokens_per_s']:.0f} tokens/s | {load_at['logits float32']:.1f} |"
    )
    lines.append(
        f"| float32 floor (block params x 2 x tokens + head at "
        f"{'last position' if res['head_last_position_only'] else 'every position'}) | "
        f"{lf['floor_s_median_rate']:.2f} s vs {lf['wall_s']:.2f} s measured: "
        f"**{lf['ratio_to_floor']:.2f}x** (goal 1.3x) | |"
    )
    if m["threads"] == 1:  # one thread: CPU seconds are the work done, whatever the load
        lines.append(
            f"| same, by CPU seconds (1 thread; steadier under load) | "
            f"{lf['cpu_s']:.2f} CPU s: **{lf['cpu_s'] / lf['floor_s_median_rate']:.2f}x** "
            f"| |"
        )
    if "logits_bfloat16" in res:
        lb = res["logits_bfloat16"]
        lines.append(
            f"| logits scoring, bfloat16, batch 16 | {lb['prompts_per_s']:.2f} prompts/s "
            f"({lb['speedup_vs_float32']:.2f}x float32); same answer "
            f"{100 * lb['agreement']:.0f}%, max abs LD change {lb['max_abs_ld_diff']:.2f} | "
            f"{load_at['logits bfloat16']:.1f} |"
        )
    if "generate_ratio" in res:
        g16, g1 = res["generate_b16"], res["generate_b1"]
        lines.append(
            f"| greedy generation, batch 1 | {g1['prompts_per_s']:.2f} prompts/s | "
            f"{load_at['generate b1']:.1f} |"
        )
        lines.append(
            f"| greedy generation, batch 16 | {g16['prompts_per_s']:.2f} prompts/s: "
            f"**{res['generate_ratio']:.2f}x** batch 1 (goal 2x) | "
            f"{load_at['generate b16']:.1f} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
