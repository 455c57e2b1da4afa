"""The loopback OpenAI stub itself: run as a script (benchmarks and pytester runs start it
this way) and stopped with its kept-alive connections."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.openai_stub import OpenAIStub

ROOT = Path(__file__).resolve().parents[2]


def test_stub_runs_as_a_script() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.openai_stub",
            "--port",
            "0",
            "--latency",
            "0.01",
            "--fault",
            "server_error",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, base_url = proc.stdout.readline().split()
        assert ready == "READY" and base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base_url}/models", timeout=5) as response:
            assert json.load(response)["data"][0]["id"] == "stub-model"
        body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "Q?"}]})
        post = urllib.request.Request(
            f"{base_url}/chat/completions",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError, match="500"):
            urllib.request.urlopen(post, timeout=5)
        with urllib.request.urlopen(post, timeout=5) as response:
            answer = json.load(response)["choices"][0]["message"]["content"]
        assert answer == '{"answer": "yes"}'
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=5)
    assert proc.returncode == 0 and "requests=2" in err


def test_stopping_the_stub_closes_kept_alive_connections() -> None:
    stub = OpenAIStub().start()
    port = int(stub.base_url.rsplit(":", 1)[1].split("/")[0])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/v1/models")
        assert connection.getresponse().read()
        stub.stop()
        with pytest.raises((OSError, http.client.HTTPException)):
            connection.request("GET", "/v1/models")
            connection.getresponse().read()
    finally:
        connection.close()
        stub.stop()
