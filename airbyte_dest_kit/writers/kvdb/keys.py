"""Where a stream's rows live in a bucket: table prefixes, primary keys as key segments, and the
transaction entries that set and delete keys (see :mod:`airbyte_dest_kit.writers.kvdb` for the layout)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.writers.kvdb.client import Entry

SYSTEM_PREFIX = "%airbyte/"  # the kit's own keys: no encoded name starts with "%"
SWAP_MARKERS = SYSTEM_PREFIX + "swap/"
NULL_KEY_PART = "%00"
_SET, _VALUE = '{"set":', ',"value":'  # a set operation's text around its key and its value


def segment(name: str) -> str:
    """A name inside a key: ``%`` and ``/`` percent-encoded."""
    return name.replace("%", "%25").replace("/", "%2F")


def table_prefix(schema: str, table: str) -> str:
    return f"{segment(schema)}/{segment(table)}/" if schema else f"{segment(table)}/"


def own_entries(entries: Iterator[Entry], prefix: str) -> Iterator[Entry]:
    """The keys of the table at ``prefix``, not those of tables nested below it."""
    return (e for e in entries if "/" not in e.key[len(prefix) :])


def key_parts(stream: StreamSpec, rows: pa.Table) -> pa.ChunkedArray:
    """Each row's primary key as one key segment (see the module docstring)."""
    parts = []
    for name in stream.primary_key:
        text = pc.cast(rows.column(name), pa.string())
        for char, code in (("%", "%25"), ("/", "%2F"), (",", "%2C")):
            text = pc.replace_substring(text, char, code)
        parts.append(pc.fill_null(text, NULL_KEY_PART))
    if len(parts) == 1:
        return pa.chunked_array([parts[0]]) if isinstance(parts[0], pa.Array) else parts[0]
    return pc.binary_join_element_wise(*parts, ",")


def set_operation(key: str, value: str) -> bytes:
    return f"{_SET}{orjson.dumps(key).decode()}{_VALUE}{value}}}".encode()


def set_operations(keys: Sequence[str], values: pa.ChunkedArray) -> pa.ChunkedArray:
    """:func:`set_operation` for each key and value, made in Arrow: a batch's values stay there."""
    text = values.type
    # Decoded at once: each bytes orjson returns holds a 4 KiB block (orjson 3.13), 350 MiB for a batch's keys.
    quoted = pa.array([orjson.dumps(key).decode() for key in keys], text)
    parts = [pa.scalar(_SET, text), quoted, pa.scalar(_VALUE, text), values, pa.scalar("}", text)]
    return pc.binary_join_element_wise(*parts, pa.scalar("", text))


def delete_operation(key: str) -> bytes:
    return b'{"delete":' + orjson.dumps(key) + b"}"
