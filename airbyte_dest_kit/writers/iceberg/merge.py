"""append_dedup's copy-on-write merge of one batch into a table, file by file.

Candidate files are those whose column statistics allow a key in the batch's key range (pyiceberg prunes
the others from the manifests). Each candidate's key columns are read; when it holds one of the batch's
keys, the file is streamed, a batch at a time: those keys' rows are kept aside, the others written as a new
file that replaces it (:func:`.datafiles.write_rows`). The rows kept
aside, merged with the batch by the winner rule, give the rows to add. One commit then removes the replaced
files and adds the new ones: the files holding no affected key are not touched, no delete file is written,
and memory holds a record batch, the file's key column and the batch's keys' rows, never a file or the
table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyiceberg.expressions import (
    AlwaysTrue,
    And,
    BooleanExpression,
    GreaterThanOrEqual,
    IsNull,
    LessThanOrEqual,
    Or,
)
from pyiceberg.io.pyarrow import _dataframe_to_data_files
from pyiceberg.manifest import DataFile
from pyiceberg.table import FileScanTask, Table

from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.streams.winner import conform
from airbyte_dest_kit.writers.iceberg import datafiles
from airbyte_dest_kit.writers.iceberg.tables import column_type, fit, predicate

FIELD_ID = b"PARQUET:field_id"


@dataclass
class Rewrite:
    """What merging a batch changes in one table."""

    held: list[pa.Table] = field(default_factory=list)  # the table's rows of the batch's keys
    removed: list[DataFile] = field(default_factory=list)  # files holding one of them
    added: list[DataFile] = field(default_factory=list)  # those files without those rows


def read_affected(table: Table, stream: StreamSpec, rows: pa.Table) -> Rewrite:
    """The rows ``table`` holds for the keys of ``rows``, and its files rewritten without them."""
    rewrite = Rewrite()
    wanted = key_text(stream, rows)
    for task in table.scan(row_filter=key_range(stream, rows)).plan_files():
        affected = _affected(table, task, stream, wanted)
        if not pc.any(affected).as_py():
            continue  # only the key columns were read
        rewrite.removed.append(task.file)
        written = datafiles.write_rows(table, table.metadata, _split(table, task, stream, affected, rewrite.held))
        if written is not None:
            rewrite.added.append(written)
    return rewrite


def _file_scan(table: Table, task: FileScanTask, fields: tuple[str, ...] = ("*",)) -> pa.RecordBatchReader:
    """The file's rows in the table's current schema (its ``fields``), a row group at a time. pyarrow reads
    the file itself, columns matched by field id (one the file predates is NULL): several times faster than
    pyiceberg's scan, which holds much of the file in memory. A file with delete files, or a table with a
    column of a type the kit does not write, goes through pyiceberg's scan."""
    wanted = [f for f in table.schema().fields if fields == ("*",) or f.name in fields]
    kinds = [column_type(f) for f in wanted]
    if task.delete_files or None in kinds:
        scan = table.scan(selected_fields=fields)
        scan.plan_files = lambda: [task]  # type: ignore[method-assign]
        reader: pa.RecordBatchReader = scan.to_arrow_batch_reader()
        return reader
    target = pa.schema(pa.field(f.name, kind.arrow_type) for f, kind in zip(wanted, kinds, strict=True) if kind)
    source = table.io.new_input(task.file.file_path).open()
    parquet = pq.ParquetFile(source)
    ids = {f.metadata[FIELD_ID]: f.name for f in parquet.schema_arrow if f.metadata and FIELD_ID in f.metadata}
    present = [f for f in wanted if str(f.field_id).encode() in ids]

    def batches() -> Iterator[pa.RecordBatch]:
        with source:
            for batch in parquet.iter_batches(columns=[ids[str(f.field_id).encode()] for f in present]):
                yield conform(batch.rename_columns([f.name for f in present]), target)

    return pa.RecordBatchReader.from_batches(target, batches())


def _affected(table: Table, task: FileScanTask, stream: StreamSpec, wanted: pa.Array) -> pa.Array:
    """Which rows of the file hold a ``wanted`` key, from its key columns alone."""
    keys = _file_scan(table, task, stream.primary_key).read_all()
    return pc.is_in(key_text(stream, keys), value_set=wanted, skip_nulls=False)


def _split(
    table: Table, task: FileScanTask, stream: StreamSpec, affected: pa.Array, held: list[pa.Table]
) -> pa.RecordBatchReader:
    """The file's rows but the ``affected`` ones (:func:`_affected`, in the file's order), a batch at a time;
    those go to ``held``."""
    reader = _file_scan(table, task)

    def others() -> Iterator[pa.RecordBatch]:
        offset = 0
        for batch in reader:
            mask = affected.slice(offset, batch.num_rows)
            offset += batch.num_rows
            held.append(pa.Table.from_batches([conform(batch.filter(mask), stream.arrow_schema)]))
            yield batch.filter(pc.invert(mask))

    return pa.RecordBatchReader.from_batches(reader.schema, others())


def commit(table: Table, rewrite: Rewrite, winners: pa.Table, properties: dict[str, str]) -> None:
    """One commit: the replaced files out, their remaining rows and ``winners`` in."""
    if not rewrite.removed and winners.num_rows == 0:
        return
    transaction = table.transaction()
    added = list(rewrite.added)
    if winners.num_rows:
        added += _dataframe_to_data_files(transaction.table_metadata, fit(table.schema(), winners), table.io)
    snapshot = transaction.update_snapshot(properties)
    with snapshot.overwrite() if rewrite.removed else snapshot.fast_append() as change:
        for data_file in rewrite.removed:
            change.delete_data_file(data_file)
        for data_file in added:
            change.append_data_file(data_file)
    transaction.commit_transaction()


def key_range(stream: StreamSpec, rows: pa.Table) -> BooleanExpression:
    """Rows whose key columns lie within the ranges of ``rows``' keys (NULL included when one is NULL):
    what column statistics can tell apart, so files outside it are never read."""
    terms: list[BooleanExpression] = []
    for name in stream.primary_key:
        column = rows.column(name)
        values = column.drop_null()
        term: BooleanExpression = predicate(IsNull, name)
        if len(values):
            low, high = pc.min(values).as_py(), pc.max(values).as_py()
            bounded = And(predicate(GreaterThanOrEqual, name, low), predicate(LessThanOrEqual, name, high))
            term = Or(bounded, term) if column.null_count else bounded
        terms.append(term)
    return And(*terms) if len(terms) > 1 else terms[0] if terms else AlwaysTrue()


def key_text(stream: StreamSpec, rows: pa.Table) -> pa.Array:
    """Each row's key as one value to compare: the column itself for a one-column key, else the columns' text
    joined. Two keys that happen to join alike only make a row read and written back unchanged: the winner
    rule groups by the real columns."""
    names = stream.primary_key
    if len(names) == 1:
        return rows.column(names[0]).combine_chunks()
    parts = [pc.fill_null(pc.cast(rows.column(n), pa.string()), "\x00") for n in names]
    return pc.binary_join_element_wise(*parts, "\x1f").combine_chunks()
