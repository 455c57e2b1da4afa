"""fetch-bbq against a real HTTP server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_veto.data.bbq import fetch
from pytest_veto.data.bbq.fetch import (
    BBQ_FILES,
    FetchError,
    FetchUsageError,
    PinnedFile,
    fetch_bbq,
    fetch_command,
)
from pytest_veto.data.pairs import CATEGORIES
from tests.shared_data import SHARED_BBQ

GOOD = {
    "Alpha.jsonl": b'{"example_id": 0, "context": "alpha"}\n',
    "Beta.jsonl": b'{"example_id": 0, "context": "beta"}\n{"example_id": 1}\n',
}


def pin(name: str, data: bytes) -> PinnedFile:
    return PinnedFile(name, hashlib.sha256(data).hexdigest(), len(data))


PINS = {name: pin(name, data) for name, data in GOOD.items()}


@dataclass
class Mirror:
    """What the test server serves: body, status and behaviour per path."""

    files: dict[str, bytes] = field(default_factory=dict)
    truncate: set[str] = field(default_factory=set)  # announce full length, send half, close
    hang: set[str] = field(default_factory=set)  # never answer
    fail_first: dict[str, int] = field(default_factory=dict)  # answer 503 this many times
    requests: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def make_handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            mirror.requests.append(name)
            if name in mirror.hang:
                mirror.release.wait(10)
                return
            if mirror.fail_first.get(name, 0) > 0:
                mirror.fail_first[name] -= 1
                self.send_error(503)
                return
            body = mirror.files.get(name)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if name in mirror.truncate:
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def mirror() -> Iterator[tuple[Mirror, str]]:
    state = Mirror(files=dict(GOOD))
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/data"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def quiet(message: str) -> None:
    pass


def run(to: Path, url: str, **kwargs: object) -> list[fetch.FetchOutcome]:
    options: dict[str, object] = {"timeout": 2.0, "retries": 0, "backoff": 0.0, "log": quiet}
    options.update(kwargs)
    return fetch_bbq(to, url, PINS, **options)  # type: ignore[arg-type]


def test_good_files_are_downloaded_and_verified(mirror: tuple[Mirror, str], tmp_path: Path) -> None:
    _, url = mirror
    to = tmp_path / "new" / "bbq"
    outcomes = run(to, url)
    assert [(o.file.name, o.action) for o in outcomes] == [
        ("Alpha.jsonl", "downloaded"),
        ("Beta.jsonl", "downloaded"),
    ]
    assert {p.name: p.read_bytes() for p in to.iterdir()} == GOOD


def test_corrupted_file_fails_and_leaves_nothing(
    mirror: tuple[Mirror, str], tmp_path: Path
) -> None:
    state, url = mirror
    state.files["Beta.jsonl"] = GOOD["Beta.jsonl"].replace(b"beta", b"BETA")
    to = tmp_path / "bbq"
    to.mkdir()
    with pytest.raises(FetchError) as info:
        run(to, url)
    message = str(info.value)
    assert message.startswith("Beta.jsonl: SHA-256 mismatch")
    assert PINS["Beta.jsonl"].sha256 in message
    assert hashlib.sha256(state.files["Beta.jsonl"]).hexdigest() in message
    assert list(to.iterdir()) == []  # not the good Alpha.jsonl, no temp files


def test_created_folder_is_removed_on_failure(mirror: tuple[Mirror, str], tmp_path: Path) -> None:
    state, url = mirror
    del state.files["Beta.jsonl"]
    with pytest.raises(FetchError):
        run(tmp_path / "a" / "b", url)
    assert list(tmp_path.iterdir()) == []


def test_missing_file_is_named(mirror: tuple[Mirror, str], tmp_path: Path) -> None:
    state, url = mirror
    del state.files["Alpha.jsonl"]
    with pytest.raises(FetchError, match=r"^Alpha\.jsonl: HTTP 404"):
        run(tmp_path, url, retries=2)
    assert state.requests == ["Alpha.jsonl"]  # a 404 is not retried
    assert list(tmp_path.iterdir()) == []


def test_truncated_response_fails_after_bounded_retries(
    mirror: tuple[Mirror, str], tmp_path: Path
) -> None:
    state, url = mirror
    state.truncate.add("Beta.jsonl")
    with pytest.raises(FetchError, match=r"^Beta\.jsonl: short read: got \d+ of \d+ bytes"):
        run(tmp_path, url, retries=2)
    assert state.requests.count("Beta.jsonl") == 3
    assert list(tmp_path.iterdir()) == []


def test_hanging_server_times_out(mirror: tuple[Mirror, str], tmp_path: Path) -> None:
    state, url = mirror
    state.hang.add("Alpha.jsonl")
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"^Alpha\.jsonl: .*timed out.*after 2 attempts"):
        run(tmp_path, url, timeout=0.2, retries=1)
    assert time.monotonic() - start < 3
    assert list(tmp_path.iterdir()) == []


def test_server_errors_are_retried(mirror: tuple[Mirror, str], tmp_path: Path) -> None:
    state, url = mirror
    state.fail_first["Alpha.jsonl"] = 2
    messages: list[str] = []
    run(tmp_path, url, retries=2, backoff=0.01, log=messages.append)
    assert [m for m in messages if "retrying" in m] == [
        f"Alpha.jsonl: HTTP 503 Service Unavailable from {url}/Alpha.jsonl; retrying in {delay}s"
        for delay in ("0.01", "0.02")
    ]
    assert state.requests == ["Alpha.jsonl"] * 3 + ["Beta.jsonl"]
    assert (tmp_path / "Alpha.jsonl").read_bytes() == GOOD["Alpha.jsonl"]


def test_wrong_announced_size_fails_before_reading(
    mirror: tuple[Mirror, str], tmp_path: Path
) -> None:
    state, url = mirror
    state.files["Alpha.jsonl"] += b"extra"
    with pytest.raises(FetchError, match=r"^Alpha\.jsonl: server announces \d+ bytes, expected"):
        run(tmp_path, url)


def test_valid_files_present_are_not_downloaded(mirror: tuple[Mirror, str], tmp_path: Path) -> None:
    state, url = mirror
    (tmp_path / "Alpha.jsonl").write_bytes(GOOD["Alpha.jsonl"])
    (tmp_path / "Beta.jsonl").write_bytes(b"stale")
    outcomes = run(tmp_path, url)
    assert [o.action for o in outcomes] == ["present", "downloaded"]
    assert state.requests == ["Beta.jsonl"]
    assert (tmp_path / "Beta.jsonl").read_bytes() == GOOD["Beta.jsonl"]


def test_invalid_file_present_is_kept_when_the_run_fails(
    mirror: tuple[Mirror, str], tmp_path: Path
) -> None:
    state, url = mirror
    state.files["Beta.jsonl"] = b"x" * len(GOOD["Beta.jsonl"])
    (tmp_path / "Beta.jsonl").write_bytes(b"stale")
    with pytest.raises(FetchError):
        run(tmp_path, url)
    assert [p.name for p in tmp_path.iterdir()] == ["Beta.jsonl"]
    assert (tmp_path / "Beta.jsonl").read_bytes() == b"stale"


@pytest.mark.parametrize(
    "url", ["http://example.org/data", "file:///etc", "ftp://127.0.0.1/x", "https://", "nonsense"]
)
def test_non_https_base_url_is_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(FetchUsageError):
        run(tmp_path / "bbq", url)
    assert list(tmp_path.iterdir()) == []


def test_command_exit_statuses(
    mirror: tuple[Mirror, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state, url = mirror
    monkeypatch.setattr(fetch, "BBQ_FILES", PINS)
    assert fetch_command(tmp_path / "ok", url) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{tmp_path / 'ok' / name}: downloaded, sha256 {p.sha256} OK" for name, p in PINS.items()
    ]
    assert "Alpha.jsonl: downloading" in err

    assert fetch_command(tmp_path / "ok", url) == 0
    assert capsys.readouterr().out.count("already present") == 2

    del state.files["Beta.jsonl"]
    assert fetch_command(tmp_path / "bad", url) == 1
    out, err = capsys.readouterr()
    assert "Beta.jsonl: HTTP 404" in err and "Traceback" not in err

    (tmp_path / "file").write_text("")
    assert fetch_command(tmp_path / "file", url) == 2
    assert fetch_command(tmp_path / "x", "http://example.org") == 2


def test_cli_wires_fetch_bbq(tmp_path: Path) -> None:
    from pytest_veto.cli import main

    (tmp_path / "file").write_text("")
    assert main(["fetch-bbq", "--to", str(tmp_path / "file")]) == 2


def test_pinned_table_covers_the_veto_categories() -> None:
    assert list(BBQ_FILES) == [f"{c}.jsonl" for c in CATEGORIES]
    assert all(name == p.name for name, p in BBQ_FILES.items())
    assert fetch.DEFAULT_BASE_URL.startswith("https://raw.githubusercontent.com/nyu-mll/BBQ/")
    assert fetch.BBQ_COMMIT in fetch.DEFAULT_BASE_URL


@pytest.mark.skipif(not SHARED_BBQ.is_dir(), reason="no local copy of the BBQ release")
def test_pins_match_the_local_copy_of_the_release() -> None:
    for p in BBQ_FILES.values():
        data = (SHARED_BBQ / p.name).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (p.sha256, p.size), p.name
