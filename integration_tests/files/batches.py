"""For tests that drive a writer directly: typed batches as the pipeline hands them over, one sync through
the modes and the store, and a crash at a chosen change as by a kill -9."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa

from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.destination.writer import Writer
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.streams.spec import EXTRACTED_AT, LINE_NUMBER, META, RAW_ID, StreamSpec
from airbyte_dest_kit.writers.files import FileWriter

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


class Crash(Exception):
    """A kill -9 at this point of the sync: nothing after it happens."""


class CrashBudget:
    """Counts a writer's changes once armed (``budget`` set) and raises :class:`Crash` instead of the
    ``budget``-th one."""

    def __init__(self) -> None:
        self.budget: int | None = None
        self.changes = 0
        self.crashed = False

    def change(self) -> None:
        if self.budget is None:
            return
        if self.changes >= self.budget:
            self.crashed = True
            raise Crash(f"crashed before change {self.changes}")
        self.changes += 1


def sync_directly(
    writer: Writer,
    spec: StreamSpec,
    batches: list[list[dict[str, Any]]],
    crashes: CrashBudget,
    crash_at: int | None,
    *,
    complete: bool,
) -> None:
    """One sync through the writer (the modes and the store, no pipeline), batch by batch, then the stream's
    completion if ``complete``; with ``crash_at``, ``crashes`` stops it at that change of the completion (the
    swap), as if killed there."""
    writer.open([spec])
    for batch in batches:
        writer.write(spec, typed_batch(spec, batch))
    crashes.budget = crash_at
    try:
        if complete:
            writer.finish(spec)
    except Crash:
        assert crashes.crashed
    writer.close()


def on_merge_output(writer: FileWriter, observe: Callable[[pa.Table], None]) -> None:
    """Call ``observe`` with each batch of rows the dedup merge writes as its result (``writer.append`` to a
    merged table), before it is written: the merge's database is open then."""
    append = writer.append

    def observed(stream: StreamSpec, table: str, rows: pa.Table) -> None:
        if table in (stream.merged_table_name, stream.merged_tombstone_table_name):
            observe(rows)
        append(stream, table, rows)

    writer.append = observed  # type: ignore[method-assign]
