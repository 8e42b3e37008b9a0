"""Typed batches as the pipeline hands them to a writer, for tests that drive a writer directly."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa

from airbyte_dest_kit.layout import EXTRACTED_AT, LINE_NUMBER, META, RAW_ID, StreamSpec
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.writer import Writer, build_stream_specs

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def typed_batch(spec: StreamSpec, rows: list[dict[str, Any]], *, first: int = 0) -> pa.Table:
    """``rows`` (the stream's columns by name; the rest NULL) with the kit's columns: raw ids ``r<n>`` and
    extraction times one second apart, both counted from ``first``."""
    full = [
        {RAW_ID: f"r{first + i}", EXTRACTED_AT: START + timedelta(seconds=first + i), META: '{"changes":[]}', **row}
        | {LINE_NUMBER: i}
        for i, row in enumerate(rows)
    ]
    return pa.Table.from_pylist(full, schema=spec.batch_schema)


def single_spec(writer: Writer, configured: dict[str, Any], schema: str = "default") -> StreamSpec:
    (spec,) = build_stream_specs([ConfiguredAirbyteStream.model_validate(configured)], schema, writer.capabilities)
    return spec
