"""Stream schemas: inferred from files (Arrow types → JSON schema), merged across files, and the rules a
record is checked and coerced by.

Merging: the same type stays; ``integer`` and ``number`` give ``number``; ``null`` gives way to the other;
anything else that conflicts gives ``string`` — a type conflict between files never fails discovery. Every
column is nullable. Values are coerced to the schema's type where nothing is lost: a number or a boolean
in a ``string`` column becomes its text (that is what a merge into ``string`` means), a text holding a
number in a numeric column becomes that number (CSV holds only text), an empty text in a non-string column
becomes null. A value that cannot be coerced does not match the schema, and the stream's validation policy
decides.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from airbyte_dest_kit.sources.file_based.config import DEFAULT_FALSE_VALUES, DEFAULT_TRUE_VALUES

SOURCE_FILE_URL = "_ab_source_file_url"
SOURCE_FILE_LAST_MODIFIED = "_ab_source_file_last_modified"
FILE_COLUMNS: dict[str, Any] = {
    SOURCE_FILE_LAST_MODIFIED: {"type": "string", "format": "date-time"},
    SOURCE_FILE_URL: {"type": "string"},
}
SCHEMALESS_PROPERTIES: dict[str, Any] = {"data": {"type": "object"}}


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": ["null", kind], **extra}


def json_schema_of(data_type: pa.DataType) -> dict[str, Any]:
    """The JSON schema of one Arrow column."""
    t = data_type
    if pa.types.is_dictionary(t):
        return json_schema_of(t.value_type)
    if pa.types.is_null(t):
        return {"type": "null"}
    if pa.types.is_boolean(t):
        return nullable("boolean")
    if pa.types.is_integer(t):
        return nullable("integer")
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return nullable("number")
    if pa.types.is_timestamp(t):
        airbyte_type = "timestamp_with_timezone" if t.tz else "timestamp_without_timezone"
        return nullable("string", format="date-time", airbyte_type=airbyte_type)
    if pa.types.is_date(t):
        return nullable("string", format="date")
    if pa.types.is_time(t):
        return nullable("string", format="time", airbyte_type="time_without_timezone")
    if pa.types.is_struct(t) or pa.types.is_map(t):
        return nullable("object")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return nullable("array")
    return nullable("string")  # strings, binary, durations, anything else: as text


def schema_of(arrow_schema: pa.Schema) -> dict[str, Any]:
    return {field.name: json_schema_of(field.type) for field in arrow_schema}


def main_type(schema: Mapping[str, Any] | None) -> str | None:
    """The one non-null JSON type of a property, ``None`` when it allows any (or several)."""
    if not isinstance(schema, Mapping):
        return None
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else [k for k in kind or [] if isinstance(k, str)]
    kinds = [k for k in kinds if k != "null"]
    return kinds[0] if len(kinds) == 1 else None


def merge_property(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    a, b = main_type(left), main_type(right)
    if a is None and left.get("type") == "null":
        return dict(right)
    if b is None and right.get("type") == "null":
        return dict(left)
    if a == b:
        return dict(left) if left == right else nullable(a) if a else dict(left)
    if {a, b} == {"integer", "number"}:
        return nullable("number")
    return nullable("string")


def merge_schemas(schemas: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Properties of several files as one: columns of any file, types merged (see the module docstring)."""
    merged: dict[str, Any] = {}
    for properties in schemas:
        for column, schema in properties.items():
            merged[column] = merge_property(merged[column], schema) if column in merged else dict(schema)
    return {column: ({"type": ["null", "string"]} if s.get("type") == "null" else s) for column, s in merged.items()}


def stream_schema(properties: Mapping[str, Any] | None, schemaless: bool) -> dict[str, Any]:
    data = SCHEMALESS_PROPERTIES if schemaless else dict(properties or {})
    return {"type": "object", "properties": {**data, **FILE_COLUMNS}}


class Mismatch(Exception):
    """A value that does not match its column's type."""


_BOOLEANS = (DEFAULT_TRUE_VALUES, DEFAULT_FALSE_VALUES)


def coerce(value: Any, kind: str | None, booleans: tuple[frozenset[str], frozenset[str]] = _BOOLEANS) -> Any:
    """``value`` in the JSON type ``kind`` (see the module docstring), or :class:`Mismatch`."""
    if value is None or kind is None:
        return value
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list, tuple)):
            raise Mismatch
        if isinstance(value, (dt.date, dt.time)):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return str(value)  # numbers, decimals, UUIDs: their text
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if kind == "boolean":
            if text in booleans[0]:
                return True
            if text in booleans[1]:
                return False
            raise Mismatch
        if kind in ("integer", "number"):
            try:
                return int(text)
            except ValueError:
                pass
            try:
                number = float(text)
            except ValueError:
                raise Mismatch from None
            return _number(number, kind)
        raise Mismatch
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise Mismatch
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise Mismatch
        return _number(value, kind)
    if kind == "object":
        if isinstance(value, dict):
            return value
        raise Mismatch
    if kind == "array":
        if isinstance(value, (list, tuple)):
            return list(value)
        raise Mismatch
    return value


def _number(value: float | int | decimal.Decimal, kind: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN and infinities have no JSON form
    if kind == "integer" and not isinstance(value, int):
        if value != int(value):
            raise Mismatch
        return int(value)
    return float(value) if isinstance(value, decimal.Decimal) else value


def describe(value: Any) -> str:
    """A value as a problem report quotes it: short, its type said."""
    text = repr(value)
    return (text if len(text) <= 40 else text[:40] + "…") + f" ({type(value).__name__})"
