"""Writing to any HTTP API: entries sent in requests sized by count and bytes, each acknowledged.

A writer for an HTTP API encodes its rows as JSON entries and hands them to :class:`BatchPoster`, which
wraps them in the API's envelope (``{"txn": [`` … ``]}``, ``{"records": [`` … ``]}``, a bare array) and
sends as few requests as the limits allow::

    poster = BatchPoster(HttpClient(base_url, headers=auth, retry=RetryPolicy(jitter=0.25)))
    poster.post("/bucket", [b'{"set":"k1","value":1}', b'{"set":"k2","value":2}'], Envelope(b'{"txn":[', b"]}"))

Each request goes through :class:`airbyte_dest_kit.runtime.http.HttpClient`: pooled connections, timeouts, retries
with backoff and jitter on connection errors, timeouts, 429 and 5xx (``Retry-After`` honoured), and a
terminal error quoting the server for any other 4xx. A request whose answer was lost is sent again, so
entries must be idempotent (a ``set`` of a key derived from the record, not "append this"). When
:meth:`BatchPoster.post` returns, the server acknowledged every request: the batch is durable, and only
then may the states that cover it be echoed (the pipeline echoes them after ``Writer.write`` returns).
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.destination.writer import Capabilities, Writer
from airbyte_dest_kit.runtime.http import HttpClient
from airbyte_dest_kit.streams.naming import unique_names
from airbyte_dest_kit.streams.spec import EXTRACTED_AT, GENERATION_ID, META, RAW_ID, SOURCE_DATA, StreamSpec

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# The fields added to the source's data in each record object.
RECORD_FIELDS = (RAW_ID, EXTRACTED_AT, META, GENERATION_ID)


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


# JSON entries, each one's text: Python bytes, or an Arrow string or binary array (a batch's entries stay in
# Arrow until each request's body is made from its share).
Entries: TypeAlias = Sequence[bytes] | pa.Array | pa.ChunkedArray


def cut(sizes: Sequence[int], limits: RequestLimits, overhead: int = 0) -> Iterator[range]:
    """Consecutive runs of entries of ``sizes`` bytes within ``limits`` (``overhead``: the envelope's bytes)."""
    start, size = 0, overhead
    for index, entry_size in enumerate(sizes):
        grown = size + entry_size + (index > start)  # a comma between entries
        if index > start and (index - start >= limits.max_entries or grown > limits.max_bytes):
            yield range(start, index)
            start, grown = index, overhead + entry_size
        size = grown
    if start < len(sizes):
        yield range(start, len(sizes))


def request_bodies(entries: Entries, limits: RequestLimits, envelope: Envelope) -> Iterator[bytes]:
    """Each request's body, made only when it is sent: all of a batch's bodies at once were a copy of the
    batch in Python objects (a third of destination-kvdb's peak RSS with the entries' own copy)."""
    overhead = len(envelope.prefix) + len(envelope.suffix)
    shares: Iterator[Sequence[bytes]]
    if isinstance(entries, pa.Array | pa.ChunkedArray):
        texts = entries.cast(pa.large_binary())
        runs = cut(pc.binary_length(entries).to_pylist(), limits, overhead)
        shares = (texts.slice(run.start, len(run)).to_pylist() for run in runs)
    else:
        listed: Sequence[bytes] = entries
        shares = (listed[run.start : run.stop] for run in cut([len(e) for e in listed], limits, overhead))
    return (envelope.wrap(share) for share in shares)


class BatchPoster:
    """Sends entries through ``client`` in requests within ``limits``, ``concurrency`` at a time."""

    def __init__(self, client: HttpClient, limits: RequestLimits = RequestLimits(), concurrency: int = 1) -> None:
        self.client, self.limits, self.concurrency = client, limits, concurrency
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="http-post") if concurrency > 1 else None

    def post(self, path: str, entries: Entries, envelope: Envelope, method: str = "POST") -> int:
        """Send every entry; returns the number of requests once all were acknowledged (raises otherwise:
        some requests may then have landed, which idempotent entries make harmless)."""
        bodies = request_bodies(entries, self.limits, envelope)
        if self._pool is None:
            sent = 0
            for body in bodies:
                self.client.request(method, path, content=body)
                sent += 1
            return sent
        return self._post_concurrently(self._pool, path, bodies, method)

    def _post_concurrently(self, pool: ThreadPoolExecutor, path: str, bodies: Iterator[bytes], method: str) -> int:
        """At most ``concurrency`` requests in flight, each body made as its request starts; once a request
        has failed, no other starts. Every started request finishes before this returns, and the first
        failure in request order is raised."""
        started: list[Future[object]] = []
        for body in bodies:
            if len(started) >= self.concurrency:
                started[-self.concurrency].exception()  # waits for the oldest request in flight
            if any(f.done() and f.exception() is not None for f in started[-self.concurrency :]):
                break  # (requests before these finished, and were looked at, in earlier turns)
            started.append(pool.submit(self.client.request, method, path, content=body))
        for future in started:
            future.exception()
        for future in started:
            future.result()
        return len(started)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self.client.close()


def record_values(rows: pa.Table) -> pa.ChunkedArray:
    """Each row's value: its source data with the four ``_airbyte_*`` fields added, as JSON text."""
    data = _without_clashes(rows.column(SOURCE_DATA))
    inner = pc.utf8_slice_codeunits(data, 1, -1)  # the data object's members, without its braces
    separator = pc.if_else(pc.equal(pc.utf8_length(inner), 0), "", ",")
    extracted_ms = pc.divide(pc.cast(rows.column(EXTRACTED_AT), pa.int64()), 1000)
    return pc.binary_join_element_wise(
        "{",
        inner,
        separator,
        f'"{RAW_ID}":"',
        rows.column(RAW_ID),
        f'","{EXTRACTED_AT}":',
        pc.cast(extracted_ms, pa.string()),
        f',"{META}":',
        rows.column(META),
        f',"{GENERATION_ID}":',
        pc.cast(rows.column(GENERATION_ID), pa.string()),
        "}",
        "",
    )


def _without_clashes(data: pa.ChunkedArray) -> pa.ChunkedArray:
    """Data objects with a field named like one of the added fields get it renamed by the naming rule (only
    those rows are parsed again; stdlib json keeps big integers)."""
    suspects = pc.match_substring(data, '"_airbyte_')
    if not pc.any(suspects).as_py():
        return data
    texts = data.to_pylist()
    for index in pc.indices_nonzero(pc.fill_null(suspects, False)).to_pylist():
        fields = json.loads(texts[index])
        if any(name in fields for name in RECORD_FIELDS):
            names = unique_names(list(fields), max_bytes=None, case_sensitive=True, taken=RECORD_FIELDS)
            renamed = dict(zip(names, fields.values(), strict=True))
            texts[index] = json.dumps(renamed, separators=(",", ":"), ensure_ascii=False)
    return pa.chunked_array([pa.array(texts, pa.string())])


class HttpWriter(Writer):
    """A :class:`Writer` for an HTTP API that takes records in JSON requests (append only: for dedup and
    overwrite, build a store as ``writers/kvdb/`` does). By default each record is one entry, a JSON object
    of its data as the source wrote it plus the four ``_airbyte_*`` fields (:func:`record_values`)::

        class IngestWriter(HttpWriter):
            envelope = Envelope(b'{"records":[', b"]}")

            def path(self, stream):
                return f"/streams/{stream.name}/records"

    The API must be idempotent for retries to be safe: a request whose answer was lost is sent again, so it
    should dedupe by ``_airbyte_raw_id``, or :meth:`entries` keys each record by it (a KvDB ``set``).
    """

    capabilities = Capabilities(dedup=False, truncate=False, stores_source_json=True)
    envelope = Envelope()

    def __init__(self, poster: BatchPoster) -> None:
        self.poster = poster

    @abc.abstractmethod
    def path(self, stream: StreamSpec) -> str:
        """Where ``stream``'s records are posted."""

    def entries(self, stream: StreamSpec, batch: pa.Table) -> Sequence[bytes]:
        """One JSON entry per record; override to wrap or key each one."""
        return [value.encode() for value in record_values(batch).to_pylist()]

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        self.poster.post(self.path(stream), self.entries(stream, batch), self.envelope)  # durable: acknowledged

    def close(self) -> None:
        self.poster.close()
