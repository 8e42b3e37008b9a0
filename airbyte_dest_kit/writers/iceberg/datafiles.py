"""New data files: the batches appended to an unpartitioned table between two commits (:class:`StagedFile`,
pyarrow, a batch at a time), compaction of the files one sync wrote (many small files of one partition
become few; DuckDB, streaming), and the files a dedup merge rewrites (:mod:`.merge`, a
:class:`StagedFile`). Each is written into the table's data folder (on object storage: locally, then
uploaded) and described by pyiceberg from its footer.

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


class StagedFile:
    """Rows streamed into one new data file of a table by pyarrow, a row group per batch written (memory: a
    batch; the encoding releases the GIL), with the table's field ids and required columns, until
    :meth:`publish` describes it as a data file to commit (or :meth:`discard` removes it). On object storage
    it is written locally and uploaded when published."""

    def __init__(self, metadata: TableMetadata, schema: pa.Schema) -> None:
        fields = [f for f in metadata.schema().fields if f.name in schema.names]
        self.schema = pa.schema(
            pa.field(f.name, schema.field(f.name).type, not f.required, {b"PARQUET:field_id": str(f.field_id)})
            for f in fields
        )
        self.target = f"{metadata.location}/data/{uuid.uuid4()}.parquet"
        on_disk = _local_path(self.target)
        self._scratch = None if on_disk else tempfile.mkdtemp(prefix="airbyte-iceberg-")
        self.local = Path(on_disk or Path(str(self._scratch)) / "written.parquet")
        self.local.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self.local, self.schema, compression="zstd", compression_level=1)

    def add(self, rows: pa.Table | pa.RecordBatch) -> None:
        if rows.num_rows:
            self._writer.write(rows.select(self.schema.names).cast(self.schema))

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self.local.stat().st_size

    def publish(self, table: Table, metadata: TableMetadata) -> DataFile | None:
        """The file, complete, as a data file of ``table`` (None, and no file, when it holds no row)."""
        self._writer.close()
        try:
            return _publish(table, metadata, self.local, self.target)
        finally:
            self._remove_scratch()

    def discard(self) -> None:
        self._writer.close()
        self.local.unlink(missing_ok=True)
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)


def write_rows(table: Table, metadata: TableMetadata, rows: pa.RecordBatchReader) -> DataFile | None:
    """``rows`` streamed into one new file of ``table`` (:class:`StagedFile`); its description, None when
    there were no rows."""
    staged = StagedFile(metadata, rows.schema)
    for batch in rows:
        staged.add(batch)
    return staged.publish(table, metadata)


def _write(table: Table, metadata: TableMetadata, source: str, scratch: Path) -> DataFile | None:
    """The rows of ``source`` (a DuckDB table function) as one Parquet file with the table's field ids, in the
    table's data folder: written there on a local disk, else in ``scratch`` and uploaded. (Columns without
    NULLs come out required, identifier fields among them.)"""
    fields = metadata.schema().fields
    ids = ", ".join(f"{literal(f.name)}: {f.field_id}" for f in fields)
    target = f"{metadata.location}/data/{uuid.uuid4()}.parquet"
    local = Path(_local_path(target) or scratch / "written.parquet")
    local.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(":memory:") as con:
        con.execute(f"SET memory_limit = {literal(DUCKDB_MEMORY_LIMIT)}")
        con.execute("SET TimeZone = 'UTC'")
        columns = ", ".join(quote(f.name) for f in fields)
        con.execute(
            f"COPY (SELECT {columns} FROM {source}) TO {literal(str(local))} "
            f"(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, FIELD_IDS {{{ids}}})"
        )
    return _publish(table, metadata, local, target)


def _publish(table: Table, metadata: TableMetadata, local: Path, target: str) -> DataFile | None:
    """The Parquet file ``local`` as the data file ``target`` of ``table`` (uploaded unless it is there
    already); None, and no file, when it holds no row."""
    if pq.ParquetFile(local).metadata.num_rows == 0:
        local.unlink()
        return None
    if _local_path(target) is None:
        with local.open("rb") as data, table.io.new_output(target).create(overwrite=False) as out:
            shutil.copyfileobj(data, out, 1 << 20)
    return parquet_file_to_data_file(table.io, metadata, target)


def _local_path(path: str) -> str | None:
    """``path`` on the local disk, None for object storage."""
    return path.removeprefix("file://") if "://" not in path or path.startswith("file://") else None


def _local(table: Table, path: str, scratch: Path) -> str:
    on_disk = _local_path(path)
    if on_disk is not None:
        return on_disk
    local = scratch / f"{uuid.uuid4()}.parquet"
    with table.io.new_input(path).open() as source, local.open("wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    return str(local)
