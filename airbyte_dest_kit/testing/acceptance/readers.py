"""Read-backs: how the suite reads a table the destination wrote, as rows of plain values.

An author supplies a ``read_table(schema, table) -> list[dict]``; the kit's own destinations ship theirs
here (DuckDB, any SQLAlchemy engine, the file destination's formats, a KvDB bucket). Every value is then brought to one
comparable form by :func:`plain`, so one scenario holds for every target.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import sqlalchemy as sa

Rows = list[dict[str, Any]]
ReadTable = Callable[[str, str], Rows]


def plain(value: Any) -> Any:
    """One comparable form for every target: ISO text for times (UTC, no zone), floats for decimals, JSON
    text parsed."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # a TIME column as MySQL drivers give it
        return (dt.datetime.min + value).time().isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def instant(value: str) -> dt.datetime:
    """A timestamp as read back (:func:`plain` text in UTC, or ISO text with its zone as a store of JSON keeps
    the source's) as an aware datetime, to compare instants; text without a zone is UTC."""
    parsed = dt.datetime.fromisoformat(_iso(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)


def wall_clock(value: str) -> dt.datetime:
    """A timestamp without a zone as read back (``2024-05-01 12:00:00.5``, ``…T12:00:00.500000``)."""
    return dt.datetime.fromisoformat(_iso(value))


def clock(value: str) -> dt.time:
    """A time of day as read back, with its offset when it has one (``10:00:00+02:00``, ``00:00:00Z``)."""
    return dt.time.fromisoformat(_iso(value))


def _iso(value: str) -> str:
    """ISO 8601 text in the form every supported Python's ``fromisoformat`` reads: ``Z`` and ``+HH`` as
    ``+HH:MM``, fractions of seconds in six digits."""
    value = re.sub(r"(?:Z|([+-]\d\d))$", lambda m: (m.group(1) or "+00") + ":00", value)
    return re.sub(r"\.(\d{1,6})", lambda m: "." + m.group(1).ljust(6, "0"), value)


def _fetch(cursor: duckdb.DuckDBPyConnection) -> Rows:
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def duckdb_reader(path: Path) -> ReadTable:
    """Tables of the DuckDB file at ``path``."""

    def read(schema: str, table: str) -> Rows:
        with duckdb.connect(str(path), read_only=True) as con:
            return _fetch(con.execute(f'SELECT * FROM "{schema}"."{table}"'))

    return read


def sqlite_reader(path: Path) -> ReadTable:
    """Tables of destination-sql's SQLite file ``path``: schema ``main`` is the file itself, any other schema
    its sibling file ``<stem>.<schema>.db`` (SQLite has no schemas)."""

    def read(schema: str, table: str) -> Rows:
        file = path if schema == "main" else path.with_name(f"{path.stem}.{schema}.db")
        quoted = '"' + table.replace('"', '""') + '"'
        with contextlib.closing(sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)) as con:
            cursor = con.execute(f"SELECT * FROM {quoted}")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return read


def sql_reader(engine: sa.Engine) -> ReadTable:
    """Tables of a SQLAlchemy engine (PostgreSQL, MariaDB / MySQL, SQLite), quoted as its dialect quotes."""
    quote = engine.dialect.identifier_preparer.quote

    def read(schema: str, table: str) -> Rows:
        with engine.connect() as conn:
            result = conn.exec_driver_sql(f"SELECT * FROM {quote(schema)}.{quote(table)}")
            return [dict(row._mapping) for row in result]

    return read


# How each format of the file destination is read back: nested values as JSON text, as the databases give;
# objects of any width as columns (not a MAP past 200 keys), lines of any length (a 10 MB value).
_FILE_SOURCES = {
    "parquet": "read_parquet('{glob}.parquet', union_by_name = true, hive_partitioning = false)",
    "jsonl": "read_json('{glob}.jsonl.gz', format = 'newline_delimited', maximum_depth = 1, union_by_name = true, "
    "map_inference_threshold = -1, maximum_object_size = 1073741824)",
    "csv": "read_csv('{glob}.csv', header = true, allow_quoted_nulls = false, union_by_name = true, "
    "max_line_size = 1073741824)",
}
FILE_FORMATS = tuple(_FILE_SOURCES)


def files_reader(root: Path, file_format: str) -> ReadTable:
    """Tables of the file destination under ``root`` (``root/schema/table/**/part-*``) in ``file_format``
    (``parquet``, gzipped ``jsonl`` or ``csv``)."""

    def read(schema: str, table: str) -> Rows:
        folder = root / schema / table
        if not any(folder.rglob("part-*")):
            return []
        with duckdb.connect() as con:
            con.execute("SET TimeZone = 'UTC'")
            rows = _fetch(con.execute(f"SELECT * FROM {_FILE_SOURCES[file_format].format(glob=f'{folder}/**/*')}"))
        if file_format == "jsonl":  # every value was read as its JSON text
            rows = [{k: None if v is None else json.loads(v) for k, v in row.items()} for row in rows]
        return rows

    return read


def iceberg_reader(catalog_properties: dict[str, str], name: str = "airbyte") -> ReadTable:
    """Tables of destination-iceberg through pyiceberg's scan of their current snapshot; ``catalog_properties``
    as pyiceberg's ``load_catalog`` takes them (the connector's :meth:`CatalogConfig.properties`)."""
    from pyiceberg.catalog import load_catalog  # needs the iceberg extra

    def read(schema: str, table: str) -> Rows:
        catalog = load_catalog(name, **catalog_properties)
        return list(catalog.load_table((schema, table)).scan().to_arrow().to_pylist())

    return read


def kvdb_reader(base_url: str, bucket: str, secret_key: str | None = None) -> ReadTable:
    """Tables of a KvDB bucket: a table's entries (its key prefix, see ``airbyte_dest_kit/writers/kvdb.py``)
    as rows, one per key, its JSON value's fields as columns. ``schema`` is ``""`` for streams without a
    namespace."""
    from airbyte_dest_kit.writers.kvdb import KvdbClient, own_entries, table_prefix  # needs the http extra

    def read(schema: str, table: str) -> Rows:
        client = KvdbClient(base_url, bucket, secret_key)
        try:
            prefix = table_prefix(schema, table)
            return [json.loads(entry.value) for entry in own_entries(client.entries(prefix), prefix)]
        finally:
            client.close()

    return read
