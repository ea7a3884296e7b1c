"""A real HTTP server on 127.0.0.1 for source tests: scripted replies and a request log.

``server.route("/oai", [Reply(503, headers={"Retry-After": "1"}), Reply(200, body=xml)],
match={"verb": "ListRecords"})`` answers the first matching request with 503, the next ones
with the XML (the last reply repeats). Every request is logged with its arrival time, so tests
assert from the log what a source asked for, how often and how far apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering (a slow server)
    delay: float = 0.0
    #: send only this many bytes of the body, then close (a truncated response)
    cut_at: int | None = None


@dataclass
class Logged:
    at: float  # time.monotonic() on arrival
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Responder = list[Reply] | Callable[[Logged], Reply]


@dataclass
class _Route:
    path: str
    match: dict[str, str]
    replies: Responder
    served: int = 0


class LocalServer:
    """Start with :meth:`start`, stop with :meth:`stop` (the ``http_server`` fixture does)."""

    def __init__(self) -> None:
        self.log: list[Logged] = []
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # a short poll interval: shutdown() waits for serve_forever to notice it (default 0.5 s)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def route(self, path: str, replies: Responder, match: dict[str, str] | None = None) -> None:
        """Answer requests for ``path`` whose query has every ``match`` item (newest route
        first)."""
        with self._lock:
            self._routes.insert(0, _Route(path, dict(match or {}), replies))

    def requests(self, path: str | None = None) -> list[Logged]:
        with self._lock:
            return [r for r in self.log if path is None or r.path == path]

    def _reply_for(self, request: Logged) -> Reply:
        with self._lock:
            self.log.append(request)
            for route in self._routes:
                if route.path != request.path:
                    continue
                if any(request.param(k) != v for k, v in route.match.items()):
                    continue
                if callable(route.replies):
                    responder = route.replies
                    break
                replies = route.replies
                reply = replies[min(route.served, len(replies) - 1)]
                route.served += 1
                return reply
            else:
                return Reply(404, body=f"no route for {request.path}")
        return responder(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = parse_qs(parts.query, keep_blank_values=True)
                if self.command == "POST" and self.headers.get("Content-Type", "").startswith(
                    "application/x-www-form-urlencoded"
                ):
                    for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
                        query.setdefault(key, []).extend(values)
                logged = Logged(
                    time.monotonic(), self.command, parts.path, query, dict(self.headers), body
                )
                reply = server._reply_for(logged)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    if reply.cut_at is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    if reply.cut_at is not None:
                        self.wfile.write(payload[: reply.cut_at])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    self.close_connection = True

            do_GET = _serve
            do_POST = _serve

        return Handler
