"""How long do the bootstrap and the whole statistics block take at the full VETO size?

2,032 pairs (the published per-category counts, a realistic 2x2 split in each), 10,000
resamples, the spec's setting. Times, each the best of ``--repeat`` runs:

  (a) ``bootstrap_intervals`` once over the pooled table (the count draw this project uses);
  (b) the same resampling done the long way, drawing pair indices (20.3 M draws), for scale;
  (c) ``run_statistics`` over two variants (base + one priming variant): 18 bootstrap
      streams, 18 exact McNemar tests, Benjamini-Hochberg, Wilson intervals.

    python benchmarks/bench_bootstrap.py [--repeat 5] [--resamples 10000]

numpy's import (~0.1-0.2 s, paid once per process) is excluded and printed apart.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from pytest_veto.report.view import PairRow
from pytest_veto.score.bootstrap import bootstrap_intervals
from pytest_veto.score.stats import run_statistics

COUNTS = {
    "Age": 360,
    "Disability_status": 181,
    "Gender_identity": 520,
    "Physical_appearance": 163,
    "Race_ethnicity": 230,
    "Religion": 150,
    "SES": 320,
    "Sexual_orientation": 108,
}
#: fractions of a, b, c, d in every category (MAR about 10%, BR about 3%)
SPLIT = (0.84, 0.03, 0.09, 0.04)


def pairs() -> list[PairRow]:
    rows = []
    for variant, shift in (("base", 0.0), ("trigger", 0.2)):
        for cat, n in COUNTS.items():
            a, b, c = (round(n * f) for f in SPLIT[:3])
            moved = round(n * shift)  # the cue turns some a into c
            cells = ["a"] * (a - moved) + ["b"] * b + ["c"] * (c + moved)
            cells += ["d"] * (n - len(cells))
            rows += [PairRow(f"{cat}_{i}", cat, variant, o) for i, o in enumerate(cells)]
    return rows


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=10_000)
    args = parser.parse_args()
    start = time.perf_counter()
    import numpy as np

    print(f"numpy import: {time.perf_counter() - start:.3f} s (numpy {np.__version__})")

    rows = pairs()
    base = [r.outcome for r in rows if r.variant == "base"]
    cells = [base.count(k) for k in "abcd"]
    print(f"pairs: {len(base)} per variant, cells a b c d = {cells}, resamples: {args.resamples}")

    t_a = best(lambda: bootstrap_intervals(*cells, resamples=args.resamples), args.repeat)

    codes = np.repeat(np.arange(4), cells)

    def long_way() -> object:
        rng = np.random.default_rng(0)
        sample = codes[rng.integers(0, len(codes), size=(args.resamples, len(codes)))]
        a, c = (sample == 0).sum(axis=1), (sample == 2).sum(axis=1)
        return np.percentile(100.0 * c / (a + c), [2.5, 97.5])

    t_b = best(long_way, max(1, args.repeat // 2))
    t_c = best(lambda: run_statistics(rows, resamples=args.resamples), args.repeat)
    print(f"(a) bootstrap, pooled table (count draw):    {1000 * t_a:8.1f} ms")
    print(f"(b) same, drawing pair indices (long way):   {1000 * t_b:8.1f} ms")
    print(f"(c) run_statistics, 2 variants x 9 tables:   {1000 * t_c:8.1f} ms")


if __name__ == "__main__":
    main()
