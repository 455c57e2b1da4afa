"""How long do SimHash fingerprinting and near-duplicate removal take at SaVaCu's size?

Generates 382,424 synthetic prompts (the size of SaVaCu) with a seeded generator:
templated sentences (fixed words with slots) filled with a random pseudo-word vocabulary,
plus a few exact copies and one-word edits of earlier prompts, so near-duplicates exist
and prompts of one template share shingles (which crowds buckets). Then times, at 10,000,
100,000 and 382,424 prompts (prefixes of the same stream):

  fingerprint  pytest_veto.misalign.simhash.fingerprints (64-bit, 3-word shingles)
  dedup        pytest_veto.misalign.neardup.dedup (Hamming <= 10, keep first)

and prints a table (wall and CPU seconds) with the counts (identical, near, kept), the
search's block count, tables, exact checks and capped queries, and the machine. The
goal: under 2 minutes for the full size, growing about linearly.

    python benchmarks/bench_simhash.py [--sizes 10000,100000,382424] [--seed 0]
                                       [--bands 10000,100000] [--json FILE]

``--bands`` also times the plain 11-band pigeonhole (blocks=11) at the given sizes, to show
why more blocks are used (its buckets hold n/64 items whatever the data).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from pytest_veto.misalign.neardup import dedup
from pytest_veto.misalign.simhash import fingerprints

FULL = 382_424
GOAL_SECONDS = 120.0
COMMON = (
    "how",
    "can",
    "i",
    "my",
    "the",
    "a",
    "to",
    "of",
    "for",
    "in",
    "on",
    "with",
    "without",
    "and",
    "or",
    "is",
    "are",
    "what",
    "why",
    "when",
    "should",
    "do",
    "does",
    "best",
    "way",
    "help",
    "me",
    "you",
    "your",
    "we",
    "our",
    "they",
    "their",
    "it",
    "this",
    "that",
    "about",
    "some",
    "any",
    "advice",
    "tips",
    "ideas",
    "plan",
    "make",
    "keep",
    "get",
    "find",
    "learn",
    "improve",
    "explain",
    "write",
    "describe",
    "compare",
    "suggest",
    "create",
    "use",
    "avoid",
    "need",
    "want",
    "new",
    "good",
    "better",
    "easy",
    "quick",
    "local",
    "family",
    "friends",
    "work",
    "home",
    "school",
    "city",
    "country",
    "people",
    "time",
    "day",
    "week",
    "year",
    "money",
    "food",
    "health",
)
SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "te",
    "vo",
    "zi",
    "pa",
    "qu",
    "ber",
    "dan",
    "fel",
    "gor",
    "hin",
    "jul",
    "kor",
    "lim",
    "mor",
    "nus",
)


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """Pseudo-words of 2-4 syllables, distinct."""
    seen: dict[str, None] = {}
    while len(seen) < size:
        seen["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(seen)


def templates(rng: random.Random, count: int = 400) -> list[list[str | None]]:
    """Token lists of 10-28 tokens: a common word, or None for a slot."""
    return [
        [rng.choice(COMMON) if rng.random() < 0.55 else None for _ in range(rng.randint(10, 28))]
        for _ in range(count)
    ]


def synthetic_prompts(
    n: int, seed: int = 0, near_rate: float = 0.04, copy_rate: float = 0.01
) -> list[str]:
    """``n`` prompts; a ``near_rate`` share are one-word edits, ``copy_rate`` exact copies."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    forms = templates(rng)
    out: list[str] = []
    for _ in range(n):
        roll = rng.random()
        if out and roll < copy_rate:
            out.append(rng.choice(out))
            continue
        if out and roll < copy_rate + near_rate:
            tokens = rng.choice(out).split()
            pos = rng.randrange(len(tokens))
            edit = rng.random()
            if edit < 0.5:
                tokens[pos] = rng.choice(vocab)
            elif edit < 0.75 and len(tokens) > 3:
                del tokens[pos]
            else:
                tokens.insert(pos, rng.choice(COMMON))
            out.append(" ".join(tokens))
            continue
        form = rng.choice(forms)
        # skewed draw: low ranks are common, like a real vocabulary
        words = [w if w is not None else vocab[int(len(vocab) * rng.random() ** 3)] for w in form]
        out.append(" ".join(words).capitalize() + "?")
    return out


def measure(prompts: list[str], blocks: int | None = None) -> dict[str, object]:
    """Time fingerprinting and dedup of ``prompts`` (wall clock, and CPU of this process:
    on a shared machine the CPU time is the steadier figure)."""
    started, cpu = time.perf_counter(), time.process_time()
    fps = fingerprints(prompts)
    fp_s, fp_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    result = dedup(fps, blocks=blocks)
    dd_s, dd_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "n": len(prompts),
        "fingerprint_s": round(fp_s, 2),
        "dedup_s": round(dd_s, 2),
        "total_s": round(fp_s + dd_s, 2),
        "cpu_s": round(fp_cpu + dd_cpu, 2),
        **result.counts(),
    }


def machine() -> dict[str, object]:
    """Where the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy

    return {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=f"10000,100000,{FULL}")
    parser.add_argument("--bands", default="", help="sizes to time with blocks=11 too")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    band_sizes = [int(s) for s in args.bands.split(",") if s]
    started = time.perf_counter()
    prompts = synthetic_prompts(max(sizes + band_sizes), args.seed)
    print(f"generated {len(prompts):,} prompts in {time.perf_counter() - started:.1f} s")
    rows = [{"search": "auto", **measure(prompts[:n])} for n in sizes]
    rows += [{"search": "11 bands", **measure(prompts[:n], blocks=11)} for n in band_sizes]
    info = machine()
    print(
        f"{info['date']}  {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"numpy {info['numpy']}"
    )
    head = (
        "search",
        "n",
        "fingerprint_s",
        "dedup_s",
        "total_s",
        "cpu_s",
        "identical",
        "near",
        "kept",
        "blocks",
        "tables",
        "comparisons",
        "capped",
    )
    print(" ".join(f"{h:>12}" for h in head))
    for row in rows:
        print(
            " ".join(
                f"{row[h]:>12,}" if isinstance(row[h], int) else f"{row[h]!s:>12}" for h in head
            )
        )
    full = [r for r in rows if r["n"] == FULL and r["search"] == "auto"]
    if full:
        total = float(str(full[0]["total_s"]))
        verdict = "within" if total <= GOAL_SECONDS else "OVER"
        print(f"full size: {total:.1f} s, {verdict} the {GOAL_SECONDS:.0f} s goal")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
