"""No credential reaches any output: terminal, JUnit, JSON, HTML, Markdown or the cache.

A server that echoes the API key in its answers and in a long error message (the key
across the 160-character cut of error messages), and ``--api-base`` URLs that carry a
query key and user info. Every secret is looked for in pieces of 8 characters, since a
cut key leaks its head. No test touches the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest

from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.plugin import SUITE_DIR
from tests.support.scripted_server import ScriptedServer, chat_completion, error_body

VETO_TESTS = SUITE_DIR / "test_pairs.py"  # VETO only
PAIRS = load_pairs(sample_pairs_path())
#: 32 characters of no known key shape: only its environment variable makes it a secret
KEY = "vtk-Qm2Xr9Lw4Tz8Nb3Hc6Yd1Fs7JaGu"
QUERY_KEY = "qk-5Rt8Wq2Zp6Lm7Yc4"
PASSWORD = "pw-Hx4Nd9Kc3Vb8Jf1"
#: this prompt gets an HTTP 400 whose message holds the key from character 136 to 168
FAILING = PAIRS[2].contrast.text

HTML_MD = ("--html", "report.html", "--markdown", "report.md")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def respond(body: Mapping[str, Any]) -> tuple[int, object]:
    """Echo the key (and the query key the client sent) in answers and in an error."""
    if any(FAILING in str(m.get("content")) for m in body.get("messages") or []):
        pad = ("The gateway rejected this request. " * 4)[:136]
        return 400, error_body(f"{pad}{KEY} is not allowed here (api_key={QUERY_KEY})", None)
    return 200, chat_completion(f'{{"answer": "yes"}} served for {KEY} with key {QUERY_KEY}')


def leaks(blob: bytes) -> dict[str, list[str]]:
    """The 8-character pieces of each secret found in ``blob``."""
    found: dict[str, list[str]] = {}
    for secret in (KEY, QUERY_KEY, PASSWORD):
        pieces = {secret[i : i + 8] for i in range(len(secret) - 7)}
        hits = sorted(p for p in pieces if p.encode() in blob)
        if hits:
            found[secret] = hits
    return found


def run(pytester: pytest.Pytester, name: str, api_base: str, *extra: str) -> bytes:
    """The VETO suite with a JSON report, JUnit and its own cache; its terminal output."""
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS),
        "--model=openai/stub-model",
        f"--api-base={api_base}",
        "--veto-no-preflight",  # counts and faults are per test request
        f"--veto-cache-dir={pytester.path / f'cache-{name}'}",
        f"--veto-report={pytester.path / f'{name}.json'}",
        f"--junitxml={pytester.path / f'{name}.xml'}",
        "--veto-backoff=0.01",
        "--veto-timeout=5",
        "-p",
        "no:cacheprovider",
        *extra,
    )
    assert (pytester.path / f"{name}.json").exists(), result.stdout.str()[-3000:]
    assert result.ret == 1  # the failing prompt, or no server at all: errors fail the gate
    return "\n".join(result.outlines + result.errlines).encode()


def test_no_key_reaches_any_output(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    pytester.makeini("[pytest]\n")
    with ScriptedServer(respond) as server:
        # a working server behind a query key, then the same with user info (which the
        # HTTP client refuses: every request an error whose message names the server)
        terminal = run(pytester, "query", f"{server.base_url}?api_key={QUERY_KEY}")
        userinfo = server.base_url.replace("//", f"//veto:{PASSWORD}@")
        terminal += run(pytester, "userinfo", f"{userinfo}?key={QUERY_KEY}", "--veto-retries=0")
    rendered = subprocess.run(
        [sys.executable, "-m", "pytest_veto", "report", "query.json", "userinfo.json", *HTML_MD],
        cwd=pytester.path,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert rendered.returncode == 1, rendered.stderr.decode()[-3000:]
    terminal += rendered.stdout + rendered.stderr

    files = sorted(p for p in pytester.path.rglob("*") if p.is_file())
    names = {p.relative_to(pytester.path).as_posix() for p in files}
    assert {"query.json", "query.xml", "report.html", "report.md", "userinfo.xml"} <= names
    cache = b"".join(p.read_bytes() for p in files if p.parts[-2] == "cache-query")
    assert b"answer" in cache  # the answers were cached, scrubbed
    assert leaks(terminal) == {}
    for path in files:
        assert leaks(path.read_bytes()) == {}, path

    # what the outputs say instead
    query = json.loads((pytester.path / "query.json").read_text())
    assert any(f"{server.base_url}?api_key=***" in a for a in query["run"]["argv"])
    raws = {p["raw"] for p in query["prompts"] if p["answer"] != "error"}
    assert raws == {'{"answer": "yes"} served for *** with key ***'}
    [error] = [p["error"] for p in query["prompts"] if p["answer"] == "error"]
    assert error.startswith("HTTP 400 BadRequestError: The gateway rejected this request.")
    refused = json.loads((pytester.path / "userinfo.json").read_text())
    where = server.base_url.replace("//", "//***@") + "?key=***"
    assert any(where in a for a in refused["run"]["argv"])
    assert all(p["error"].startswith(f"connection error ({where}): ") for p in refused["prompts"])
