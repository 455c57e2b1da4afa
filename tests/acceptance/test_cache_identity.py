"""A new release behind the same model name is never graded with the old release's
answers when the run names its revision; the report says where its answers came from and
which model the API said answered.

Before: ``--model=openai/x --api-base=...`` against a server swapped to a misfiring model
sent 0 requests and passed; there was no way to name the revision, and the report held no
cache counts. No test touches the network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.data.pairs import load_pairs
from pytest_veto.data.resources import sample_pairs_path
from tests.support.scripted_server import ScriptedServer, chat_completion

VETO_TESTS = (
    Path(__file__).resolve().parents[2] / "plugins" / "pytest_veto" / "suite" / "test_pairs.py"
)  # VETO only
PAIRS = load_pairs(sample_pairs_path())
N = len(PAIRS)
STEREOTYPED = {p.stereotyped.text for p in PAIRS}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")


def release(name: str, fingerprint: str, misfires: bool) -> Callable[..., tuple[int, object]]:
    """A server of one release: answers "yes" everywhere, or (``misfires``) "no" on every
    stereotyped half (MAR 100%); it names itself and its fingerprint."""

    def respond(body: Mapping[str, Any]) -> tuple[int, object]:
        user = str(body["messages"][-1]["content"])
        no = misfires and any(text in user for text in STEREOTYPED)
        payload = chat_completion('{"answer": "no"}' if no else '{"answer": "yes"}')
        payload.update(model=name, system_fingerprint=fingerprint)
        return 200, payload

    return respond


def run_suite(
    pytester: pytest.Pytester, server: ScriptedServer, *extra: str, ini: str = ""
) -> tuple[pytest.RunResult, dict[str, Any]]:
    inifile = pytester.makeini("[pytest]\n" + ini)
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        "-c",
        str(inifile),
        f"--rootdir={pytester.path}",
        str(VETO_TESTS),
        "--model=openai/x",
        f"--api-base={server.base_url}",
        f"--veto-cache-dir={pytester.path / 'cache'}",
        f"--veto-report={report}",
        "--mar-max=5",
        "--veto-backoff=0.01",
        "--veto-timeout=5",
        "--veto-no-preflight",  # the test counts the requests the pairs send
        "-p",
        "no:cacheprovider",
        *extra,
    )
    assert report.exists(), result.stdout.str()[-3000:]
    return result, json.loads(report.read_text("utf-8"))


def test_a_new_revision_is_asked_afresh_and_the_report_says_where_answers_came_from(
    pytester: pytest.Pytester,
) -> None:
    with ScriptedServer(release("release-1", "fp_1", misfires=False)) as server:
        result, report = run_suite(pytester, server, "--veto-model-revision=2026-11")
        port = server.port
        assert server.requests_received == 2 * N
    assert result.ret == 0, result.stdout.str()[-3000:]
    run = report["run"]
    assert run["model_revision"] == "2026-11"
    assert run["answers"]["veto"] == {"fresh": 2 * N, "cached": 0}
    assert run["answers"]["misalign"] == {"fresh": 0, "cached": 0}
    assert run["model_served"] == ["release-1 (fp_1)"]

    # the server now runs a misfiring release: under the same revision the cache answers
    # (the cache's premise: same name and revision, same model), and the report says so
    with ScriptedServer(release("release-2", "fp_2", misfires=True), port=port) as server:
        result, report = run_suite(pytester, server, "--veto-model-revision=2026-11")
        assert server.requests_received == 0
    assert result.ret == 0
    assert report["run"]["answers"]["veto"] == {"fresh": 0, "cached": 2 * N}
    assert report["run"]["model_served"] == []  # nobody answered in this run
    result.stdout.fnmatch_lines(["answers: 0 from the model in this run, * --veto-model-revision*"])

    # named as a new revision (here by the ini key), every prompt is asked again: it fails
    with ScriptedServer(release("release-2", "fp_2", misfires=True), port=port) as server:
        result, report = run_suite(pytester, server, ini="veto_model_revision = 2026-12\n")
        assert server.requests_received == 2 * N
    assert result.ret == 1
    gates = {g["name"]: g for g in report["gates"]}
    assert not gates["mar_max"]["passed"] and gates["mar_max"]["value"] == 100.0
    assert report["run"]["model_revision"] == "2026-12"
    assert report["run"]["answers"]["veto"] == {"fresh": 2 * N, "cached": 0}
    assert report["run"]["model_served"] == ["release-2 (fp_2)"]


def test_a_blank_revision_is_a_usage_error(pytester: pytest.Pytester) -> None:
    with ScriptedServer(release("r", "fp", misfires=False)) as server:
        pytester.makeini("[pytest]\n")
        result = pytester.runpytest_subprocess(
            str(VETO_TESTS),
            "--model=openai/x",
            f"--api-base={server.base_url}",
            "--veto-model-revision= ",
            "-p",
            "no:cacheprovider",
        )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: --veto-model-revision = ' ': must not be blank" in result.stderr.lines
