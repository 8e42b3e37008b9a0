"""What one configured stream becomes in a target: :class:`StreamSpec`, its columns, and the names of the
``_airbyte_*`` columns and of the tables the kit creates beside the stream's own.

Every batch a writer receives and every table it keeps has :attr:`StreamSpec.all_columns`: the declared
columns (named by the naming rule, :mod:`airbyte_dest_kit.streams.naming`), then the ``_airbyte_*`` ones.
How the names are chosen for a whole catalog is :mod:`airbyte_dest_kit.destination.plan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from airbyte_dest_kit.streams.schema import ColumnType

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
