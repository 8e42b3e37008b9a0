"""Compaction of the data files one sync wrote: many small files of one partition become few.

DuckDB reads a group of files (in place on a local disk, else downloaded to a temporary folder first) and
writes them as one Parquet file, streaming (memory stays flat whatever the group's size), with the Iceberg
field ids of the table's schema; pyiceberg then describes the new file from its footer (statistics,
partition).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb
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
    """The rows of ``group`` written anew as few files of ``table``; the new files' descriptions."""
    target = f"{metadata.location}/data/{uuid.uuid4()}-compacted.parquet"
    with tempfile.TemporaryDirectory(prefix="airbyte-iceberg-") as scratch:
        local = _write_with_duckdb(table, metadata, group, Path(scratch))
        with local.open("rb") as source, table.io.new_output(target).create(overwrite=False) as out:
            shutil.copyfileobj(source, out, 1 << 20)
    return [parquet_file_to_data_file(table.io, metadata, target)]


def _write_with_duckdb(table: Table, metadata: TableMetadata, group: Sequence[FileScanTask], scratch: Path) -> Path:
    """The group's rows as one local Parquet file in ``scratch``, by DuckDB reading the files themselves
    (local ones in place, others downloaded to ``scratch`` first)."""
    paths = [_local(table, task.file.file_path, scratch) for task in group]
    names = [f.name for f in metadata.schema().fields]
    ids = ", ".join(f"{literal(f.name)}: {f.field_id}" for f in metadata.schema().fields)
    local = scratch / "compacted.parquet"
    with duckdb.connect(":memory:") as con:
        con.execute(f"SET memory_limit = {literal(DUCKDB_MEMORY_LIMIT)}")
        con.execute("SET TimeZone = 'UTC'")
        files = "[" + ", ".join(literal(p) for p in paths) + "]"
        columns = ", ".join(quote(name) for name in names)
        con.execute(
            f"COPY (SELECT {columns} FROM read_parquet({files}, union_by_name = true)) TO {literal(str(local))} "
            f"(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, FIELD_IDS {{{ids}}})"
        )
    return local


def _local(table: Table, path: str, scratch: Path) -> str:
    if "://" not in path or path.startswith("file://"):
        return path.removeprefix("file://")
    local = scratch / f"{uuid.uuid4()}.parquet"
    with table.io.new_input(path).open() as source, local.open("wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    return str(local)
