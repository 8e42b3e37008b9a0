"""How a stream's columns become an Iceberg schema and a partition spec, and back.

Types are every writer's (:class:`~airbyte_dest_kit.streams.schema.ColumnType`): integers ``long``, numbers
``double``, timestamps with zone ``timestamptz``, objects and arrays JSON text in a ``string``. The kit's type
of a column is kept in its doc (``airbyte:<type>``), as several kit types share Iceberg's ``string``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pyarrow as pa
from pyiceberg.expressions import BooleanExpression
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform, IdentityTransform, Transform
from pyiceberg.types import (
    BooleanType,
    DateType,
    DoubleType,
    IcebergType,
    LongType,
    NestedField,
    StringType,
    TimestampType,
    TimestamptzType,
    TimeType,
)

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import StreamSpec

_ICEBERG_TYPES: dict[ColumnType, IcebergType] = {
    ColumnType.STRING: StringType(),
    ColumnType.INTEGER: LongType(),
    ColumnType.NUMBER: DoubleType(),
    ColumnType.BOOLEAN: BooleanType(),
    ColumnType.DATE: DateType(),
    ColumnType.TIMESTAMP_TZ: TimestamptzType(),
    ColumnType.TIMESTAMP: TimestampType(),
    ColumnType.TIME_TZ: StringType(),
    ColumnType.TIME: TimeType(),
    ColumnType.JSON: StringType(),
}
_DOC_PREFIX = "airbyte:"


def iceberg_type(kind: ColumnType) -> IcebergType:
    return _ICEBERG_TYPES[kind]


def doc(kind: ColumnType) -> str:
    return _DOC_PREFIX + kind.value


def column_type(field: NestedField) -> ColumnType | None:
    """The kit's type of a column, None for a column another tool added in a type the kit does not write."""
    if field.doc and field.doc.startswith(_DOC_PREFIX):
        return ColumnType(field.doc.removeprefix(_DOC_PREFIX))
    matches = [kind for kind, iceberg in _ICEBERG_TYPES.items() if iceberg == field.field_type]
    return matches[0] if matches else None


def schema_for(columns: Sequence[tuple[str, ColumnType]], identifiers: Sequence[str] = ()) -> Schema:
    """Fresh field ids in column order; ``identifiers`` (the primary key) become required identifier fields."""
    fields = [
        NestedField(i, name, iceberg_type(kind), required=name in identifiers, doc=doc(kind))
        for i, (name, kind) in enumerate(columns, start=1)
    ]
    ids = [f.field_id for f in fields if f.name in identifiers]
    return Schema(*fields, identifier_field_ids=ids)


def fit(schema: Schema, rows: pa.Table) -> pa.Table:
    """``rows`` in the table's column order and types, required (identifier) columns non-nullable."""
    fields = []
    for f in schema.fields:
        kind = column_type(f)
        if kind is not None and f.name in rows.column_names:
            fields.append(pa.field(f.name, kind.arrow_type, nullable=not f.required))
    return rows.select([f.name for f in fields]).cast(pa.schema(fields))


def predicate(kind: Any, *args: Any) -> BooleanExpression:
    """One of pyiceberg's predicates, built positionally (mypy reads their pydantic fields as the signature)."""
    return cast(BooleanExpression, kind(*args))


_PARTITIONING = re.compile(r"^\s*(day|identity)\((.+)\)\s*$")


@dataclass(frozen=True)
class Partitioning:
    """``day(column)`` or ``identity(column)`` (config key ``partitioning``)."""

    transform: str
    column: str

    @classmethod
    def parse(cls, text: str | None) -> Partitioning | None:
        if text is None or text.strip() in ("", "none"):
            return None
        match = _PARTITIONING.match(text)
        if match is None:
            raise ConfigError(
                f"config key 'partitioning': {text!r} is not none, day(<column>) or identity(<column>), "
                "for example day(_airbyte_extracted_at)"
            )
        return cls(match.group(1), match.group(2).strip())

    def spec(self, stream: StreamSpec, schema: Schema) -> PartitionSpec:
        field = next((f for f in schema.fields if f.name == self.column), None)
        if field is None:
            return UNPARTITIONED_PARTITION_SPEC  # a stream without the column (the check names it first)
        transform: Transform[Any, Any] = DayTransform() if self.transform == "day" else IdentityTransform()
        name = f"{self.column}_{self.transform}"
        return PartitionSpec(PartitionField(field.field_id, 1000, transform, name))

    def check(self, stream: StreamSpec) -> None:
        kinds = {c.name: c.type for c in stream.all_columns}
        kind = kinds.get(self.column)
        if kind is None:
            raise ConfigError(
                f"stream {stream.label!r}: config key 'partitioning' names column {self.column!r}, which the "
                "stream does not have; name one of its columns, or use none"
            )
        if self.transform == "day" and kind not in (ColumnType.DATE, ColumnType.TIMESTAMP_TZ, ColumnType.TIMESTAMP):
            raise ConfigError(
                f"stream {stream.label!r}: config key 'partitioning': day() needs a date or timestamp column, "
                f"{self.column!r} is {kind.value}; use identity({self.column}) or another column"
            )
