"""A cancelled run (SIGTERM, how CI cancels a job) leaves a partial JSON report and a
JUnit file marked failed ("interrupted: N of M pairs"), exits non-zero, and the next run
resumes from the response cache. The model is a slow loopback server, so the signal
arrives mid-run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.openai_stub import OpenAIStub

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_PARENT = Path(__import__("pytest_veto").__file__).resolve().parents[1]
UNRELATED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:anyio")
PAIRS = 64

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def command(stub: OpenAIStub, folder: Path, n: int) -> list[str]:
    return [
        sys.executable, "-m", "pytest", *UNRELATED_PLUGINS, "-p", "no:cacheprovider",
        "--model=openai/stub-model", f"--api-base={stub.base_url}", "-m", "not misalign",
        f"--veto-cache-dir={folder / 'cache'}", "--veto-concurrency=1", "-n", str(n),
        "--junitxml=j.xml", "--veto-report=r.json",
    ]  # fmt: skip


def start(stub: OpenAIStub, folder: Path, n: int) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_PARENT))
    env.pop("OPENAI_API_KEY", None)  # a keyless server
    return subprocess.Popen(
        command(stub, folder, n),
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition: object, what: str, limit_s: float = 240.0) -> None:
    """Poll until ``condition()`` holds (a guard against a hang, not a timed assertion)."""
    deadline = time.monotonic() + limit_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("n", [pytest.param(0, id="n0"), pytest.param(2, id="n2")])
def test_sigterm_writes_a_partial_report_and_the_rerun_resumes(tmp_path: Path, n: int) -> None:
    with OpenAIStub(latency_s=0.2) as stub:
        run = start(stub, tmp_path, n)
        wait_for(lambda: stub.requests_received >= 12, "a dozen requests answered")
        run.send_signal(signal.SIGTERM)
        out, _ = run.communicate(timeout=120)
        assert run.returncode not in (0, None), out

        cases = {c.get("name"): c for c in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")}
        gate = cases["veto_gate[interrupted]"]
        failure = gate.find("failure")
        assert failure is not None, ET.tostring(gate)
        message = failure.get("message", "") + (failure.text or "")
        report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        done = len(report["pairs"])
        assert f"interrupted: {done} of {PAIRS} pairs" in message, message
        assert 0 < done < PAIRS and report["passed"] is False
        assert f"interrupted: {done} of {PAIRS} pairs" in out

        stub.latency_s = 0.0  # the same server (the address is in the cache key), fast now
        before = stub.requests_received
        rerun = start(stub, tmp_path, n)
        out, _ = rerun.communicate(timeout=300)
        sent = stub.requests_received - before
    assert rerun.returncode == 0, out
    requests = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["requests"]
    assert requests["from_cache"] >= 2 * done  # every answered pair of the cancelled run
    assert requests["sent"] + requests["from_cache"] == 2 * PAIRS
    assert sent == 1 + requests["sent"]  # the preflight, then only what was not cached
