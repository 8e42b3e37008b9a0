"""JSON schema (with ``airbyte_type`` / ``format``) → column types, and the table layout of a stream.

The mapping mirrors Airbyte's converter: ``string`` + ``format`` gives dates, timestamps (with time zone
unless ``airbyte_type`` says ``timestamp_without_timezone``) and times; ``integer`` (or ``number`` with
``airbyte_type: integer``) gives 64-bit integers; ``number`` gives float64; objects, arrays, unions and
schemaless values are kept as JSON text. A nullable single type (``["null", "string"]``) is that type.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa


class ColumnType(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP_TZ = "timestamp_with_timezone"
    TIMESTAMP = "timestamp_without_timezone"
    TIME_TZ = "time_with_timezone"
    TIME = "time_without_timezone"
    JSON = "json"

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self]


_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.STRING: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.NUMBER: pa.float64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP_TZ: pa.timestamp("us", tz="UTC"),
    ColumnType.TIMESTAMP: pa.timestamp("us"),
    # Arrow has no time-with-zone type: the value is kept as validated text ("10:00:00+02:00").
    ColumnType.TIME_TZ: pa.string(),
    ColumnType.TIME: pa.time64("us"),
    ColumnType.JSON: pa.string(),
}

_WELL_KNOWN = {
    "String": ColumnType.STRING,
    "BinaryData": ColumnType.STRING,
    "Boolean": ColumnType.BOOLEAN,
    "Date": ColumnType.DATE,
    "TimestampWithTimezone": ColumnType.TIMESTAMP_TZ,
    "TimestampWithoutTimezone": ColumnType.TIMESTAMP,
    "TimeWithTimezone": ColumnType.TIME_TZ,
    "TimeWithoutTimezone": ColumnType.TIME,
    "Integer": ColumnType.INTEGER,
    "Number": ColumnType.NUMBER,
}


def _string_type(schema: Mapping[str, Any]) -> ColumnType:
    fmt = schema.get("format")
    airbyte_type = schema.get("airbyte_type")
    if fmt == "date":
        return ColumnType.DATE
    if fmt == "date-time":
        return ColumnType.TIMESTAMP if airbyte_type == "timestamp_without_timezone" else ColumnType.TIMESTAMP_TZ
    if fmt == "time":
        return ColumnType.TIME if airbyte_type == "time_without_timezone" else ColumnType.TIME_TZ
    return ColumnType.STRING


def _single_type(name: str, schema: Mapping[str, Any]) -> ColumnType:
    if name == "string":
        return _string_type(schema)
    if name in ("integer", "int"):
        return ColumnType.INTEGER
    if name == "number":
        return ColumnType.INTEGER if schema.get("airbyte_type") == "integer" else ColumnType.NUMBER
    if name == "boolean":
        return ColumnType.BOOLEAN
    return ColumnType.JSON  # object, array, and type names we do not know


def _union(options: list[ColumnType]) -> ColumnType:
    distinct = set(options)
    if len(distinct) == 1:
        return options[0]
    if distinct == {ColumnType.INTEGER, ColumnType.NUMBER}:
        return ColumnType.NUMBER
    return ColumnType.JSON


def column_type(schema: Any) -> ColumnType:
    """The column type for one property's JSON schema."""
    if not isinstance(schema, Mapping):
        return ColumnType.JSON
    ref = schema.get("$ref")
    if isinstance(ref, str) and "WellKnownTypes.json#/definitions/" in ref:
        return _WELL_KNOWN.get(ref.rsplit("/", 1)[-1], ColumnType.JSON)
    for combinator in ("oneOf", "anyOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            typed = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
            return _union([column_type(o) for o in typed]) if typed else ColumnType.JSON
    declared = schema.get("type")
    if isinstance(declared, list):
        names = [t for t in declared if t != "null"]
        return _union([_single_type(t, schema) for t in names]) if names else ColumnType.JSON
    if isinstance(declared, str):
        return _single_type(declared, schema)
    return ColumnType.JSON


def widen(existing: ColumnType, wanted: ColumnType) -> ColumnType:
    """The type a column must have to hold both its existing values and the new ones without loss.

    Integers widen to numbers; a timestamp without zone and a date widen to a timestamp; anything else
    that differs widens to a string (every value has a text form), except that JSON stays JSON when the
    new type is JSON too.
    """
    if existing == wanted:
        return existing
    pair = {existing, wanted}
    if pair == {ColumnType.INTEGER, ColumnType.NUMBER}:
        return ColumnType.NUMBER
    if pair == {ColumnType.DATE, ColumnType.TIMESTAMP}:
        return ColumnType.TIMESTAMP
    if pair == {ColumnType.DATE, ColumnType.TIMESTAMP_TZ}:
        return ColumnType.TIMESTAMP_TZ
    return ColumnType.STRING


def plan_evolution(
    existing: Mapping[str, ColumnType | None], wanted: Sequence[tuple[str, ColumnType]], *, case_sensitive: bool
) -> tuple[list[tuple[str, ColumnType]], list[tuple[str, ColumnType]]]:
    """``(columns to add, columns to retype)`` so a table holds ``wanted`` without dropping anything.

    ``existing`` maps the table's column names to their type (``None`` for a type we do not manage, which
    is left alone). Columns the table has and ``wanted`` lacks are kept as they are.
    """
    fold = (lambda name: name) if case_sensitive else str.casefold
    by_name = {fold(name): (name, kind) for name, kind in existing.items()}
    adds, retypes = [], []
    for name, kind in wanted:
        found = by_name.get(fold(name))
        if found is None:
            adds.append((name, kind))
        elif found[1] is not None and widen(found[1], kind) != found[1]:
            retypes.append((found[0], widen(found[1], kind)))
    return adds, retypes
