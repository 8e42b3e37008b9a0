"""Where a sync's rows go: :class:`StreamSpec` per configured stream, and every name the kit creates.

The naming rule (:mod:`airbyte_dest_kit.naming`) applies to all names of one schema *together*: the
streams' own tables first (a stream keeps its own name whenever the target allows it), then every name
the kit adds for itself, in stream order: the staging table of an overwrite, the tombstones of a dedup
stream with CDC deletes and their staging twin, the name an old table is parked under during a swap, the
tables a store without a merge writes a dedup stream's merge result into (and their tombstone twin), and
the scratch table a batch is loaded into. Each of those is ``<table>`` + a suffix when that name is free,
else the next free ``<table><suffix>_1``, ``_2``, …: so a stream that happens to be called
``users_airbyte_tmp`` keeps its table, and ``users`` stages somewhere else. Names are reserved for every
stream whatever its mode, so that a stream changing mode between syncs finds the tables it left behind.
A store with its own namespaces (folders, key prefixes) uses the same names, so every writer lays
streams out alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.naming import unique_names
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream, DestinationSyncMode
from airbyte_dest_kit.schema import ColumnType, column_type

RAW_ID = "_airbyte_raw_id"
EXTRACTED_AT = "_airbyte_extracted_at"
META = "_airbyte_meta"
GENERATION_ID = "_airbyte_generation_id"
# Fields a record carries that its schema does not declare, as one JSON object (NULL when there are none):
# kept, never silently dropped, without guessing a type for them.
ADDITIONAL_PROPERTIES = "_airbyte_additional_properties"
CDC_DELETED_AT = "_ab_cdc_deleted_at"
# Every batch a writer receives ends in this int64 column: the input line of each row (its arrival order,
# the last tie-breaker of the winner rule). Writers never store it.
LINE_NUMBER = "_ab_line"

META_COLUMNS: dict[str, ColumnType] = {
    RAW_ID: ColumnType.STRING,
    EXTRACTED_AT: ColumnType.TIMESTAMP_TZ,
    META: ColumnType.JSON,
    GENERATION_ID: ColumnType.INTEGER,
    ADDITIONAL_PROPERTIES: ColumnType.JSON,
}
# The record's ``data`` as JSON text, exactly as the source sent it (up to insignificant whitespace and
# escapes): a column only for writers that ask for it (``Capabilities.stores_source_json``).
SOURCE_DATA = "_airbyte_data"
STAGING_SUFFIX = "_airbyte_tmp"
TOMBSTONE_SUFFIX = "_airbyte_deletes"
PREVIOUS_SUFFIX = "_airbyte_old"
MERGED_SUFFIX = "_airbyte_merged"
SCRATCH_TABLE = "_airbyte_batch"


@dataclass(frozen=True)
class Capabilities:
    """What a writer can do and how its target spells names.

    A writer built on a store (:class:`airbyte_dest_kit.modes.StoreWriter`) gets ``supports_dedup`` and
    ``supports_truncate`` from the operations its store implements; a plain :class:`Writer` that applies
    modes itself declares them.
    """

    supports_dedup: bool = True
    supports_truncate: bool = True
    max_identifier_bytes: int | None = None
    case_sensitive_identifiers: bool = False
    strips_nul: bool = False  # the target rejects NUL in text: strip it, with a change entry
    # The writer stores each record's data as the source wrote it (the ``_airbyte_data`` column), not the
    # typed columns: those still come, for keys and ordering, and ``_airbyte_meta`` then lists only the
    # source's own changes, as no value is changed on the way. Other writers never pay for the column.
    stores_source_json: bool = False
    # The target stores rows in blocks of this many, and a commit's last block, when at most half full, costs
    # it a second write (DuckDB's row groups): a full buffer is then written without that block, whose lines
    # wait for the next batch (FlushPolicy.due). Batches written for a waiting state, a stream's end or age
    # go whole.
    rows_per_block: int | None = None


@dataclass(frozen=True)
class Column:
    name: str  # in the table
    source_name: str  # in the record's data
    type: ColumnType


@dataclass(frozen=True)
class StreamSpec:
    """Everything a writer needs to know about one configured stream."""

    name: str
    namespace: str | None
    schema_name: str
    table_name: str
    staging_table_name: str
    columns: tuple[Column, ...]
    dedup: bool
    truncate: bool
    primary_key: tuple[str, ...] = ()
    cursor: str | None = None
    cdc_deleted_column: str | None = None
    generation_id: int = 0
    minimum_generation_id: int = 0
    sync_id: int = 0
    json_schema: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Kit-created names besides staging (see the module docstring); derived from the table name when a
    # spec is built by hand.
    tombstone_table_name: str = ""
    staging_tombstone_table_name: str = ""
    previous_table_name: str = ""
    previous_tombstone_table_name: str = ""
    merged_table_name: str = ""
    merged_tombstone_table_name: str = ""
    scratch_table_name: str = SCRATCH_TABLE
    source_json: bool = False  # batches carry ``_airbyte_data`` (see ``Capabilities.stores_source_json``)

    def __post_init__(self) -> None:
        def default(attribute: str, name: str) -> None:
            if not getattr(self, attribute):
                object.__setattr__(self, attribute, name)

        default("tombstone_table_name", self.table_name + TOMBSTONE_SUFFIX)
        default("staging_tombstone_table_name", self.staging_table_name + TOMBSTONE_SUFFIX)
        default("previous_table_name", self.table_name + PREVIOUS_SUFFIX)
        default("previous_tombstone_table_name", self.tombstone_table_name + PREVIOUS_SUFFIX)
        default("merged_table_name", self.table_name + MERGED_SUFFIX)
        default("merged_tombstone_table_name", self.tombstone_table_name + MERGED_SUFFIX)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.namespace or None, self.name)  # null and "" namespaces are one stream

    @property
    def label(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    @property
    def keeps_tombstones(self) -> bool:
        """A dedup stream with CDC deletes remembers deleted keys, so a stale update arriving later loses."""
        return self.dedup and self.cdc_deleted_column is not None

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Declared columns, then the ``_airbyte_*`` columns: the layout of every batch and table."""
        source = (Column(SOURCE_DATA, SOURCE_DATA, ColumnType.JSON),) if self.source_json else ()
        return self.columns + tuple(Column(n, n, t) for n, t in META_COLUMNS.items()) + source

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type.arrow_type) for c in self.all_columns])

    @property
    def batch_schema(self) -> pa.Schema:
        """What :meth:`Writer.write` receives: :attr:`arrow_schema` plus the ``_ab_line`` column."""
        return self.arrow_schema.append(pa.field(LINE_NUMBER, pa.int64()))


def resolve_mode(configured: ConfiguredAirbyteStream) -> tuple[bool, bool]:
    """``(dedup, truncate)`` for a configured stream; raises on modes this kit does not write."""
    mode = configured.destination_sync_mode
    generation = configured.generation_id or 0
    minimum = configured.minimum_generation_id or 0
    refresh_truncate = minimum == generation and generation > 0
    if mode == DestinationSyncMode.append:
        return False, refresh_truncate
    if mode == DestinationSyncMode.overwrite:
        return False, True
    if mode == DestinationSyncMode.append_dedup:
        return True, refresh_truncate
    raise ConfigError(f"stream {configured.stream.name!r}: destination_sync_mode {mode.value!r} is not supported")


def _top_level_field(path: Sequence[str], stream: str, what: str, declared: Mapping[str, Column]) -> str:
    if len(path) != 1:
        raise ConfigError(f"stream {stream!r}: {what} {list(path)} is nested; only top-level fields are supported")
    if path[0] not in declared:
        raise ConfigError(
            f"stream {stream!r}: {what} field {path[0]!r} is not declared in the stream's json_schema properties"
        )
    return declared[path[0]].name


@dataclass(frozen=True)
class _Names:
    table: str
    staging: str
    tombstones: str
    staging_tombstones: str
    previous: str
    previous_tombstones: str
    merged: str
    merged_tombstones: str
    scratch: str


def _schema_names(streams: Sequence[str], capabilities: Capabilities) -> list[_Names]:
    """Every name the kit uses in one schema, reserved together (the module docstring's rule)."""
    limit, case_sensitive = capabilities.max_identifier_bytes, capabilities.case_sensitive_identifiers
    tables = unique_names(streams, max_bytes=limit, case_sensitive=case_sensitive)
    taken = list(tables)

    def reserve(name: str) -> str:
        (fitted,) = unique_names([name], max_bytes=limit, case_sensitive=case_sensitive, taken=taken)
        taken.append(fitted)
        return fitted

    scratch = reserve(SCRATCH_TABLE)
    result = []
    for table in tables:
        staging = reserve(table + STAGING_SUFFIX)
        tombstones = reserve(table + TOMBSTONE_SUFFIX)
        result.append(
            _Names(
                table=table,
                staging=staging,
                tombstones=tombstones,
                staging_tombstones=reserve(staging + TOMBSTONE_SUFFIX),
                previous=reserve(table + PREVIOUS_SUFFIX),
                previous_tombstones=reserve(tombstones + PREVIOUS_SUFFIX),
                merged=reserve(table + MERGED_SUFFIX),
                merged_tombstones=reserve(tombstones + MERGED_SUFFIX),
                scratch=scratch,
            )
        )
    return result


def build_stream_specs(
    streams: Sequence[ConfiguredAirbyteStream], default_schema: str, capabilities: Capabilities
) -> list[StreamSpec]:
    """Resolve names, columns and modes for every configured stream (the layout rules of the README)."""
    limit, case_sensitive = capabilities.max_identifier_bytes, capabilities.case_sensitive_identifiers
    by_schema: dict[str, list[int]] = {}
    for index, configured in enumerate(streams):
        by_schema.setdefault(configured.stream.namespace or default_schema, []).append(index)
    names: dict[int, _Names] = {}
    for indexes in by_schema.values():
        schema_names = _schema_names([streams[i].stream.name for i in indexes], capabilities)
        names.update(zip(indexes, schema_names, strict=True))

    specs = []
    for index, configured in enumerate(streams):
        stream = configured.stream
        dedup, truncate = resolve_mode(configured)
        if dedup and not capabilities.supports_dedup:
            raise ConfigError(f"stream {stream.name!r}: this destination does not support append_dedup")
        if truncate and not capabilities.supports_truncate:
            raise ConfigError(f"stream {stream.name!r}: this destination does not support overwrite/truncate")
        properties = stream.json_schema.get("properties") or {}
        if not isinstance(properties, Mapping):
            raise ConfigError(f"stream {stream.name!r}: json_schema 'properties' must be an object")
        source_names = list(properties)
        reserved = [*META_COLUMNS, SOURCE_DATA] if capabilities.stores_source_json else list(META_COLUMNS)
        column_names = unique_names(source_names, max_bytes=limit, case_sensitive=case_sensitive, taken=reserved)
        columns = tuple(
            Column(n, s, column_type(properties[s])) for n, s in zip(column_names, source_names, strict=True)
        )
        declared = {c.source_name: c for c in columns}
        primary_key: tuple[str, ...] = ()
        cursor = None
        if dedup:
            pk_paths = configured.primary_key or stream.source_defined_primary_key or []
            if not pk_paths:
                raise ConfigError(f"stream {stream.name!r}: append_dedup needs a primary_key in the configured catalog")
            primary_key = tuple(_top_level_field(p, stream.name, "primary key", declared) for p in pk_paths)
            cursor_path = configured.cursor_field or stream.default_cursor_field or []
            if cursor_path:
                cursor = _top_level_field(cursor_path, stream.name, "cursor", declared)
        tables = names[index]
        specs.append(
            StreamSpec(
                name=stream.name,
                namespace=stream.namespace,
                schema_name=stream.namespace or default_schema,
                table_name=tables.table,
                staging_table_name=tables.staging,
                columns=columns,
                dedup=dedup,
                truncate=truncate,
                primary_key=primary_key,
                cursor=cursor,
                cdc_deleted_column=declared[CDC_DELETED_AT].name if CDC_DELETED_AT in declared else None,
                generation_id=configured.generation_id or 0,
                minimum_generation_id=configured.minimum_generation_id or 0,
                sync_id=configured.sync_id or 0,
                json_schema=stream.json_schema,
                tombstone_table_name=tables.tombstones,
                staging_tombstone_table_name=tables.staging_tombstones,
                previous_table_name=tables.previous,
                previous_tombstone_table_name=tables.previous_tombstones,
                merged_table_name=tables.merged,
                merged_tombstone_table_name=tables.merged_tombstones,
                scratch_table_name=tables.scratch,
                source_json=capabilities.stores_source_json,
            )
        )
    return specs
