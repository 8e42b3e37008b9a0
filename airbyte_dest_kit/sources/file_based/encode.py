"""RECORD lines built from Arrow in bulk: each column becomes an array of JSON texts (numbers cast to text,
strings escaped and quoted, nulls ``null``) by Arrow's compute kernels, and one element-wise join of the
record prefix, the keys and those texts makes every line of a batch at once; the lines leave as one block,
the joined array's own buffer. No Python object is made per value, except for nested values (structs,
lists, maps), which go through orjson one cell at a time.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.sources.output import RECORD_SUFFIX
from airbyte_dest_kit.sources.stream import RecordLines

_CONTROL = "[\\x00-\\x1f]"  # characters JSON requires escaped, besides the quote and the backslash


def _to_json(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return base64.b64encode(value).decode()
    if isinstance(value, (dt.timedelta,)):
        return value.total_seconds()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} has no JSON form")


def dumps(value: Any) -> bytes:
    """orjson with the values files hold that JSON lacks (decimals, bytes, durations)."""
    return orjson.dumps(value, default=_to_json, option=orjson.OPT_NON_STR_KEYS)


def _per_cell(array: pa.Array) -> pa.Array:
    return pa.array([dumps(value).decode() for value in array.to_pylist()], pa.string())


def quoted(strings: pa.Array) -> pa.Array:
    """Each string as a JSON string literal (nulls stay null)."""
    if pa.types.is_large_string(strings.type):
        strings = strings.cast(pa.string())
    escaped = pc.replace_substring(pc.replace_substring(strings, "\\", "\\\\"), '"', '\\"')
    if pc.any(pc.match_substring_regex(escaped, _CONTROL)).as_py():
        escaped = pc.replace_substring(escaped, "\n", "\\n")
        escaped = pc.replace_substring(pc.replace_substring(escaped, "\r", "\\r"), "\t", "\\t")
        if pc.any(pc.match_substring_regex(escaped, _CONTROL)).as_py():  # rarer control characters
            return pa.array([None if s is None else orjson.dumps(s).decode() for s in strings.to_pylist()])
    return pc.binary_join_element_wise('"', escaped, '"', "")


def json_texts(array: pa.Array) -> pa.Array:
    """The JSON text of every value of ``array``: a string array with ``null`` for nulls."""
    t = array.type
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(t):
        array = array.dictionary_decode()
        t = array.type
    if pa.types.is_null(t):
        return pa.array(["null"] * len(array), pa.string())
    if pa.types.is_integer(t) or pa.types.is_decimal(t):
        texts = pc.cast(array, pa.string())
    elif pa.types.is_floating(t):
        finite = pc.is_finite(array)
        texts = pc.if_else(finite, pc.cast(array, pa.string()), pa.scalar(None, pa.string()))
    elif pa.types.is_boolean(t):
        texts = pc.if_else(array, "true", "false")
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        texts = quoted(array)
    elif pa.types.is_timestamp(t):
        # Arrow's cast writes "2024-01-02 03:04:05.123456" (and a "Z" for UTC): ISO 8601 once the space is a
        # "T"; strftime would cost ten times as much
        if t.tz:
            array = array.cast(pa.timestamp(t.unit, "UTC"))
        texts = quoted(pc.replace_substring(pc.cast(array, pa.string()), " ", "T", max_replacements=1))
    elif pa.types.is_date(t) or pa.types.is_time(t):
        texts = quoted(pc.cast(array, pa.string()))
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
        try:
            texts = quoted(pc.cast(array, pa.string()))
        except pa.ArrowInvalid:  # not UTF-8: base64, one cell at a time
            texts = _per_cell(array)
    else:
        texts = _per_cell(array)
    return pc.fill_null(texts, "null")


def record_lines(
    prefix: bytes,
    columns: Sequence[tuple[str, pa.Array]],
    constant: Mapping[str, Any],
    rows: int,
    wrap: str | None = None,
) -> RecordLines:
    """One RECORD line per row: ``prefix`` + ``{<columns>, <constant fields>}`` + the suffix; with ``wrap``,
    the columns go into an object under that key (schemaless streams' ``data``)."""
    if rows == 0:
        return RecordLines(b"", 0)
    opening = prefix.decode() + "{" + (orjson.dumps(wrap).decode() + ":{" if wrap else "")
    fields = [f"{orjson.dumps(k).decode()}:{orjson.dumps(v).decode()}" for k, v in constant.items()]
    closing = ("}" if wrap else "") + ("," if fields and (wrap or columns) else "") + ",".join(fields) + "}"
    closing += RECORD_SUFFIX.decode()
    if not columns:
        return RecordLines((opening + closing).encode() * rows, rows)
    parts: list[Any] = [opening]
    for position, (name, values) in enumerate(columns):
        parts += [("," if position else "") + orjson.dumps(name).decode() + ":", json_texts(values)]
    parts.append(closing)
    return RecordLines(buffer_of(pc.binary_join_element_wise(*parts, "")), rows)


def buffer_of(strings: pa.Array) -> memoryview:
    """The concatenated values of a string array: its data buffer between its first and last offsets."""
    offsets = pa.Array.from_buffers(pa.int32(), len(strings) + 1, [None, strings.buffers()[1]], offset=strings.offset)
    start, end = offsets[0].as_py(), offsets[len(strings)].as_py()
    return memoryview(strings.buffers()[2])[start:end]
