"""A JSON API on 127.0.0.1, on a free port, served from a daemon thread: the base of the shipped HTTP doubles.

A subclass implements :meth:`LocalJsonServer.handle`; :meth:`LocalJsonServer.answered` hears of every answer::

    class Echo(LocalJsonServer):
        def handle(self, method, path, query, headers, body):
            return 200, {}, {"path": path}

    with Echo() as server:
        httpx.get(f"{server.base_url}/hello")

A double that people start by hand (``python -m airbyte_dest_kit.testing.http_api``) builds its command line
on :func:`server_options` and runs :func:`serve_until_interrupted`, which prints the URL and
:meth:`LocalJsonServer.how_to_use`.
"""

from __future__ import annotations

import argparse
import json
import threading
import urllib.parse
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

ServerT = TypeVar("ServerT", bound="LocalJsonServer")


class LocalJsonServer:
    thread_name = "local-json-server"  # names the serving thread in stack dumps
    title = "local JSON API"  # what it is, in the line that says where it listens
    _server: ThreadingHTTPServer | None = None

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """``(status, extra headers, JSON payload)`` for one request."""
        raise NotImplementedError

    def answered(self, method: str, path: str, query: dict[str, str], status: int, body: bytes) -> None:
        """Called after each answer, with the request's body (for servers that keep a log of requests)."""

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def how_to_use(self) -> str:
        """What to put in a connector's config to reach this server, for the person who started it."""
        return f"base_url: {self.base_url}"

    def start(self: ServerT, host: str = "127.0.0.1", port: int = 0) -> ServerT:
        """Listen on ``host:port`` (port 0: a free one, read it from :attr:`base_url`)."""
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
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
                server.answered(method, url.path, query, status, body)
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


def server_options(
    module: str, description: str, port: int, defaults: LocalJsonServer, fields: Mapping[str, str]
) -> argparse.ArgumentParser:
    """The command line of ``python -m <module>``: ``--host``, ``--port``, and an option per field of the
    double in ``fields`` (name: what it is), its default taken from ``defaults``."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=port, help="the port (default: %(default)s; 0 picks a free one)")
    for name, meaning in fields.items():
        default = getattr(defaults, name)
        option = "--" + name.replace("_", "-")
        parser.add_argument(
            option, dest=name, type=type(default), default=default, help=f"{meaning} (default: %(default)s)"
        )
    return parser


def serve_until_interrupted(server: LocalJsonServer, host: str, port: int) -> None:
    """Start ``server``, print where it listens and how to use it, and serve until Ctrl-C."""
    try:
        server.start(host, port)
    except OSError as exc:
        reason = exc.strerror or exc
        raise SystemExit(
            f"cannot listen on {host}:{port}: {reason}; choose another --port (0 picks a free one)"
        ) from None
    print(f"{server.title} listening on {server.base_url} (Ctrl-C stops it)", flush=True)
    print(server.how_to_use(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:  # Ctrl-C is how this ends: no traceback for it
        pass
    finally:
        server.stop()
