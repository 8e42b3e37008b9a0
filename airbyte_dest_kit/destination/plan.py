"""A configured catalog → one :class:`StreamSpec` per stream: modes resolved, columns typed, names reserved.

The naming rule (:mod:`airbyte_dest_kit.streams.naming`) applies to all names of one schema *together*: the
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

Modes are resolved once (:func:`resolve_mode`): ``append``, ``overwrite`` (= append + truncate),
``append_dedup``, and the refresh encoding ``minimum_generation_id == generation_id > 0`` (truncate on top
of the requested mode). A mode the writer cannot do is a :class:`ConfigError` before any data is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream, DestinationSyncMode
from airbyte_dest_kit.streams.naming import unique_names
from airbyte_dest_kit.streams.schema import column_type
from airbyte_dest_kit.streams.spec import (
    CDC_DELETED_AT,
    MERGED_SUFFIX,
    META_COLUMNS,
    PREVIOUS_SUFFIX,
    SCRATCH_TABLE,
    SOURCE_DATA,
    STAGING_SUFFIX,
    TOMBSTONE_SUFFIX,
    Column,
    StreamSpec,
)


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
    """Resolve names, columns and modes for every configured stream (the rules of the module docstring)."""
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
        if dedup and not capabilities.dedup:
            raise ConfigError(f"stream {stream.name!r}: this destination does not support append_dedup")
        if truncate and not capabilities.truncate:
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
