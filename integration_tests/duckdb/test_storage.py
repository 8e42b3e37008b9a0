"""How destination-duckdb lays rows out in the file: batch commits of whole row groups bypass the WAL."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pyarrow as pa

from airbyte_dest_kit.destination.pipeline.flush import FlushPolicy
from airbyte_dest_kit.destination.pipeline.runner import Pipeline
from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.testing.builders import catalog, record, stdin_lines, stream_state
from airbyte_dest_kit.writers.duckdb import ROW_GROUP_SIZE, DuckDBWriter
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream


def test_a_batch_commit_lands_in_row_groups_of_the_writers_size_with_every_row(dest):
    # One batch (the whole input fits the default buffer) of 2.3 row groups: DuckDB writes the full groups
    # straight to the file only when the database is attached with our row group size; with its own
    # 122,880-row groups the batch would go through the WAL into a single group.
    count = 2 * ROW_GROUP_SIZE + ROW_GROUP_SIZE // 3
    messages = [record("events", {"id": i, "name": f"e{i}"}) for i in range(count)]
    state = stream_state("events", {"cursor": count}, id=1, source_count=count)
    events = catalog(configured_stream("events", {"id": INT_SCHEMA, "name": STR_SCHEMA}, mode="append"))
    dest.write(events, [*messages, state]).assert_ok()

    groups = dest.query("SELECT row_group_id, max(count) AS rows FROM pragma_storage_info('main.events') GROUP BY 1")
    assert sorted(g["rows"] for g in groups) == [ROW_GROUP_SIZE // 3, ROW_GROUP_SIZE, ROW_GROUP_SIZE]
    summary = dest.query(
        "SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi FROM main.events"
    )
    assert summary == [{"n": count, "ids": count, "lo": 0, "hi": count - 1}]


class RecordingDuckDBWriter(DuckDBWriter):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.sizes: list[int] = []

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        super().write(stream, batch)
        self.sizes.append(batch.num_rows)


def test_full_buffers_are_committed_in_whole_row_groups(tmp_path: Path) -> None:
    # A commit's part-filled last row group costs a second compression at the checkpoint (its vacuum merges
    # it with the next commit's): batches of a full buffer hold whole groups, the rest waits for the next.
    # (Here 32,000 rows fill a buffer: it is written at 32,000 to 44,000 rows, and goes as one group.)
    count = 4 * ROW_GROUP_SIZE + 1000
    messages = [record("events", {"id": i, "name": f"e{i}"}) for i in range(count)]
    state = stream_state("events", {"cursor": count}, id=1, source_count=count)
    stream = configured_stream("events", {"id": INT_SCHEMA, "name": STR_SCHEMA}, mode="append")
    writer = RecordingDuckDBWriter(str(tmp_path / "dest.duckdb"))
    specs = build_stream_specs([ConfiguredAirbyteStream.model_validate(stream)], "main", writer.capabilities)
    out = io.BytesIO()
    # The reader's 1 MiB chunks hold about 12,000 of these lines.
    Pipeline(writer, specs, MessageWriter(out), FlushPolicy(max_rows=32_000)).run(
        io.BytesIO(stdin_lines([*messages, state]))
    )

    *full, last = writer.sizes
    assert all(size % ROW_GROUP_SIZE == 0 for size in full) and len(full) >= 3
    assert sum(writer.sizes) == count and last == count - sum(full)
    assert b'"cursor":' in out.getvalue()  # the state, echoed
    with duckdb.connect(str(tmp_path / "dest.duckdb")) as con:
        assert con.execute("SELECT count(DISTINCT id) FROM main.events").fetchone() == (count,)
        storage = "SELECT max(count) FROM pragma_storage_info('main.events') GROUP BY row_group_id"
        groups = con.execute(storage).fetchall()
    assert sorted(rows for (rows,) in groups) == [1000] + [ROW_GROUP_SIZE] * 4
