"""What every loopback fake shares: an HTTP/1.1 server on 127.0.0.1 in a daemon thread, faults queued per
route, requests recorded for assertions, and a handler that answers JSON promptly."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Fault:
    """What to do to one matching call instead of (or before) answering normally."""

    latency: float = 0.0  # seconds to wait before answering
    status: int | None = None  # answer with this HTTP error
    retry_after: str | None = None  # with status 429/503: the Retry-After header
    hang: float = 0.0  # hold the connection this long, then answer (longer than the client's timeout)
    malformed: bool = False  # answer 200 with a body that is not JSON
    non_image: bool = False  # the generated image URL serves HTML
    oversized: str = ""  # "pixels": a 9000×9000 PNG; "bytes": a body over 25 MB
    refusal: bool = False  # the model refuses (NSFW / content policy)
    cut: bool = False  # send the headers and half the answer, then close the connection: a server gone away
    echo_key: bool = (
        False  # with status: the error message quotes the request's Authorization header, as some proxies do
    )


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client killed mid-request (the kill -9 tests) drops its connection; that is not news."""


class LoopbackServer:
    """Serve ``handler`` on a free port of 127.0.0.1 while in a ``with`` block."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def __enter__(self) -> Self:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, route: str, *faults: Fault) -> None:
        """Apply ``faults`` to the next calls whose path starts with ``route``, one fault per call."""
        with self.lock:
            self.faults[route].extend(faults)

    def calls(self, route: str, method: str = "POST") -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].startswith(route) and r["method"] == method]

    def fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for route, queue in self.faults.items():
                if path.startswith(route) and queue:
                    return queue.popleft()
        return None


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the body until
        # the client's delayed ACK (up to 40 ms) and every call looks slow.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers=headers)

    def _cut(self, data: Any) -> None:
        """Promise ``data`` as JSON, send half of it and close the connection, as a server that stops does."""
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)
