"""append_dedup on the file store keeps memory flat as the stream grows: the merge when the stream completes
holds at most one batch of rows in Python at a time (the rest is in DuckDB, which spills to disk).

The proxy asserted here is deterministic: the largest Arrow batch the merge hands through Python, with the
batch size made small, against a stream many times larger (the peak RSS figure is ``bench/dedup_memory.py``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from airbyte_dest_kit.streams import winner
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.testing.builders import configured_stream
from airbyte_dest_kit.writers.files import FileFormat, FileWriter
from integration_tests.files.batches import on_merge_output, single_spec, typed_batch

PROPS = {"id": {"type": "integer"}, "v": {"type": "integer"}, "_ab_cdc_deleted_at": {"type": ["null", "string"]}}
KEYS = 700
BATCH = 500  # rows per written batch: each sync writes several
SMALL = 64  # the merge's batch size in this test


def _batch(spec: StreamSpec, first: int, rows: int, version: int) -> pa.Table:
    data = [
        {
            "id": (first + i) % KEYS,
            "v": version,
            # every 7th key of the second version is deleted
            "_ab_cdc_deleted_at": "2024-02-01T00:00:00Z" if version == 2 and (first + i) % 7 == 0 else None,
        }
        for i in range(rows)
    ]
    return typed_batch(spec, data, first=first)


def _sync(writer: FileWriter, spec: StreamSpec, version: int, rows: int) -> None:
    writer.open([spec])
    for first in range(0, rows, BATCH):
        # keys repeat across batches: within one sync, the later batch's version of a key wins (same cursor)
        writer.write(spec, winner.reduce_arrow(spec, _batch(spec, first, min(BATCH, rows - first), version)))
    writer.finish(spec)


@pytest.mark.parametrize("file_format", ["parquet", "jsonl", "csv"])
def test_the_merge_holds_one_batch_at_a_time_however_long_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_format: str
) -> None:
    monkeypatch.setattr(winner, "BATCH_ROWS", SMALL)
    seen: list[int] = []  # rows of every batch through the merge: read from the files, then handed back
    conform = winner.conform

    def counting(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
        seen.append(batch.num_rows)
        return conform(batch, schema)

    monkeypatch.setattr(winner, "conform", counting)
    writer = FileWriter(str(tmp_path / "out"), FileFormat(file_format))
    written: list[int] = []  # rows of every file the merge writes
    spec = single_spec(
        writer, configured_stream("a", PROPS, mode="append_dedup", primary_key=["id"], cursor="v"), "main"
    )
    _sync(writer, spec, version=1, rows=3 * BATCH)
    on_merge_output(writer, lambda rows: written.append(rows.num_rows))
    seen.clear()
    _sync(writer, spec, version=2, rows=4 * BATCH)
    writer.close()

    read = KEYS + 4 * BATCH  # the final rows (one per key), then the staged rows the second merge reads
    assert sum(seen) == read + KEYS and max(seen) <= SMALL and len(seen) >= (read + KEYS) // SMALL
    assert sum(written) == KEYS and max(written) <= SMALL  # live rows and tombstones, one per key
    reader = {"parquet": "read_parquet", "jsonl": "read_json", "csv": "read_csv"}[file_format]
    live = duckdb.sql(f"SELECT id, v FROM {reader}('{tmp_path}/out/main/a/*') ORDER BY id").fetchall()
    assert live == [(k, 2) for k in range(KEYS) if k % 7 != 0]
    tombstones = duckdb.sql(f"SELECT count(*) FROM {reader}('{tmp_path}/out/main/a_airbyte_deletes/*')").fetchall()
    assert tombstones == [(len([k for k in range(KEYS) if k % 7 == 0]),)]
