"""API throughput of the gate against a loopback OpenAI-compatible server (not a test).

Runs the VETO suite with the litellm backend against ``tests/support/openai_stub.py``
started as its own process with a fixed latency per request, and compares the wall time
with the ideal ``calls x latency / (workers x concurrency)``. Then reruns with the same
cache (goal: zero requests). Usage:

    python benchmarks/bench_api.py --pairs /tmp/veto.jsonl --workers 2 --concurrency 16

``--client litellm|openai`` forces the client (``--veto-api-client``; default auto, which
is the OpenAI client for the stub's ``openai/`` model at its ``--api-base``).

``--pairs`` is any pair file (e.g. built with ``pytest-veto build-pairs``); default: the
embedded sample.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_veto.plugin import SUITE_DIR

ROOT = Path(__file__).resolve().parents[1]


def start_stub(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.openai_stub",
            "--port",
            "0",
            "--latency",
            str(latency),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit(
            f"stub did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc, line.split(" ", 1)[1]


def stop_stub(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    return err


def run_suite(base_url: str, args: argparse.Namespace, cache: Path, concurrency: int) -> float:
    report = cache / "r.json"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITE_DIR / "test_pairs.py"),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:benchmark",
        "--model=openai/stub-model",
        f"--api-base={base_url}",
        "--veto-no-preflight",  # counts and faults are per test request
        f"--veto-cache-dir={cache}",
        f"--veto-concurrency={concurrency}",
        f"--veto-api-client={args.client}",
        f"--veto-report={report}",
        "-n",
        str(args.workers),
    ]
    if args.pairs:
        cmd.append(f"--veto-data={args.pairs}")
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    n = json.loads(report.read_text())["accounting"]["reported"]
    print(f"  {n} pairs, exit {done.returncode}, wall {wall:.2f} s")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument(
        "--client", choices=["auto", "litellm", "openai"], default="auto", help="--veto-api-client"
    )
    parser.add_argument(
        "--no-sequential", action="store_true", help="skip the concurrency-1 run (minutes)"
    )
    args = parser.parse_args()
    from pytest_veto.data.dataset import load_dataset

    n_pairs = len(load_dataset(Path(args.pairs) if args.pairs else None).pairs)
    calls = 2 * n_pairs
    print(
        f"{platform.node()} {platform.processor() or platform.machine()} "
        f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}; {n_pairs} pairs, "
        f"{calls} calls, latency {args.latency * 1000:.0f} ms, client {args.client}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for concurrency in (args.concurrency,) if args.no_sequential else (args.concurrency, 1):
        ideal = calls * args.latency / (args.workers * concurrency)
        with tempfile.TemporaryDirectory() as tmp:
            proc, url = start_stub(args.latency)
            try:
                print(f"concurrency {concurrency}: ideal {ideal:.2f} s")
                wall = run_suite(url, args, Path(tmp), concurrency)
                print(f"  ratio to ideal {wall / ideal:.2f}x")
                if concurrency == args.concurrency:
                    print("cached rerun:")
                    run_suite(url, args, Path(tmp), concurrency)
            finally:
                print("  stub:", stop_stub(proc).strip().splitlines()[-1:])


if __name__ == "__main__":
    main()
