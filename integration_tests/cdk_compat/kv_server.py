"""A key-value service on 127.0.0.1 in the shape of the KvDB tutorial's API, for the guide-style destination.

    POST /<bucket>   {"txn": [{"set": key, "value": json}, {"delete": key}, ...]}   all operations, or none
    GET  /<bucket>/  ?prefix=&limit=&skip=&values=true   → keys, or [key, value] pairs, in insertion order

Every request needs ``Authorization: Bearer <secret_key>``; a wrong token gets a 401 whose body quotes the
token back (as some APIs do), so a connector that puts the response in its error leaks the key unless the
runtime masks it. ``python kv_server.py`` serves until interrupted and prints its URL.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class LocalKeyValueStore:
    bucket: str = "guide-bucket"
    secret_key: str = "kv-secret-7f3a9c"
    items: dict[str, Any] = field(default_factory=dict)
    transactions: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the store first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalKeyValueStore:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        threading.Thread(target=self._server.serve_forever, name="kv-store", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalKeyValueStore:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def values(self, prefix: str) -> list[Any]:
        with self._lock:
            return [value for key, value in self.items.items() if key.startswith(prefix)]

    def _handle(self, method: str, path: str, query: dict[str, str], token: str, body: bytes) -> tuple[int, Any]:
        if path.rstrip("/") != f"/{self.bucket}":
            return 404, {"error": f"no bucket at {path}"}
        if token != self.secret_key:
            return 401, {"error": f"token {token!r} is not valid for bucket {self.bucket}"}
        with self._lock:
            if method == "POST":
                operations = json.loads(body)["txn"]
                staged = dict(self.items)
                for operation in operations:
                    if "set" in operation:
                        staged[operation["set"]] = operation["value"]
                    else:
                        staged.pop(operation["delete"], None)
                self.items = staged
                self.transactions += 1
                return 200, {}
            prefix, skip, limit = query.get("prefix", ""), int(query.get("skip", 0)), int(query.get("limit", 1000))
            matching = [(key, value) for key, value in self.items.items() if key.startswith(prefix)]
            page = matching[skip : skip + limit]
            return 200, page if query.get("values") == "true" else [key for key, _ in page]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        store = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                url = urllib.parse.urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                status, payload = store._handle(method, url.path, dict(urllib.parse.parse_qsl(url.query)), token, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # the name http.server dispatches to
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


if __name__ == "__main__":
    with LocalKeyValueStore() as store:
        print(store.base_url, store.bucket, store.secret_key, flush=True)
        threading.Event().wait()
