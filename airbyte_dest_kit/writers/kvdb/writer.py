"""KvDB-style key-value stores over HTTP: the kit's modes on a bucket of JSON values (a :class:`StoreWriter`).

Layout. A table is a key prefix: ``<table>/`` for a stream without a namespace, ``<namespace>/<table>/``
otherwise (``/`` and ``%`` inside names percent-encoded), with the kit's table names (the stream's own
name; ``<table>_airbyte_tmp`` for staging, ``<table>_airbyte_deletes`` for tombstones). A table's keys are
its prefix and one segment without ``/`` (a namespace's prefix may hold other streams' keys deeper down):

- append: ``<prefix><_airbyte_raw_id>``, so a request sent twice sets the same keys;
- append_dedup: ``<prefix><primary key>``, the typed key values as text (``%``, ``/`` and ``,``
  percent-encoded, ``,`` between the parts of a composite key, ``%00`` for NULL).

Values are JSON objects: the record's data as the source wrote it (``_airbyte_data`` from the typer, see
``Capabilities.stores_source_json``) plus ``_airbyte_raw_id``, ``_airbyte_extracted_at`` (epoch ms, the
record's ``emitted_at``), ``_airbyte_meta`` and ``_airbyte_generation_id``. A data field of one of those
four names is renamed by the naming rule (``_airbyte_raw_id_1``), as a column would be.

Modes (:mod:`airbyte_dest_kit.store`), with the operations a bucket allows:

- swap: a bucket has no rename, so a completed overwrite copies the staged keys into the final prefix,
  deletes the final keys the staging does not have, then the staging keys. A marker key written first and
  removed last lets the next sync finish a swap that was interrupted halfway; until the swap, readers of
  the final prefix see the previous generation only. The marker names the pairs whose staging held no key
  (an overwrite that brought no records): an empty staging prefix is otherwise indistinguishable from one
  already swapped, and those finals must end up empty.
  Not :mod:`airbyte_dest_kit.store.swaps`' journal, which the file store uses on object storage: its order,
  every old object deleted before any new one is copied in, keeps a reader listing a folder of files
  from seeing two sets, but here readers get keys, and a key that both generations hold (a truncate
  refresh of a dedup stream keys by primary key) would be missing between its delete and its copy.
  Copying first overwrites such a key in place: it reads its old value or its new one at every moment
  (integration_tests/kvdb/test_failures.py). The journal also lists every old and new object by name, a
  few files per batch there but one key per record here, and copies and deletes one object a call, where
  a bucket takes a thousand operations a request. The two share the idea (a marker as the commit point,
  the next ``open`` finishes from it), not the code: the order and what the marker holds differ.
- merge: the stored versions of the stream's keys (live and tombstones) are read once per sync, typed by
  the same typer as incoming records, and kept in memory (keys and ranking columns only); each batch is
  merged with them by the winner rule (:func:`airbyte_dest_kit.streams.winner.merge_arrow`) and only the keys
  whose version changed are written. One destination writes a stream at a time.

Keys under ``%airbyte/`` (which no encoded name can start with) are the kit's own: swap markers and the
connection check's probe.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Iterator, Sequence

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import ConfigError, TransientError
from airbyte_dest_kit.records.typer import RecordTyper
from airbyte_dest_kit.store import ColumnTypes, MergeTarget, StoreWriter, SwapPair
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import EXTRACTED_AT, LINE_NUMBER, RAW_ID, StreamSpec
from airbyte_dest_kit.streams.winner import merge_arrow
from airbyte_dest_kit.writers.http import record_values
from airbyte_dest_kit.writers.kvdb.client import Entry, KvdbClient
from airbyte_dest_kit.writers.kvdb.keys import (
    SWAP_MARKERS,
    SYSTEM_PREFIX,
    delete_operation,
    key_parts,
    own_entries,
    set_operation,
    set_operations,
    table_prefix,
)

# Stored versions typed at a time while the index is built: the index keeps only keys and ranking columns,
# so reading a large stream's values must not hold them all at once.
INDEX_GROUP = 20_000
# Columns of the in-memory index of stored versions (besides the ranking columns).
_KEY, _PK = "_kv_key", "_kv_pk"


class KvdbWriter(StoreWriter):
    naming = Capabilities(case_sensitive_identifiers=True, stores_source_json=True)

    def __init__(self, client: KvdbClient) -> None:
        self.client = client
        self._typer: RecordTyper | None = None  # types stored versions, for dedup
        self._indexes: dict[tuple[str, str | None], pa.Table] = {}

    def _entries(self, stream: StreamSpec, table: str) -> Iterator[Entry]:
        return self._own(table_prefix(stream.schema_name, table))

    def _own(self, prefix: str) -> Iterator[Entry]:
        """The entries of the table at ``prefix``."""
        return own_entries(self.client.entries(prefix), prefix)

    # -- the connection check ------------------------------------------------------------------------

    def check(self) -> None:
        probe = f"{SYSTEM_PREFIX}check/{uuid.uuid4()}"
        value = '{"value":"_airbyte_connection_check"}'
        try:
            self.client.apply([set_operation(probe, value)])
            read = self.client.get(probe)
            self.client.apply([delete_operation(probe)])
        except TransientError as exc:
            raise ConfigError(
                f"cannot use the KvDB server at {self.client.base_url!r} (config key 'base_url'): {exc.message}",
                internal_message=exc.internal_message,
            ) from exc
        if read is None or orjson.loads(read) != orjson.loads(value):
            raise ConfigError(
                f"the server at {self.client.base_url!r} (config key 'base_url') did not return the probe key it "
                f"acknowledged in bucket {self.client.bucket!r} (config key 'bucket_id'); is it a KvDB server?"
            )

    # -- the store operations ------------------------------------------------------------------------

    def open(self, streams: Sequence[StreamSpec]) -> None:
        self._finish_interrupted_swaps(streams)
        super().open(streams)

    def columns(self, stream: StreamSpec, table: str) -> ColumnTypes | None:
        """A prefix holds no column types; it "exists" while it holds a key."""
        return {} if next(self._entries(stream, table), None) is not None else None

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        """Nothing to do: each value carries its own fields."""

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        prefix = table_prefix(stream.schema_name, table)
        keys = [prefix + raw_id for raw_id in rows.column(RAW_ID).to_pylist()]
        self.client.apply(set_operations(keys, record_values(rows)))

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        self._indexes.clear()
        self._copy(table_prefix(stream.schema_name, source), table_prefix(stream.schema_name, target))

    def _copy(self, source: str, target: str) -> set[str]:
        """Set every key of ``source`` under ``target``, values as they are; the keys set."""
        copied = {target + e.key[len(source) :]: e.value for e in self._own(source)}
        self.client.apply([set_operation(k, v) for k, v in copied.items()])
        return set(copied)

    def drop(self, stream: StreamSpec, table: str) -> None:
        self._indexes.clear()
        self.client.apply([delete_operation(e.key) for e in self._entries(stream, table)])

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        return all(e.generation == generation for e in self._entries(stream, table))

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        self._indexes.clear()
        old = [e.key for e in self._entries(stream, table) if e.generation is None or e.generation < minimum]
        self.client.apply([delete_operation(k) for k in old])

    # -- swap ----------------------------------------------------------------------------------------

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        self._indexes.clear()
        prefixes = [
            [table_prefix(stream.schema_name, p.staging), table_prefix(stream.schema_name, p.final)] for p in pairs
        ]
        marker = SWAP_MARKERS + prefixes[0][1]
        emptied = [final for staging, final in prefixes if next(self._own(staging), None) is None]
        # From here on the swap is decided: a sync that finds the marker finishes it.
        self.client.apply([set_operation(marker, orjson.dumps({"pairs": prefixes, "emptied": emptied}).decode())])
        self._complete_swap(marker, prefixes, emptied)

    def _complete_swap(self, marker: str, prefixes: Sequence[Sequence[str]], emptied: Sequence[str]) -> None:
        for staging, final in prefixes:
            if final in emptied:  # deleting every key again after an interruption is the same swap
                self.client.apply([delete_operation(e.key) for e in self._own(final)])
                continue
            if next(self._own(staging), None) is None:
                continue  # this pair was swapped before an interruption: its staging keys are gone
            kept = self._copy(staging, final)
            self.client.apply([delete_operation(e.key) for e in self._own(final) if e.key not in kept])
            self.client.apply([delete_operation(e.key) for e in self._own(staging)])
        self.client.apply([delete_operation(marker)])

    def _finish_interrupted_swaps(self, streams: Sequence[StreamSpec]) -> None:
        finals = {table_prefix(s.schema_name, s.table_name) for s in streams}
        for entry in self.client.entries(SWAP_MARKERS):
            if entry.key[len(SWAP_MARKERS) :] in finals:
                swap = orjson.loads(entry.value)
                self._complete_swap(entry.key, swap["pairs"], swap.get("emptied", []))

    # -- merge ---------------------------------------------------------------------------------------

    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        schema = stream.schema_name
        live_prefix = table_prefix(schema, target.live)
        tombstone_prefix = table_prefix(schema, target.tombstones) if target.tombstones else None
        index = self._index(stream, live_prefix, tombstone_prefix)
        if isinstance(source, str):  # a staged table (rows one per key already), values as they are stored
            incoming, values = self._stored_versions(stream, list(self._entries(stream, source)))
        else:
            incoming, values = source, record_values(source)
        incoming_ids = incoming.column(RAW_ID).combine_chunks()
        affected = index.filter(pc.is_in(index.column(_PK), value_set=key_parts(stream, incoming).combine_chunks()))
        names = stream.arrow_schema.names
        live, deleted = merge_arrow(stream, [affected.select(names)], incoming.select(names))
        # Only keys whose winner arrived now change; a stored version that still wins stays as it is.
        won_live = live.filter(pc.is_in(live.column(RAW_ID), value_set=incoming_ids))
        won_deleted = deleted.filter(pc.is_in(deleted.column(RAW_ID), value_set=incoming_ids))
        written, texts, new_rows = [], [], []  # the keys set now and their values, in Arrow
        for rows, prefix in ((won_live, live_prefix), (won_deleted, tombstone_prefix)):
            if prefix is None or rows.num_rows == 0:
                continue  # a deletion without a tombstone table just removes the key
            keys = pc.binary_join_element_wise(prefix, key_parts(stream, rows), "")
            written.append(keys)
            texts += values.take(pc.index_in(rows.column(RAW_ID), value_set=incoming_ids)).chunks
            new_rows.append(_indexed(stream, rows, keys))
        written_keys = pa.chunked_array(written, pa.string()).combine_chunks()
        changed = pa.concat_arrays([key_parts(stream, t).combine_chunks() for t in (won_live, won_deleted)]).unique()
        replaced = pc.is_in(affected.column(_PK), value_set=changed)
        # Versions a new winner replaces go, unless their key is written again (disjoint sets and deletes
        # make the order of concurrent requests irrelevant).
        stale = affected.filter(replaced).column(_KEY)
        stale = stale.filter(pc.invert(pc.is_in(stale, value_set=written_keys)))
        sets = set_operations(written_keys.to_pylist(), pa.chunked_array(texts, values.type))
        deletes = pa.array([delete_operation(k) for k in stale.to_pylist()], pa.binary()).cast(values.type)
        self.client.apply(pa.chunked_array([deletes, *sets.chunks]))
        kept = index.filter(pc.invert(pc.is_in(index.column(_PK), value_set=changed)))
        self._indexes[(live_prefix, tombstone_prefix)] = pa.concat_tables([kept, *new_rows])

    def _index(self, stream: StreamSpec, live_prefix: str, tombstone_prefix: str | None) -> pa.Table:
        """The stored versions of the target's keys (read once, then kept up to date by :meth:`merge`)."""
        cached = self._indexes.get((live_prefix, tombstone_prefix))
        if cached is not None:
            return cached
        parts = []
        for prefix in (live_prefix, tombstone_prefix):
            if prefix is None:
                continue
            for entries in _groups(self._own(prefix), INDEX_GROUP):
                rows, _ = self._stored_versions(stream, entries)
                keys = pa.chunked_array([pa.array([e.key for e in entries], pa.string())])
                parts.append(_indexed(stream, rows, keys))
        index = pa.concat_tables(parts)
        self._indexes[(live_prefix, tombstone_prefix)] = index
        return index

    def _stored_versions(self, stream: StreamSpec, entries: Sequence[Entry]) -> tuple[pa.Table, pa.ChunkedArray]:
        """Stored values typed like incoming records (the same typer), with their own raw ids; and the values."""
        if self._typer is None:
            self._typer = RecordTyper(threads=1)
        lines = [
            f'{{"type":"RECORD","record":{{"emitted_at":{e.extracted_at or 0},"data":{e.value}}}}}' for e in entries
        ]
        every_version = dataclasses.replace(stream, dedup=False)  # the typer must not reduce stored rows
        typed = self._typer.type_batch(
            every_version,
            pa.chunked_array([pa.array(lines, pa.large_string())]),
            pa.chunked_array([pa.array(range(len(entries)), pa.int64())]),
        )
        typed = typed.take(pc.sort_indices(typed.column(LINE_NUMBER)))
        raw_ids = pa.array([e.raw_id or str(uuid.uuid4()) for e in entries], pa.string())
        typed = typed.set_column(typed.schema.get_field_index(RAW_ID), RAW_ID, raw_ids)
        values = pa.chunked_array([pa.array([e.value for e in entries], pa.string())])
        return typed.select(stream.arrow_schema.names), values

    def close(self) -> None:
        if self._typer is not None:
            self._typer.close()
        self.client.close()


def _groups(entries: Iterator[Entry], size: int) -> Iterator[list[Entry]]:
    """``entries`` in lists of at most ``size``, at least one (empty if there are none)."""
    group = list(itertools.islice(entries, size))
    yield group
    while group := list(itertools.islice(entries, size)):
        yield group


def _indexed(stream: StreamSpec, rows: pa.Table, keys: pa.ChunkedArray | pa.Array) -> pa.Table:
    """``rows`` as index rows: the columns the winner rule reads, the others NULL (memory), plus the key."""
    needed = {*stream.primary_key, EXTRACTED_AT, RAW_ID}
    needed |= {c for c in (stream.cursor, stream.cdc_deleted_column) if c}
    schema = stream.arrow_schema
    columns = [rows.column(f.name) if f.name in needed else pa.nulls(rows.num_rows, f.type) for f in schema]
    table = pa.Table.from_arrays(columns, schema=schema)
    return table.append_column(_KEY, keys).append_column(_PK, key_parts(stream, rows))
