"""A loopback chat server whose every answer a test writes itself, status and body.

``OpenAIStub`` plays the faults it knows; this plays any response, for the ones it does
not (an HTTP 400 with a given message and code, an error that echoes a key)::

    def respond(body: Mapping[str, Any]) -> tuple[int, object]:
        return 400, error_body("Unrecognized request argument supplied: x", code=None)

    with ScriptedServer(respond) as server:
        ... --api-base={server.base_url} ...

It binds 127.0.0.1 only (``port`` 0 picks a free one; pass an earlier server's port to
stand in for it) and keeps every request body in ``bodies``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Respond = Callable[[Mapping[str, Any]], tuple[int, object]]


def chat_completion(content: str | None, finish: str = "stop", **message: Any) -> dict[str, Any]:
    """An OpenAI chat completion body with one choice."""
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, **message},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def error_body(message: str, code: str | None, kind: str = "invalid_request_error") -> object:
    """An OpenAI-style error body: ``{"error": {"message", "type", "code", "param"}}``."""
    return {"error": {"message": message, "type": kind, "code": code, "param": None}}


class ScriptedServer:
    """The server: ``respond(request body)`` gives the status and the JSON body of each
    ``POST .../chat/completions``."""

    def __init__(self, respond: Respond, port: int = 0) -> None:
        self.respond = respond
        self.bodies: list[Mapping[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests_received(self) -> int:
        """Chat requests answered so far."""
        with self._lock:
            return len(self.bodies)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"{}")
            with server._lock:
                server.bodies.append(body)
            status, payload = server.respond(body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

    return Handler
