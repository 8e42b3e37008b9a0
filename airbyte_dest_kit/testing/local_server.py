"""A JSON API on 127.0.0.1, on a free port, served from a daemon thread: the base of the shipped HTTP doubles.

A subclass implements :meth:`LocalJsonServer.handle`; :meth:`LocalJsonServer.answered` hears of every answer::

    class Echo(LocalJsonServer):
        def handle(self, method, path, query, headers, body):
            return 200, {}, {"path": path}

    with Echo() as server:
        httpx.get(f"{server.base_url}/hello")
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

ServerT = TypeVar("ServerT", bound="LocalJsonServer")


class LocalJsonServer:
    thread_name = "local-json-server"  # names the serving thread in stack dumps
    _server: ThreadingHTTPServer | None = None

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """``(status, extra headers, JSON payload)`` for one request."""
        raise NotImplementedError

    def answered(self, method: str, path: str, query: dict[str, str], status: int) -> None:
        """Called after each answer (for servers that keep a log of requests)."""

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self: ServerT) -> ServerT:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self: ServerT) -> ServerT:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so clients' connection pools are exercised

            def _serve(self, method: str) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                status, headers, payload = server.handle(method, url.path, query, self.headers, body)
                server.answered(method, url.path, query, status)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # the name http.server dispatches to
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read what they need
                pass

        return Handler
