"""The preflight's message and its choice of a likely fix (backends/preflight.py)."""

from __future__ import annotations

import pytest

from pytest_veto.backends.preflight import PreflightFailure, _fix, preflight
from pytest_veto.backends.protocol import BackendOptions


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        ("connection refused (http://127.0.0.1:9/v1) (after 2 attempts)", "start the server"),
        ("DNS failure (http://nohost/v1): Name or service not known", "host name"),
        ("TLS error (https://127.0.0.1/v1): wrong version number", "https://"),
        ("timeout after 60 s (http://127.0.0.1:8000/v1) (after 2 attempts)", "--veto-timeout"),
        ("HTTP 401 AuthenticationError: Incorrect API key provided", "API key"),
        ("HTTP 404 NotFoundError: The model `gpt-x` does not exist", "model name"),
        ("HTTP 418 Teapot: short and stout", "check --model, --api-base"),
    ],
)
def test_the_fix_follows_what_failed(error: str, fix: str) -> None:
    assert fix in _fix(error)


def test_the_message_names_the_place_once() -> None:
    where = "http://127.0.0.1:9/v1"
    told = PreflightFailure("openai/x", f"connection refused ({where})", where, "start it")
    untold = PreflightFailure("openai/x", "no API key", where, "export it")
    assert told.message().count(where) == 1
    assert f"no API key ({where}). Likely fix: export it." in untold.message()
    assert "--veto-no-preflight" in told.message()


def test_a_reference_model_needs_no_check() -> None:
    assert preflight("reference/misfire:0.1", BackendOptions()) is None
