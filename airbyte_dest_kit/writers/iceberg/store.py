"""The Iceberg store: one Iceberg table per kit table (the stream's, its staging and tombstone tables) in the
namespace of the stream's schema, under the modes of :mod:`airbyte_dest_kit.store`, through pyiceberg.

Commits: each is one Iceberg snapshot whose summary names the sync and generation (``airbyte.sync-id`` /
``airbyte.generation-id``). Appends to an unpartitioned table are staged (``Capabilities.defers_commits``):
the batches between two commits stream into one Parquet file (:class:`.datafiles.StagedFile`, pyarrow,
which encodes without holding the GIL the typing threads need), committed when the pipeline asks
(:meth:`IcebergWriter.commit`: a state waited, the stream ended) or when it reaches the target file size;
the states it covers are echoed after that. Every other operation is a commit of its own before it
returns. A commit that loses a race (another writer committed first: ``CommitFailedException``) reloads the
table and runs again.

Modes, and what Iceberg brings to them:

- append: staged as above on an unpartitioned table, else pyiceberg's append, a commit per batch,
  which splits partitions and files at the table's ``write.target-file-size-bytes`` (config
  ``target_file_size_mb``; compaction groups files up to it too). When a stream completes, the files this
  sync wrote (appends, merges) are compacted, per partition, when there are more than
  :data:`COMPACT_AFTER_FILES` of them (one commit replacing them): many small batches do not leave many
  small files.
- overwrite / truncate refresh: batches go to the staging table; the swap replaces the final table's
  contents by the staging rows in one commit (a delete and appends in one transaction): readers see the
  old snapshot until then, and a failed sync leaves it current.
- append_dedup (:class:`~airbyte_dest_kit.store.Merges`): each batch is merged copy-on-write, file by file
  (:mod:`.merge`): only the data files holding one of the batch's keys are rewritten, in one commit per
  table, the winner rule applied in Arrow (:func:`~airbyte_dest_kit.streams.winner.merge_arrow`). Memory
  follows the batch, not the files or the table. No delete files are written: every engine reads the result.

Schema evolution: a new column is added (an Iceberg schema update, old files read it as NULL). A type
change the kit widens (:func:`~airbyte_dest_kit.streams.schema.widen`) that Iceberg cannot promote in
place (``long`` to ``double``, anything to ``string``) rewrites the table in one commit: the column
replaced by one of the wider type, the rows cast.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException, NamespaceAlreadyExistsError, NoSuchTableError
from pyiceberg.expressions import (
    AlwaysTrue,
    IsNull,
    LessThan,
    NotEqualTo,
    Or,
)
from pyiceberg.table import FileScanTask, Table, TableProperties, Transaction

from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import ConfigError, TransientError
from airbyte_dest_kit.store import ColumnTypes, MergeTarget, StoreWriter, SwapPair, plan_evolution
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import GENERATION_ID, StreamSpec
from airbyte_dest_kit.streams.winner import conform, merge_arrow
from airbyte_dest_kit.writers.iceberg import datafiles, merge
from airbyte_dest_kit.writers.iceberg.catalog import CatalogConfig
from airbyte_dest_kit.writers.iceberg.datafiles import size_groups
from airbyte_dest_kit.writers.iceberg.tables import (
    Partitioning,
    column_type,
    doc,
    fit,
    iceberg_type,
    predicate,
    schema_for,
)

# An overwrite or a merge whose filter matches no row: nothing to say (pyiceberg warns on every one).
warnings.filterwarnings("ignore", message="Delete operation did not match any records", category=UserWarning)

COMMIT_ATTEMPTS = 10
# At a stream's end, the files one sync wrote to one partition are compacted when more than this many.
COMPACT_AFTER_FILES = 4
SYNC_ID = "airbyte.sync-id"
GENERATION = "airbyte.generation-id"
TARGET_FILE_SIZE = "write.target-file-size-bytes"
TARGET_FILE_SIZE_DEFAULT = TableProperties.WRITE_TARGET_FILE_SIZE_BYTES_DEFAULT
# Rows copied from one table to another (a swap, adopted staged rows) are appended this many bytes of Arrow at
# a time: a file each.
CHUNK_BYTES = 64 << 20


class IcebergWriter(StoreWriter):
    naming = Capabilities(case_sensitive_identifiers=True, defers_commits=True)

    def __init__(
        self,
        catalog: CatalogConfig,
        *,
        namespace: str = "default",
        partitioning: Partitioning | None = None,
        target_file_bytes: int | None = None,
        compact: bool = True,
    ) -> None:
        self.config = catalog
        self.namespace = namespace
        self.partitioning = partitioning
        self.target_file_bytes = target_file_bytes
        self.compact = compact  # the files a sync wrote, compacted when its streams complete
        self._catalog: Catalog | None = None
        # Rows appended to a table since its last commit, by (namespace, table) (Capabilities.defers_commits).
        self._staged: dict[tuple[str, str], datafiles.StagedFile] = {}

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = self.config.load()
        return self._catalog

    def check(self) -> None:
        probe = (self.namespace, f"_airbyte_connection_check_{random.getrandbits(32):08x}")
        try:
            self.create_schema(self.namespace)
            self.catalog.create_table(probe, schema_for([("ok", ColumnType.BOOLEAN)]))
            self.catalog.purge_table(probe)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(
                f"config keys 'catalog' / 'warehouse': cannot create a table in namespace {self.namespace!r} "
                f"of warehouse {self.config.warehouse!r}: {exc}"
            ) from exc

    def opened(self, stream: StreamSpec) -> None:
        if self.partitioning is not None:
            self.partitioning.check(stream)

    # -- tables -----------------------------------------------------------------------------------

    def _load(self, stream: StreamSpec, table: str) -> Table | None:
        try:
            return self.catalog.load_table((stream.schema_name, table))
        except NoSuchTableError:
            return None

    def _require(self, stream: StreamSpec, table: str) -> Table:
        loaded = self._load(stream, table)
        if loaded is None:
            raise TransientError(f"stream {stream.label!r}: Iceberg table {stream.schema_name}.{table} disappeared")
        return loaded

    def _commit(self, stream: StreamSpec, table: str, change: Callable[[Transaction], None]) -> None:
        """``change`` in one commit on the table as it is now, retried on the reloaded table when it loses."""

        def attempt() -> None:
            transaction = self._require(stream, table).transaction()
            change(transaction)
            transaction.commit_transaction()

        self._retrying(stream, table, attempt)

    def _retrying(self, stream: StreamSpec, table: str, attempt: Callable[[], None]) -> None:
        """``attempt`` again while its commit loses a race (another writer committed first)."""
        for number in range(COMMIT_ATTEMPTS):
            try:
                attempt()
                return
            except CommitFailedException as exc:
                if number == COMMIT_ATTEMPTS - 1:
                    raise TransientError(
                        f"stream {stream.label!r}: Iceberg table {stream.schema_name}.{table}: "
                        f"{COMMIT_ATTEMPTS} commits lost to concurrent writers: {exc}"
                    ) from exc
                time.sleep(random.uniform(0.01, 0.1) * 2**number)  # jittered: racing writers spread out

    @staticmethod
    def _properties(stream: StreamSpec) -> dict[str, str]:
        return {SYNC_ID: str(stream.sync_id), GENERATION: str(stream.generation_id)}

    # -- the store --------------------------------------------------------------------------------

    def create_schema(self, schema: str) -> None:
        try:
            self.catalog.create_namespace(schema)
        except NamespaceAlreadyExistsError:
            pass

    def columns(self, stream: StreamSpec, table: str) -> ColumnTypes | None:
        loaded = self._load(stream, table)
        if loaded is None:
            return None
        return {f.name: column_type(f) for f in loaded.schema().fields}

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        loaded = self._load(stream, table)
        if loaded is None:
            self._create(stream, table, columns)
            return
        existing = {f.name: column_type(f) for f in loaded.schema().fields}
        adds, retypes = plan_evolution(existing, columns, case_sensitive=True)
        if adds:

            def add(transaction: Transaction) -> None:
                with transaction.update_schema() as update:
                    for name, kind in adds:
                        update.add_column(name, iceberg_type(kind), doc=doc(kind))

            self._commit(stream, table, add)
        if retypes:
            self._retype(stream, table, retypes)

    def _create(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        # The primary key as identifier fields, on the tables that hold one row per key.
        keyed = stream.dedup and table in (stream.table_name, stream.staging_table_name)
        schema = schema_for(columns, stream.primary_key if keyed else ())
        properties = {TARGET_FILE_SIZE: str(self.target_file_bytes)} if self.target_file_bytes else {}
        spec = self.partitioning.spec(stream, schema) if self.partitioning else None
        kwargs: dict[str, Any] = {"partition_spec": spec} if spec is not None else {}
        location = f"{self.config.warehouse_uri}/{path_segment(stream.schema_name)}/{path_segment(table)}"
        self.catalog.create_table((stream.schema_name, table), schema, location, properties=properties, **kwargs)

    def _allow_null_keys(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        """A NULL key (the protocol allows one: all NULL keys are one key) cannot go into an identifier field,
        which Iceberg requires to be required: the key columns become optional, no longer identifiers."""
        schema = self._require(stream, table).schema()
        required = [f.name for f in schema.fields if f.required and f.name in rows.column_names]
        if not any(rows.column(name).null_count for name in required):
            return

        def relax(transaction: Transaction) -> None:
            with transaction.update_schema() as update:
                update.set_identifier_fields()
                for name in required:
                    update.make_column_optional(name)

        self._commit(stream, table, relax)

    def _retype(self, stream: StreamSpec, table: str, retypes: Sequence[tuple[str, ColumnType]]) -> None:
        """Columns Iceberg cannot promote in place: replaced by wider ones, every row rewritten, one commit."""
        source = self._require(stream, table)
        wanted = {name: kind for name, kind in retypes}
        fields = [(f.name, wanted.get(f.name) or column_type(f)) for f in source.schema().fields]
        target = pa.schema([pa.field(name, kind.arrow_type) for name, kind in fields if kind is not None])
        reader = source.scan().to_arrow_batch_reader()  # the snapshot before the change, read while rewriting

        def rewrite(transaction: Transaction) -> None:
            with transaction.update_schema() as update:
                for name in wanted:
                    update.delete_column(name)
            with transaction.update_schema() as update:
                for name, kind in retypes:
                    update.add_column(name, iceberg_type(kind), doc=doc(kind))
            transaction.delete(AlwaysTrue(), snapshot_properties=self._properties(stream))
            for batch in reader:
                transaction.append(pa.Table.from_batches([conform(batch, target)]), self._properties(stream))

        transaction = source.transaction()  # not retried: the reader belongs to this snapshot
        rewrite(transaction)
        transaction.commit_transaction()

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        staged = self._staged.get((stream.schema_name, table))
        if staged is None:
            self._allow_null_keys(stream, table, rows)
            metadata = self._require(stream, table).metadata
            schema = metadata.schema()
            if not metadata.spec().is_unpartitioned() or any(f.required for f in schema.fields):
                # pyiceberg splits partitions and keeps required columns required: a commit of its own
                properties = self._properties(stream)
                self._commit(stream, table, lambda t: t.append(fit(t.table_metadata.schema(), rows), properties))
                return
            staged = self._staged[stream.schema_name, table] = datafiles.StagedFile(metadata, fit(schema, rows).schema)
        staged.add(rows)
        if staged.size >= (self.target_file_bytes or TARGET_FILE_SIZE_DEFAULT):
            self._commit_staged(stream, table)

    def commit(self, stream: StreamSpec) -> None:
        for table in (stream.table_name, stream.staging_table_name):  # where a stream's batches are appended
            if (stream.schema_name, table) in self._staged:
                self._commit_staged(stream, table)

    def _commit_staged(self, stream: StreamSpec, table: str) -> None:
        """The file of rows appended to ``table`` since its last commit, added in one commit."""
        staged = self._staged.pop((stream.schema_name, table))
        loaded = self._require(stream, table)
        data_file = staged.publish(loaded, loaded.metadata)
        if data_file is None:
            return

        def add(transaction: Transaction) -> None:
            with transaction.update_snapshot(self._properties(stream)).fast_append() as append:
                append.append_data_file(data_file)

        self._commit(stream, table, add)

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        rows = self._load(stream, source)
        if rows is not None:
            self._commit(stream, target, lambda t: self._append_rows_of(stream, t, rows))

    def _append_rows_of(self, stream: StreamSpec, transaction: Transaction, source: Table) -> None:
        """Every row of ``source`` appended in ``transaction``, in chunks of :data:`CHUNK_BYTES` (a file each,
        at most: a batch at a time would make as many small files)."""
        chunk: list[pa.RecordBatch] = []
        for batch in itertools.chain(source.scan().to_arrow_batch_reader(), [None]):
            if chunk and (batch is None or sum(b.nbytes for b in chunk) + batch.nbytes > CHUNK_BYTES):
                rows = fit(transaction.table_metadata.schema(), pa.Table.from_batches(chunk))
                transaction.append(rows, self._properties(stream))
                chunk = []
            if batch is not None:
                chunk.append(batch)

    def drop(self, stream: StreamSpec, table: str) -> None:
        try:
            self.catalog.purge_table((stream.schema_name, table))
        except NoSuchTableError:
            pass

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        other = Or(predicate(IsNull, GENERATION_ID), predicate(NotEqualTo, GENERATION_ID, generation))
        loaded = self._require(stream, table)
        found = loaded.scan(row_filter=other, selected_fields=(GENERATION_ID,), limit=1).to_arrow()
        return bool(found.num_rows == 0)

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        older = Or(predicate(IsNull, GENERATION_ID), predicate(LessThan, GENERATION_ID, minimum))
        self._commit(stream, table, lambda t: t.delete(older, snapshot_properties=self._properties(stream)))

    def scan(self, stream: StreamSpec, table: str) -> Iterator[pa.RecordBatch] | None:
        loaded = self._load(stream, table)
        if loaded is None:
            return None
        return _batches(loaded)

    # -- swap: the staging rows replace the final table's in one commit ---------------------------

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        for pair in pairs:
            staged = self._load(stream, pair.staging)
            if staged is None:
                continue
            self.evolve(
                stream, pair.final, [(f.name, column_type(f) or ColumnType.STRING) for f in staged.schema().fields]
            )

            def replace(transaction: Transaction, staged: Table = staged) -> None:
                transaction.delete(AlwaysTrue(), snapshot_properties=self._properties(stream))
                self._append_rows_of(stream, transaction, staged)

            self._commit(stream, pair.final, replace)
            self.drop(stream, pair.staging)

    # -- merge: copy-on-write of the files holding the batch's keys -------------------------------

    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        if isinstance(source, str):  # staged rows, one per key already: merged a bounded batch at a time
            for batch in self.scan(stream, source) or iter(()):
                self._merge(stream, target, pa.Table.from_batches([batch]))
            return
        self._merge(stream, target, source)

    def _merge(self, stream: StreamSpec, target: MergeTarget, rows: pa.Table) -> None:
        schema = stream.arrow_schema
        rows = pa.Table.from_batches([conform(b, schema) for b in rows.to_batches()], schema=schema)
        if rows.num_rows == 0:
            return
        self._allow_null_keys(stream, target.live, rows)
        # A lost race merges the batch again from the start (merging it twice changes nothing).
        self._retrying(stream, target.live, lambda: self._merge_once(stream, target, rows))

    def _merge_once(self, stream: StreamSpec, target: MergeTarget, rows: pa.Table) -> None:
        tables = [self._require(stream, target.live)]
        if target.tombstones is not None:
            tables.append(self._require(stream, target.tombstones))
        rewrites = [merge.read_affected(table, stream, rows) for table in tables]
        live, deleted = merge_arrow(stream, [held for r in rewrites for held in r.held], rows)
        for table, rewrite, winners in zip(tables, rewrites, (live, deleted), strict=False):
            merge.commit(table, rewrite, winners, self._properties(stream))

    # -- compaction of what an append sync wrote --------------------------------------------------

    def finish(self, stream: StreamSpec) -> None:
        self.commit(stream)
        super().finish(stream)
        if self.compact and not stream.truncate:  # a swap wrote the table anew, in chunks of CHUNK_BYTES
            self._compact(stream, stream.table_name)

    def _compact(self, stream: StreamSpec, table: str) -> None:
        """The data files this sync wrote, per partition, rewritten as few when there are many: one commit."""
        loaded = self._require(stream, table)
        ours = {
            s.snapshot_id: s.summary.additional_properties
            for s in loaded.snapshots()
            if s.summary is not None and s.summary.additional_properties.get(SYNC_ID) == str(stream.sync_id)
        }
        if sum(int(summary.get("added-data-files", 0)) for summary in ours.values()) <= COMPACT_AFTER_FILES:
            return  # not needed (the usual case): no partition can hold more, and the table's files are not listed
        tasks = {task.file.file_path: task for task in loaded.scan().plan_files()}
        by_partition: dict[str, list[FileScanTask]] = defaultdict(list)
        for entry in loaded.inspect.entries().to_pylist():  # the current snapshot's live entries
            path = entry["data_file"]["file_path"]
            if entry["snapshot_id"] in ours and entry["status"] != 2 and path in tasks and not tasks[path].delete_files:
                by_partition[repr(entry["data_file"]["partition"])].append(tasks[path])
        limit = self.target_file_bytes or TARGET_FILE_SIZE_DEFAULT  # a group of files becomes one file
        groups = [
            group
            for files in by_partition.values()
            if len(files) > COMPACT_AFTER_FILES
            for group in size_groups(files, limit)
            if len(group) > 1
        ]
        if not groups:
            return
        transaction = loaded.transaction()
        with transaction.update_snapshot(self._properties(stream)).overwrite() as replace:
            for group in groups:
                for task in group:
                    replace.delete_data_file(task.file)
                for data_file in datafiles.rewrite(loaded, transaction.table_metadata, group):
                    replace.append_data_file(data_file)
        try:
            transaction.commit_transaction()
        except CommitFailedException:
            pass  # another writer committed meanwhile: the files stay as they are (compaction is optional)

    def close(self) -> None:
        for staged in self._staged.values():  # never committed: the sync failed, no state covers them
            staged.discard()
        self._staged.clear()
        self._catalog = None


def path_segment(name: str) -> str:
    """``name`` as one safe segment of a file path or URI (a ``#`` or ``?`` would cut a URI short), kept
    distinct from other names by a hash of the original when anything was replaced."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return safe if safe == name else f"{safe}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _batches(table: Table) -> Iterator[pa.RecordBatch]:
    yield from table.scan().to_arrow_batch_reader()
