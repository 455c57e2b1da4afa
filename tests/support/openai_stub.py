"""A loopback OpenAI-compatible chat server with scripted faults, for tests and benchmarks.

Use it as a context manager::

    with OpenAIStub(latency_s=0.05, faults=[Fault("rate_limit", retry_after=1)]) as stub:
        backend = LiteLLMBackend("openai/stub", BackendOptions(api_base=stub.base_url))

or as a script (prints ``READY <base_url>`` once listening, serves until SIGTERM/SIGINT)::

    python -m tests.support.openai_stub --port 0 --latency 0.05 --fault rate_limit:1

Every request to ``POST /v1/chat/completions`` takes, in order: the next fault of the queue
``faults``; else whatever ``rule(request)`` returns; else (with ``error_rate``) a random
500; else a normal answer from ``answer(messages)`` after ``latency_s``. The default
answer is ``{"answer": "yes"}``, or ``{"answer": "no"}`` when the last user message
contains ``no_marker``. ``GET /v1/models`` lists one model. The server binds 127.0.0.1
only, counts requests and the peak number in flight, and logs each request.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import random
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from typing_extensions import Self

FaultKind = Literal[
    "rate_limit",  # 429 with Retry-After
    "server_error",  # 5xx (``status``, default 500)
    "status",  # any status with an OpenAI-style error body (e.g. 400, 401, 404)
    "hang",  # no answer for ``hang_s`` (or until the server stops), then close
    "disconnect",  # close the connection without an answer
    "malformed",  # 200 with a body that is not JSON
    "empty_choices",  # 200 with ``"choices": []``
    "no_content",  # 200 with a message lacking ``content``
    "content_filter",  # 200 with ``finish_reason: content_filter``
    "refusal",  # 200 with an OpenAI-style ``message.refusal``
    "policy_400",  # 400 ``content_policy_violation`` (the request was blocked)
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
REFUSAL_TEXT = "I'm sorry, but I can't help with that."


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour (see ``FaultKind``)."""

    kind: FaultKind
    retry_after: float = 1.0
    status: int = 500
    hang_s: float = 30.0


@dataclass(frozen=True)
class StubRequest:
    """What a fault rule sees: arrival index, body, last user text and its attempt number."""

    index: int
    body: Mapping[str, Any]
    user_text: str
    attempt: int
    arrived: float
    authorization: str


@dataclass(frozen=True)
class LoggedRequest:
    """One received chat request and what the stub did with it (``fault`` None: answered)."""

    request: StubRequest
    fault: str | None


Rule = Callable[[StubRequest], "Fault | None"]
AnswerFn = Callable[[Sequence[Mapping[str, Any]]], str]


def marker_answer(marker: str) -> AnswerFn:
    """The default answer function: "no" when the last user message contains ``marker``."""

    def answer(messages: Sequence[Mapping[str, Any]]) -> str:
        text = _user_text(messages)
        return '{"answer": "no"}' if marker and marker in text else '{"answer": "yes"}'

    return answer


@dataclass
class OpenAIStub:
    """The server; configuration fields first, live state after ``start()``."""

    latency_s: float = 0.0
    faults: Iterable[Fault] = ()
    rule: Rule | None = None
    answer: AnswerFn | None = None
    no_marker: str = "ANSWER_NO"
    error_rate: float = 0.0
    seed: int = 0
    port: int = 0
    require_key: str | None = None
    requests_received: int = field(default=0, init=False)
    in_flight: int = field(default=0, init=False)
    max_in_flight: int = field(default=0, init=False)
    log: list[LoggedRequest] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._queue: collections.deque[Fault] = collections.deque(self.faults)
        self._answer = self.answer or marker_answer(self.no_marker)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._rng = random.Random(self.seed)
        self._attempts: collections.Counter[str] = collections.Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (the ``api_base`` for clients)."""
        if self._server is None:
            raise RuntimeError("the stub is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> OpenAIStub:
        """Bind and serve in a background thread."""
        self._server = _Server(("127.0.0.1", self.port), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly: hanging handlers are woken, listening and kept-alive sockets closed.

        Closing kept-alive connections matters: a client's pooled connection must not reach
        this stub's handlers after a new stub took the same port.
        """
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def push_faults(self, *faults: Fault) -> None:
        """Append faults to the queue (taken by the next requests, in arrival order)."""
        with self._lock:
            self._queue.extend(faults)

    def attempts_for(self, marker: str) -> list[LoggedRequest]:
        """Logged requests whose user text contains ``marker``, in arrival order."""
        with self._lock:
            return [e for e in self.log if marker in e.request.user_text]

    def _admit(
        self, body: Mapping[str, Any], authorization: str
    ) -> tuple[StubRequest, Fault | None]:
        text = _user_text(body.get("messages") or [])
        with self._lock:
            self.requests_received += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._attempts[text] += 1
            request = StubRequest(
                self.requests_received - 1,
                body,
                text,
                self._attempts[text],
                time.monotonic(),
                authorization,
            )
            fault = self._queue.popleft() if self._queue else None
        if fault is None and self.rule is not None:
            fault = self.rule(request)
        if fault is None and self.error_rate > 0:
            with self._lock:
                if self._rng.random() < self.error_rate:
                    fault = Fault("server_error")
        wrong_key = self.require_key is not None and authorization != f"Bearer {self.require_key}"
        if fault is None and wrong_key:
            fault = Fault("status", status=401)
        with self._lock:
            self.log.append(LoggedRequest(request, None if fault is None else fault.kind))
        return request, fault

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    """Daemon handler threads; a client dropping its connection is not worth a traceback."""

    daemon_threads = True
    #: the listen backlog; socketserver's default of 5 resets connections when more
    #: clients than that connect at once (16 concurrent requests do)
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _user_text(messages: Iterable[Mapping[str, Any]]) -> str:
    texts = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
    return texts[-1] if texts else ""


def _completion(body: Mapping[str, Any], index: int, message: dict[str, Any], finish: str) -> bytes:
    payload = {
        "id": f"chatcmpl-stub-{index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    return json.dumps(payload).encode()


def _error_body(message: str, code: str, kind: str | None = None) -> bytes:
    error = {"message": message, "type": kind or code, "code": code}
    return json.dumps({"error": error}).encode()


def _handler_for(stub: OpenAIStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real providers do
        disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stalls
        timeout = 60  # idle keep-alive connections do not pin threads forever

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            with stub._lock:
                stub._connections.add(self.connection)

        def finish(self) -> None:
            with stub._lock:
                stub._connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def _send(self, status: int, body: bytes, headers: Mapping[str, str] = {}) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                data = [{"id": "stub-model", "object": "model", "owned_by": "stub"}]
                self._send(200, json.dumps({"object": "list", "data": data}).encode())
            else:
                self._send(404, _error_body(f"no route {self.path}", "not_found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, _error_body(f"no route {self.path}", "not_found"))
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._send(400, _error_body("request body is not JSON", "invalid_json"))
                return
            request, fault = stub._admit(body, self.headers.get("Authorization", ""))
            try:
                self._respond(request, fault)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. timed out during a hang)
            finally:
                stub._done()

        def _respond(self, request: StubRequest, fault: Fault | None) -> None:
            if fault is not None and fault.kind == "hang":
                stub._stop.wait(fault.hang_s)
                self.close_connection = True
                return
            if stub.latency_s > 0:
                stub._stop.wait(stub.latency_s)
            body, index = request.body, request.index
            message: dict[str, Any]
            if fault is None:
                message = {"role": "assistant", "content": stub._answer(body.get("messages") or [])}
                self._send(200, _completion(body, index, message, "stop"))
                return
            kind = fault.kind
            if kind == "rate_limit":
                retry = f"{fault.retry_after:g}"
                self._send(
                    429,
                    _error_body("Rate limit reached", "rate_limit_exceeded"),
                    {"Retry-After": retry},
                )
            elif kind == "server_error":
                self._send(
                    fault.status,
                    _error_body("The server had an error", "server_error"),
                )
            elif kind == "status":
                # Like real providers, a 401 echoes (part of) the key it was given.
                text = (
                    f"Incorrect API key provided: {request.authorization[7:]}"
                    if fault.status == 401
                    else f"stub error {fault.status}"
                )
                self._send(fault.status, _error_body(text, "invalid_request"))
            elif kind == "disconnect":
                self.close_connection = True
                self.connection.shutdown(2)
            elif kind == "malformed":
                self._send(200, b'{"id": "chatcmpl-broken", "choices": [{"index": 0, "mess')
            elif kind == "empty_choices":
                payload = json.loads(_completion(body, index, {}, "stop"))
                payload["choices"] = []
                self._send(200, json.dumps(payload).encode())
            elif kind == "no_content":
                self._send(200, _completion(body, index, {"role": "assistant"}, "stop"))
            elif kind == "content_filter":
                message = {"role": "assistant", "content": None}
                self._send(200, _completion(body, index, message, "content_filter"))
            elif kind == "refusal":
                message = {"role": "assistant", "content": None, "refusal": REFUSAL_TEXT}
                self._send(200, _completion(body, index, message, "stop"))
            elif kind == "policy_400":
                blocked = (
                    "Your request was rejected as a result of our safety system "
                    "(content_policy_violation)."
                )
                self._send(
                    400, _error_body(blocked, "content_policy_violation", "invalid_request_error")
                )

    return Handler


def parse_fault(spec: str) -> Fault:
    """``KIND[:ARG]``: ARG is Retry-After seconds, the status code, or hang seconds."""
    kind, _, arg = spec.partition(":")
    if kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
    fault = Fault(kind)  # type: ignore[arg-type]  # checked against FAULT_KINDS above
    if not arg:
        return fault
    if kind == "rate_limit":
        return Fault("rate_limit", retry_after=float(arg))
    if kind in ("server_error", "status"):
        return Fault(fault.kind, status=int(arg))
    if kind == "hang":
        return Fault("hang", hang_s=float(arg))
    raise argparse.ArgumentTypeError(f"fault {kind!r} takes no argument")


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; print ``READY <base_url>`` once listening."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.openai_stub")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument(
        "--fault",
        type=parse_fault,
        action="append",
        default=[],
        help=f"queue a fault KIND[:ARG]; KIND in {', '.join(FAULT_KINDS)}",
    )
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of random 500s")
    parser.add_argument("--no-marker", default="ANSWER_NO", help="user text marker for 'no'")
    parser.add_argument("--require-key", default=None, help="401 unless this bearer key")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    stub = OpenAIStub(
        latency_s=args.latency,
        faults=args.fault,
        no_marker=args.no_marker,
        error_rate=args.error_rate,
        seed=args.seed,
        port=args.port,
        require_key=args.require_key,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with stub:
        print(f"READY {stub.base_url}", flush=True)
        done.wait()
        print(
            f"STOPPED requests={stub.requests_received} max_in_flight={stub.max_in_flight}",
            file=sys.stderr,
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
