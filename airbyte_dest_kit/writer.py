"""The one abstraction a new destination implements: :class:`Writer`.

A writer receives typed Arrow batches per stream and makes them durable. Everything else (reading stdin,
typing records, batching, the state ledger, progress, error reporting) is the pipeline's job::

    class ListWriter(Writer):
        capabilities = Capabilities(supports_dedup=False, supports_truncate=False)

        def __init__(self):
            self.rows = []

        def write(self, stream, batch):              # durable when it returns
            self.rows.extend(batch.to_pylist())

Modes are resolved once, here (:func:`resolve_mode`): ``append``, ``overwrite`` (= append + truncate),
``append_dedup``, and the refresh encoding ``minimum_generation_id == generation_id > 0`` (truncate on top
of the requested mode). A mode a writer cannot do is a :class:`ConfigError` before any data is read,
never a silent fallback.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.naming import fit_name, unique_names
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

META_COLUMNS: dict[str, ColumnType] = {
    RAW_ID: ColumnType.STRING,
    EXTRACTED_AT: ColumnType.TIMESTAMP_TZ,
    META: ColumnType.JSON,
    GENERATION_ID: ColumnType.INTEGER,
    ADDITIONAL_PROPERTIES: ColumnType.JSON,
}
STAGING_SUFFIX = "_airbyte_tmp"
TOMBSTONE_SUFFIX = "_airbyte_deletes"


@dataclass(frozen=True)
class Capabilities:
    """What a writer can do and how its database spells names."""

    supports_dedup: bool = True
    supports_truncate: bool = True
    max_identifier_bytes: int | None = None
    case_sensitive_identifiers: bool = False
    strips_nul: bool = False  # the target rejects NUL in text: strip it, with a change entry


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
        return self.columns + tuple(Column(n, n, t) for n, t in META_COLUMNS.items())

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type.arrow_type) for c in self.all_columns])


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


def build_stream_specs(
    streams: Sequence[ConfiguredAirbyteStream], default_schema: str, capabilities: Capabilities
) -> list[StreamSpec]:
    """Resolve names, columns and modes for every configured stream (the layout rules of the README)."""
    limit, case_sensitive = capabilities.max_identifier_bytes, capabilities.case_sensitive_identifiers
    by_schema: dict[str, list[int]] = {}
    for index, configured in enumerate(streams):
        by_schema.setdefault(configured.stream.namespace or default_schema, []).append(index)
    table_names: dict[int, str] = {}
    for indexes in by_schema.values():
        names = unique_names([streams[i].stream.name for i in indexes], max_bytes=limit, case_sensitive=case_sensitive)
        table_names.update(zip(indexes, names, strict=True))

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
        names = unique_names(source_names, max_bytes=limit, case_sensitive=case_sensitive, taken=META_COLUMNS)
        columns = tuple(Column(n, s, column_type(properties[s])) for n, s in zip(names, source_names, strict=True))
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
        table = table_names[index]
        specs.append(
            StreamSpec(
                name=stream.name,
                namespace=stream.namespace,
                schema_name=stream.namespace or default_schema,
                table_name=table,
                staging_table_name=fit_name(table + STAGING_SUFFIX, limit),
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
            )
        )
    return specs


class Writer(abc.ABC):
    """Lands typed batches in a target system. Only :meth:`write` is required.

    Call order: ``check`` (for the ``check`` command) or ``open`` → ``write``* → ``finish`` for each
    stream that completed → ``close`` (always, also after a failure).

    Each batch passed to :meth:`write` has ``stream.arrow_schema`` plus a trailing ``_ab_line`` int64
    column (the input line number: arrival order, not to be stored). For dedup streams the pipeline has
    already reduced the batch to one row per primary key; the writer merges it with what the table holds.
    """

    # A class attribute for most writers; a writer whose abilities depend on its config sets its own.
    capabilities: Capabilities = Capabilities()

    def check(self) -> None:
        """Raise a ConfigError / TransientError saying what to fix when the target is not writable."""

    def open(self, streams: Sequence[StreamSpec]) -> None:
        """Create schemas and tables, evolve them, set up staging for truncating streams."""

    @abc.abstractmethod
    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        """Apply the stream's mode to ``batch``; the rows must be durable when this returns."""

    def finish(self, stream: StreamSpec) -> None:
        """The stream completed: swap in staged data, drop older generations."""

    def close(self) -> None:
        """Release connections. Called after success and after failure."""
