"""How much does pytest-veto cost per test, compared with a bare ``@pytest.mark.parametrize``?

Builds a 2,032-pair JSON Lines file (the 64 sample pairs replicated under new ids, so it is
valid data of the full benchmark's size), then times, each with ``-n 0`` and ``-n 2``:

  (a) veto:  pytest --model=reference/evidence-reader --veto-data=<2,032 pairs>  (the shipped suite)
  (b) bare:  pytest test_bare.py  (one parametrized test over 2,032 trivial cases, plugin off)

and prints wall and CPU times (CPU: user+system of pytest and its xdist workers), the
per-item overhead of (a) over (b) and their ratio. The spec's goal: (a) under 10 s with
``-n 2``, and within 1.5x of (b).

    python benchmarks/bench_plugin_overhead.py [--repeat 3] [--profile] [--keep-plugins]

``--profile`` also runs (a) with ``-n 0`` under cProfile and prints where the time goes.
By default plugins unrelated to the measurement (hypothesis, pytest-benchmark, anyio) are
blocked in both runs; ``--keep-plugins`` measures with whatever is installed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_veto.plugin import SUITE_DIR

ROOT = Path(__file__).resolve().parents[1]
VETO_TESTS = SUITE_DIR / "test_pairs.py"  # the VETO suite only
SAMPLE = ROOT / "fixtures" / "veto_sample.jsonl"
N_PAIRS = 2032
GOAL_SECONDS = 10.0
GOAL_RATIO = 1.5
UNRELATED = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:anyio")
BARE_TEST = f"""
import pytest


@pytest.mark.parametrize("i", range({N_PAIRS}))
def test_bare(i):
    assert i >= 0
"""


def build_pairs(folder: Path) -> Path:
    """2,032 valid, distinct pairs: the sample's 64, replicated under new ids
    (``..._p<k>``), each copy's prompts opened with its own case number (copies with
    identical prompts are one pair under two ids, which loading warns about: 1,968
    warnings would be measured instead of the plugin)."""
    records = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines() if line]
    out: list[str] = []
    k = 0
    while len(out) < N_PAIRS:
        for rec in records:
            if len(out) == N_PAIRS:
                break
            copy = json.loads(json.dumps(rec))
            copy["id"] = f"{rec['id'].rsplit('_p', 1)[0]}_p{k}"
            if k:
                for half in copy["prompts"].values():
                    half["text"] = f"(Case {k}.) {half['text']}"
            out.append(json.dumps(copy, ensure_ascii=False))
        k += 1
    path = folder / "veto_2032.jsonl"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def cpu_model() -> str:
    """The CPU's model name (as ``lscpu`` shows it), or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


@dataclass
class Timing:
    wall: float
    cpu: float
    ret: int
    summary: str


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> Timing:
    """Run ``python -m pytest args``; wall time and the CPU time of it and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [x for x in proc.stdout.strip().splitlines() if x.strip()]
    return Timing(wall, cpu, proc.returncode, lines[-1] if lines else proc.stderr[-300:])


def profile(args: list[str], cwd: Path, env: dict[str, str], top: int = 20) -> str:
    """cProfile one run: pytest-veto's functions by cumulative time, then all by own time."""
    out = cwd / "run.prof"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "pytest", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    buf = io.StringIO()
    stats = pstats.Stats(str(out), stream=buf)
    buf.write("--- pytest-veto functions, by cumulative time ---\n")
    stats.sort_stats("cumulative").print_stats("pytest_veto", top)
    buf.write("--- all functions, by own time ---\n")
    stats.sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration")
    parser.add_argument("--profile", action="store_true", help="cProfile the -n 0 veto run")
    parser.add_argument(
        "--keep-plugins", action="store_true", help="do not block unrelated installed plugins"
    )
    opts = parser.parse_args()

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_ADDOPTS", "PYTEST_XDIST_AUTO_NUM_WORKERS")
    }
    common = ["-p", "no:cacheprovider", "-q"] + ([] if opts.keep_plugins else list(UNRELATED))
    print(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}: python {platform.python_version()} on "
        f"{platform.machine()} ({cpu_model()}), {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="veto-bench-") as tmp:
        folder = Path(tmp)
        data = build_pairs(folder)
        (folder / "test_bare.py").write_text(BARE_TEST, encoding="utf-8")
        configs = {
            "veto": [str(VETO_TESTS), "--model=reference/evidence-reader", f"--veto-data={data}"],
            "bare": ["test_bare.py", "-p", "no:veto"],
        }
        results: dict[tuple[str, int], list[Timing]] = {}
        for _rep in range(opts.repeat):
            for n in (0, 2):
                for name, args in configs.items():
                    t = timed([*args, *common, "-n", str(n)], folder, env)
                    results.setdefault((name, n), []).append(t)
                    if t.ret != 0 or not t.summary.startswith(f"{N_PAIRS} passed in "):
                        print(
                            f"!! {name} -n {n} exited {t.ret}, not {N_PAIRS} clean passes: "
                            f"{t.summary}"
                        )
        print(
            f"\n{'run':<12} {'wall min':>9} {'wall med':>9} {'cpu min':>8} {'cpu med':>8}  summary"
        )
        best: dict[tuple[str, int], Timing] = {}
        for (name, n), ts in sorted(results.items()):
            walls, cpus = [t.wall for t in ts], [t.cpu for t in ts]
            best[(name, n)] = min(ts, key=lambda t: t.wall)
            print(
                f"{name + ' -n ' + str(n):<12} {min(walls):9.2f} {statistics.median(walls):9.2f} "
                f"{min(cpus):8.2f} {statistics.median(cpus):8.2f}  {ts[-1].summary}"
            )
        print(f"\nload average after the runs: {os.getloadavg()[0]:.2f}")
        ok = True
        for n in (0, 2):
            veto, bare = best[("veto", n)], best[("bare", n)]
            per_item_ms = 1000 * (veto.wall - bare.wall) / N_PAIRS
            per_item_cpu_ms = 1000 * (veto.cpu - bare.cpu) / N_PAIRS
            ratio, cpu_ratio = veto.wall / bare.wall, veto.cpu / bare.cpu
            print(
                f"-n {n}: veto/bare wall ratio {ratio:.2f}x (CPU {cpu_ratio:.2f}x); "
                f"overhead per item {per_item_ms:.2f} ms wall, {per_item_cpu_ms:.2f} ms CPU"
            )
            if ratio > GOAL_RATIO:
                ok = False
        veto2 = best[("veto", 2)].wall
        print(
            f"goal: 2,032 pairs with -n 2 under {GOAL_SECONDS:.0f} s: "
            f"{'met' if veto2 < GOAL_SECONDS else 'MISSED'} ({veto2:.2f} s); "
            f"within {GOAL_RATIO}x of bare parametrize: {'met' if ok else 'MISSED'}"
        )
        if opts.profile:
            print("\n=== cProfile: veto -n 0 ===")
            print(profile([*configs["veto"], *common, "-n", "0"], folder, env))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
