"""New data files, streamed: compaction of the files one sync wrote (many small files of one partition become
few), by DuckDB, and the files a dedup merge rewrites (:mod:`.merge`), by pyarrow from Arrow batches.

For compaction, DuckDB reads a group of files (in place on a local disk, else downloaded to a temporary
folder first) and writes them as one Parquet file, streaming (memory stays flat whatever the group's size),
with the Iceberg field ids of the table's schema; pyiceberg then describes the new file from its footer
(statistics, partition).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.io.pyarrow import parquet_file_to_data_file
from pyiceberg.manifest import DataFile
from pyiceberg.table import FileScanTask, Table
from pyiceberg.table.metadata import TableMetadata

from airbyte_dest_kit.streams.sql_text import literal, quote

# What DuckDB may hold while it rewrites a group (a COPY streams: the limit bounds its buffers).
DUCKDB_MEMORY_LIMIT = "128MB"


def size_groups(files: Sequence[FileScanTask], limit: int) -> list[list[FileScanTask]]:
    """``files`` in consecutive groups of at most ``limit`` bytes (a larger file alone)."""
    groups: list[list[FileScanTask]] = [[]]
    size = 0
    for task in files:
        if groups[-1] and size + task.file.file_size_in_bytes > limit:
            groups.append([])
            size = 0
        groups[-1].append(task)
        size += task.file.file_size_in_bytes
    return groups


def rewrite(table: Table, metadata: TableMetadata, group: Sequence[FileScanTask]) -> list[DataFile]:
    """The rows of ``group`` written anew as one file of ``table``; the new file's description."""
    with tempfile.TemporaryDirectory(prefix="airbyte-iceberg-") as scratch:
        paths = [_local(table, task.file.file_path, Path(scratch)) for task in group]
        files = "[" + ", ".join(literal(p) for p in paths) + "]"
        written = _write(table, metadata, f"read_parquet({files}, union_by_name = true)", Path(scratch))
    return [written] if written is not None else []


def write_rows(table: Table, metadata: TableMetadata, rows: pa.RecordBatchReader) -> DataFile | None:
    """``rows`` streamed into one new file of ``table`` by pyarrow, a row group per batch (memory: a batch),
    with the table's field ids and required columns; its description, None when there were no rows."""
    fields = [f for f in metadata.schema().fields if f.name in rows.schema.names]
    schema = pa.schema(
        pa.field(f.name, rows.schema.field(f.name).type, not f.required, {b"PARQUET:field_id": str(f.field_id)})
        for f in fields
    )
    with tempfile.TemporaryDirectory(prefix="airbyte-iceberg-") as scratch:
        local = Path(scratch) / "written.parquet"
        with pq.ParquetWriter(local, schema, compression="zstd", compression_level=1) as writer:
            for batch in rows:
                if batch.num_rows:
                    writer.write_batch(batch.select(schema.names).cast(schema))
        return _upload(table, metadata, local)


def _write(table: Table, metadata: TableMetadata, source: str, scratch: Path) -> DataFile | None:
    """``source`` (a DuckDB table function) as one Parquet file with the table's field ids, uploaded into the
    table's data folder. (Columns without NULLs come out required, identifier fields among them.)"""
    fields = metadata.schema().fields
    ids = ", ".join(f"{literal(f.name)}: {f.field_id}" for f in fields)
    local = scratch / "written.parquet"
    with duckdb.connect(":memory:") as con:
        con.execute(f"SET memory_limit = {literal(DUCKDB_MEMORY_LIMIT)}")
        con.execute("SET TimeZone = 'UTC'")
        columns = ", ".join(quote(f.name) for f in fields)
        con.execute(
            f"COPY (SELECT {columns} FROM {source}) TO {literal(str(local))} "
            f"(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, FIELD_IDS {{{ids}}})"
        )
    return _upload(table, metadata, local)


def _upload(table: Table, metadata: TableMetadata, local: Path) -> DataFile | None:
    """The local Parquet file ``local`` as a new data file of ``table`` (None when it holds no row)."""
    if pq.ParquetFile(local).metadata.num_rows == 0:
        return None
    target = f"{metadata.location}/data/{uuid.uuid4()}.parquet"
    with local.open("rb") as data, table.io.new_output(target).create(overwrite=False) as out:
        shutil.copyfileobj(data, out, 1 << 20)
    return parquet_file_to_data_file(table.io, metadata, target)


def _local(table: Table, path: str, scratch: Path) -> str:
    if "://" not in path or path.startswith("file://"):
        return path.removeprefix("file://")
    local = scratch / f"{uuid.uuid4()}.parquet"
    with table.io.new_input(path).open() as source, local.open("wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    return str(local)
