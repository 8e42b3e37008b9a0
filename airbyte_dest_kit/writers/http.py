"""Writing to any HTTP API: entries sent in requests sized by count and bytes, each acknowledged.

A writer for an HTTP API encodes its rows as JSON entries and hands them to :class:`BatchPoster`, which
wraps them in the API's envelope (``{"txn": [`` … ``]}``, ``{"records": [`` … ``]}``, a bare array) and
sends as few requests as the limits allow::

    poster = BatchPoster(HttpClient(base_url, headers=auth, retry=RetryPolicy(jitter=0.25)))
    poster.post("/bucket", [b'{"set":"k1","value":1}', b'{"set":"k2","value":2}'], Envelope(b'{"txn":[', b"]}"))

Each request goes through :class:`airbyte_dest_kit.http.HttpClient`: pooled connections, timeouts, retries
with backoff and jitter on connection errors, timeouts, 429 and 5xx (``Retry-After`` honoured), and a
terminal error quoting the server for any other 4xx. A request whose answer was lost is sent again, so
entries must be idempotent (a ``set`` of a key derived from the record, not "append this"). When
:meth:`BatchPoster.post` returns, the server acknowledged every request: the batch is durable, and only
then may the states that cover it be echoed (the pipeline echoes them after ``Writer.write`` returns).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from airbyte_dest_kit.http import HttpClient

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@dataclass(frozen=True)
class RequestLimits:
    """The most one request may carry. An entry larger than ``max_bytes`` goes alone (the server decides)."""

    max_entries: int = 1000
    max_bytes: int = 4 * 2**20


@dataclass(frozen=True)
class Envelope:
    """The bytes around the comma-separated entries of one request body."""

    prefix: bytes = b"["
    suffix: bytes = b"]"

    def wrap(self, entries: Sequence[bytes]) -> bytes:
        return self.prefix + b",".join(entries) + self.suffix


def cut(entries: Sequence[bytes], limits: RequestLimits, overhead: int = 0) -> Iterator[Sequence[bytes]]:
    """Consecutive runs of ``entries`` within ``limits`` (``overhead``: the envelope's bytes)."""
    start, size = 0, overhead
    for index, entry in enumerate(entries):
        grown = size + len(entry) + (index > start)  # a comma between entries
        if index > start and (index - start >= limits.max_entries or grown > limits.max_bytes):
            yield entries[start:index]
            start, grown = index, overhead + len(entry)
        size = grown
    if start < len(entries):
        yield entries[start:]


class BatchPoster:
    """Sends entries through ``client`` in requests within ``limits``, ``concurrency`` at a time."""

    def __init__(self, client: HttpClient, limits: RequestLimits = RequestLimits(), concurrency: int = 1) -> None:
        self.client, self.limits, self.concurrency = client, limits, concurrency
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="http-post") if concurrency > 1 else None

    def post(self, path: str, entries: Sequence[bytes], envelope: Envelope, method: str = "POST") -> int:
        """Send every entry; returns the number of requests once all were acknowledged (raises otherwise:
        some requests may then have landed, which idempotent entries make harmless)."""
        bodies = [envelope.wrap(p) for p in cut(entries, self.limits, len(envelope.prefix) + len(envelope.suffix))]
        if self._pool is None or len(bodies) < 2:
            for body in bodies:
                self.client.request(method, path, content=body)
        else:
            futures = [self._pool.submit(self.client.request, method, path, content=body) for body in bodies]
            for future in futures:  # every request finishes (or fails) before this returns
                future.exception()
            for future in futures:
                future.result()  # the first failure, in request order
        return len(bodies)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self.client.close()
