"""The generic HttpWriter, in the kit's pipeline, against the KvDB server process (keyed by raw id)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import orjson
import pyarrow as pa

from airbyte_dest_kit.destination.pipeline.runner import Pipeline
from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteCatalog
from airbyte_dest_kit.runtime.http import HttpClient, RetryPolicy
from airbyte_dest_kit.streams.spec import RAW_ID, StreamSpec
from airbyte_dest_kit.testing.builders import catalog, configured_stream, record, stdin_lines, stream_state
from airbyte_dest_kit.writers.http import JSON_HEADERS, BatchPoster, Envelope, HttpWriter, RequestLimits
from integration_tests.kvdb.kvdb_server import KvdbServer


class KvSetWriter(HttpWriter):
    """Each record set under ``<stream>/<raw id>``: the smallest idempotent use of the generic writer."""

    envelope = Envelope(b'{"txn":[', b"]}")

    def path(self, stream: StreamSpec) -> str:
        return "/bucket"

    def entries(self, stream: StreamSpec, batch: pa.Table) -> Sequence[bytes]:
        keys = [f"{stream.name}/{raw_id}" for raw_id in batch.column(RAW_ID).to_pylist()]
        values = super().entries(stream, batch)
        return [b'{"set":%b,"value":%b}' % (orjson.dumps(k), v) for k, v in zip(keys, values, strict=True)]


def test_http_writer_posts_sized_acknowledged_requests_through_faults(kvdb_server: KvdbServer) -> None:
    kvdb_server.set_faults(failure_rate=0.3, drop_rate=0.3, seed=3, fault_limit=10)
    client = HttpClient(
        kvdb_server.base_url,
        headers={**JSON_HEADERS, "Authorization": f"Bearer {kvdb_server.token}"},
        retry=RetryPolicy(max_retries=10, min_wait=0.01, max_wait=0.1, jitter=0.01),
    )
    writer = KvSetWriter(BatchPoster(client, RequestLimits(max_entries=40, max_bytes=10**6)))
    configured = ConfiguredAirbyteCatalog.model_validate(
        catalog(configured_stream("items", {"n": {"type": "integer"}}))
    )
    specs = build_stream_specs(configured.streams, "", writer.capabilities)
    messages = [record("items", {"n": n, "as text": str(n)}) for n in range(500)]
    state = stream_state("items", {"up_to": 500})
    out = io.BytesIO()
    Pipeline(writer, specs, MessageWriter(out)).run(io.BytesIO(stdin_lines([*messages, state])))

    echoed = [m["state"] for m in map(orjson.loads, out.getvalue().splitlines()) if m["type"] == "STATE"]
    assert echoed == [{**state["state"], "destinationStats": {"recordCount": 500.0}}]
    stored = kvdb_server.entries("bucket", "items/")
    assert sorted(value["n"] for _, value in stored) == list(range(500))
    assert all(key == "items/" + value["_airbyte_raw_id"] for key, value in stored)
    assert client.requests_sent == 500 // 40 + 1 + 10  # thirteen requests, ten faults retried
