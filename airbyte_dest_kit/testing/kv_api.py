"""A key-value service on 127.0.0.1 in the shape of the KvDB tutorial's API, for testing destinations::

    with LocalKeyValueStore() as store:
        run_my_destination(base_url=store.base_url, bucket_id=store.bucket, secret_key=store.secret_key)
        assert store.values("users__") == [...]

Endpoints (all need ``Authorization: Bearer <secret_key>``):

- ``POST /<bucket>`` ``{"txn": [{"set": key, "value": json}, {"delete": key}, ...]}``: all operations, or none
- ``GET /<bucket>/?prefix=&limit=&skip=&values=true``: the keys (or ``[key, value]`` pairs) in insertion order

A wrong token gets a 401 whose body quotes the token back, as some APIs do: a connector that puts the
response in its error message leaks the key unless the runtime masks it. ``python -m
airbyte_dest_kit.testing.kv_api [--host 127.0.0.1] [--port 8765] [--bucket B] [--secret-key K]`` serves it
until interrupted and prints its URL and the destination-kvdb config that reaches it.

This is the in-process double, for quick tests that seed and read ``items`` directly. The KvDB server that
destination-kvdb is tested and benchmarked against, a separate process with a durable SQLite file, key
order, ``GET /<bucket>/<key>`` and fault knobs, is ``destinations/destination-kvdb/server.py``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from airbyte_dest_kit.testing.local_server import LocalJsonServer, serve_until_interrupted, server_options


@dataclass
class LocalKeyValueStore(LocalJsonServer):
    bucket: str = "guide-bucket"
    secret_key: str = "kv-secret-7f3a9c"
    items: dict[str, Any] = field(default_factory=dict)
    transactions: int = 0

    thread_name = "local-kv-store"
    title = "local key-value store"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def how_to_use(self) -> str:
        config = {"base_url": self.base_url, "bucket_id": self.bucket, "secret_key": self.secret_key}
        return f"destination-kvdb config: {json.dumps(config)}"

    def values(self, prefix: str) -> list[Any]:
        """The stored values whose keys start with ``prefix``, in insertion order."""
        with self._lock:
            return [value for key, value in self.items.items() if key.startswith(prefix)]

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if path.rstrip("/") != f"/{self.bucket}":
            return 404, {}, {"error": f"no bucket at {path}"}
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if token != self.secret_key:
            return 401, {}, {"error": f"token {token!r} is not valid for bucket {self.bucket}"}
        with self._lock:
            if method == "POST":
                return 200, {}, self._apply(json.loads(body)["txn"])
            prefix, skip, limit = query.get("prefix", ""), int(query.get("skip", 0)), int(query.get("limit", 1000))
            page = [(key, value) for key, value in self.items.items() if key.startswith(prefix)][skip : skip + limit]
            return 200, {}, page if query.get("values") == "true" else [key for key, _ in page]

    def _apply(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        staged = dict(self.items)  # all or nothing: a bad operation leaves the store as it was
        for operation in operations:
            if "set" in operation:
                staged[operation["set"]] = operation["value"]
            else:
                staged.pop(operation["delete"], None)
        self.items = staged
        self.transactions += 1
        return {}


def main(argv: Sequence[str] | None = None) -> None:
    description = "Serve the in-memory key-value store, for destinations, until interrupted."
    options = {"bucket": "the bucket it serves", "secret_key": "the bearer token every request needs"}
    parser = server_options("airbyte_dest_kit.testing.kv_api", description, 8765, LocalKeyValueStore(), options)
    chosen = vars(parser.parse_args(argv))
    host, port = chosen.pop("host"), chosen.pop("port")
    serve_until_interrupted(LocalKeyValueStore(**chosen), host, port)


if __name__ == "__main__":
    main()
