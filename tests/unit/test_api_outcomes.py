"""What a failed API call means and says, without a server: provider error codes, the
reasons given, Retry-After, backoff and the scrubbing of secrets."""

from __future__ import annotations

import itertools
import random
import socket
import time

from hypothesis import given
from hypothesis import strategies as st

from pytest_veto.backends.litellm_outcomes import (
    RetryPolicy,
    backoff_delay,
    describe,
    error_code,
    retry_after_s,
)
from pytest_veto.backends.secrets import scrub_argv, scrub_secrets, scrub_url, url_secrets


def test_error_code_reads_the_code_litellm_exposes() -> None:
    class Failure(Exception):
        def __init__(self, code: object = None, body: object = None) -> None:
            super().__init__("content_filter content_policy_violation")
            self.code, self.body = code, body

    assert error_code(Failure("content_filter")) == "content_filter"
    assert error_code(Failure(body={"code": "content_policy_violation"})) == (
        "content_policy_violation"
    )
    assert error_code(Failure(body={"error": {"code": "content_filter"}})) == "content_filter"
    assert error_code(Failure(401, {"error": "content_filter"})) is None
    assert error_code(ValueError("content_filter")) is None


def _chained(*chain: BaseException) -> BaseException:
    """``chain[0]`` raised from ``chain[1]``, raised from ``chain[2]``..."""
    for outer, inner in itertools.pairwise(chain):
        outer.__cause__ = inner
    return chain[0]


def test_describe_says_what_happened_with_a_scrubbed_url() -> None:
    base = "https://bob:pw-123456789@api.example/v1?api_key=qk-987654321"
    where = "(https://***@api.example/v1?api_key=***)"
    dns = _chained(RuntimeError("Connection error."), OSError("x"), socket.gaierror(-2, "Unknown"))
    assert describe(dns, 500, url=base) == f"DNS failure {where}: Unknown"
    refused = _chained(RuntimeError("Connection error."), ConnectionRefusedError(111, "refused"))
    assert describe(refused, 500, url=base) == f"connection refused {where}"
    reset = _chained(RuntimeError("Connection error."), ConnectionResetError(104, "reset by peer"))
    assert describe(reset, 500, url=base) == f"connection error {where}: reset by peer"
    assert describe(TimeoutError(), None, url=base, timeout_s=7.5) == f"timeout after 7.5 s {where}"
    http = RuntimeError("litellm.NotFoundError: NotFoundError: OpenAIException - no such model")
    assert describe(http, 404, url=base) == "HTTP 404 RuntimeError: no such model"


def test_scrub_secrets() -> None:
    env = {
        "HF_TOKEN": "hf_abcdefgh",
        "X_API_KEY": "xyz123456",
        "DISABLE_TOKEN": "1",
        "PATH": "/bin",
    }
    text = "hf_abcdefgh xyz123456 1 /bin sk-abc123456 Bearer tok"
    assert scrub_secrets(text, env) == "*** *** 1 /bin *** Bearer ***"
    assert scrub_secrets("a12345 and abc", env, extra=["a12345", "abc"]) == "*** and abc"


def test_url_credentials_are_scrubbed() -> None:
    url = "https://user:pa55-word@host:8/v1?api_key=abc123456&model=x&access_token=t0k3n12#f"
    assert scrub_url(url, {}) == "https://***@host:8/v1?api_key=***&model=x&access_token=***#f"
    text = "GET http://u:p@h/x failed; retry ?key=zz9 or &sig=abc, see https://h/a@b"
    assert scrub_secrets(text, {}) == (
        "GET http://***@h/x failed; retry ?key=*** or &sig=***, see https://h/a@b"
    )
    assert url_secrets("http://alice:s3cret-pw@h/v1?token=tok-123456&x=1%20abcdef") == {
        "alice:s3cret-pw",
        "s3cret-pw",
        "tok-123456",
    }
    assert url_secrets("http://h:port-not-a-number/v1") == frozenset()
    assert url_secrets("http://[::1/v1?key=%7Eunbalanced1") == {"%7Eunbalanced1", "~unbalanced1"}


def test_scrub_argv() -> None:
    argv = (
        "/bin/pytest",
        "--api-base=https://bob:hunter2-pw@h/v1?api_key=qk-123456",
        "--model=openai/x",
        "--api-base",
        "http://h/v1?token=tk-abcdef",
        "-k",
        "hunter2-pw or qk-123456",
    )
    assert scrub_argv(argv, {}) == (
        "/bin/pytest",
        "--api-base=https://***@h/v1?api_key=***",
        "--model=openai/x",
        "--api-base",
        "http://h/v1?token=***",
        "-k",
        "*** or ***",
    )


def test_scrubbing_a_huge_adversarial_answer_takes_linear_time() -> None:
    text = "a." * 1_000_000 + "?" + "k" * 1_000_000 + "x://" + "y" * 1_000_000
    started = time.monotonic()
    scrub_secrets(text, {"X_API_KEY": "never-there"})
    assert time.monotonic() - started < 5.0


@given(
    attempt=st.integers(0, 30),
    retry_after=st.none() | st.floats(0, 1e6),
    seed=st.integers(0, 2**32),
)
def test_backoff_is_bounded_and_honours_retry_after(
    attempt: int, retry_after: float | None, seed: int
) -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=30, retry_after_cap_s=60)
    delay = backoff_delay(attempt, policy, retry_after, random.Random(seed))
    assert 0 < delay <= 60 + 0.5
    assert delay >= min(0.25 * 2**attempt, 15)
    if retry_after is not None:
        assert delay >= min(retry_after, 60)


def test_retry_after_parsing() -> None:
    def exc(headers: dict[str, str]) -> Exception:
        error = Exception("rate limited")
        error.litellm_response_headers = headers  # type: ignore[attr-defined]
        return error

    assert retry_after_s(exc({"Retry-After": "7"})) == 7.0
    assert retry_after_s(exc({"retry-after-ms": "250"})) == 0.25
    date = "Wed, 21 Oct 2015 07:28:30 GMT"
    assert retry_after_s(exc({"retry-after": date}), now=1445412500.0) == 10.0
    assert retry_after_s(exc({"retry-after": "soon"})) is None
    assert retry_after_s(Exception("no headers")) is None


def test_describe_gives_the_message_of_an_openai_style_error_body() -> None:
    """The OpenAI client's text wraps the whole body; the reason is its message."""

    class StatusError(Exception):
        def __init__(self, body: object) -> None:
            super().__init__(f"Error code: 400 - {body!r}")
            self.body = body

    body = {"error": {"message": "model 'x' not found", "code": "model_not_found"}}
    assert describe(StatusError(body), 400) == "HTTP 400 StatusError: model 'x' not found"
    assert describe(StatusError({"message": "flat"}), 400) == "HTTP 400 StatusError: flat"
    # no message in the body: the exception's own text
    assert describe(StatusError("<html>bad gateway</html>"), 502) == (
        "HTTP 502 StatusError: Error code: 400 - '<html>bad gateway</html>'"
    )
