"""Logits scoring with and without the shared prompt prefix computed once.

Scores the same halves with SmolLM2-135M-Instruct (``--veto-scoring=logits``) through
``HFBackend.complete`` twice per round, alternating: once as shipped (the rows' common
prefix, the system turn, runs once per batch: ``backends/prefix.py``) and once plain
(the prefix reuse switched off). Prints wall and CPU seconds per arm (best of the
rounds), halves per second, prompt tokens, the share of them in the shared prefix, and
how far the two arms' logit differences are apart (and whether any answer's sign flips).

    python benchmarks/bench_prefix.py [--pairs FILE] [--limit N] [--rounds 2]
                                      [--batch-size 16] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from pytest_veto.backends import prefix
from pytest_veto.backends.hf import HFBackend
from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.cases import Case, requests_for
from pytest_veto.run.decoding import decoding_for

MODEL = "hf/smollm2-135m-instruct"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=sample_pairs_path())
    parser.add_argument("--limit", type=int, default=None, help="first N pairs only")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    pairs = load_pairs(args.pairs)[: args.limit]
    decoding = decoding_for("direct", MODEL)
    requests = [r for p in pairs for r in requests_for(Case(p), decoding)]
    backend = HFBackend(MODEL, BackendOptions(batch_size=args.batch_size, scoring="logits"))
    rows = [backend.encode_prompt(r) for r in requests]
    shared = prefix.shared_prefix(rows)
    backend.complete(requests[:4])  # warm up
    best: dict[str, tuple[float, float]] = {}
    diffs: dict[str, list[float]] = {}
    reuse_at = prefix.MIN_PREFIX
    for _ in range(args.rounds):
        for arm in ("reuse", "plain"):
            prefix.MIN_PREFIX = reuse_at if arm == "reuse" else 10**9
            wall, cpu = time.perf_counter(), time.process_time()
            out = backend.complete(requests)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if arm not in best or wall < best[arm][0]:
                best[arm] = (wall, cpu)
            diffs[arm] = [c.logit_diff or 0.0 for c in out]
    prefix.MIN_PREFIX = reuse_at
    gap = max(abs(a - b) for a, b in zip(diffs["reuse"], diffs["plain"], strict=True))
    flips = sum((a > 0) != (b > 0) for a, b in zip(diffs["reuse"], diffs["plain"], strict=True))
    tokens = sum(len(r) for r in rows)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"{args.threads} torch threads, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"halves {len(requests)}, prompt tokens {tokens} (mean {tokens / len(rows):.1f}), "
        f"shared prefix of all rows {shared} tokens"
    )
    for arm, (wall, cpu) in best.items():
        print(
            f"{arm:6s} wall {wall:7.2f} s  cpu {cpu:7.2f} s  {len(requests) / wall:6.1f} halves/s"
        )
    print(
        f"speed-up {best['plain'][0] / best['reuse'][0]:.2f}x; largest logit-difference gap "
        f"{gap:.2e}; answers flipped {flips}"
    )


if __name__ == "__main__":
    main()
