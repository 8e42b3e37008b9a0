"""Bulk loaders: put one typed Arrow batch into one table, inside the caller's transaction.

Measured on this kit's benchmark (``bench/bench_sql.py``), the fast paths never touch a row in Python:
Arrow's C++ CSV writer renders the batch and the database parses it (PostgreSQL ``COPY … FROM STDIN``,
MySQL ``LOAD DATA LOCAL INFILE``). SQLite is in-process, so ``executemany`` of plain tuples is its bulk
path. Every other dialect gets SQLAlchemy ``insert()`` executemany.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

CSV_CHUNK_ROWS = 50_000
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
# MySQL error codes meaning "LOAD DATA LOCAL is switched off" (client or server side).
_LOCAL_INFILE_DISABLED = {1148, 2068, 3948, 4166}


@dataclass(frozen=True)
class LoadTarget:
    qualified: str  # quoted, schema-qualified table name
    columns: Sequence[str]  # quoted column names, in the batch's column order
    table: sa.Table  # the same table for SQLAlchemy Core


BulkLoader = Callable[[sa.Connection, LoadTarget, pa.Table], None]


def execute_sql(conn: sa.Connection, statement: str) -> sa.CursorResult[Any]:
    """Run SQL that has no parameters, so a ``%`` or ``:`` in a quoted name is never read as a placeholder."""
    return conn.exec_driver_sql(statement, execution_options={"no_parameters": True})


def _with_placeholders(prefix: str, paramstyle: str, count: int) -> str:
    """``prefix VALUES (?, …)``; with ``%s`` placeholders a ``%`` in a quoted name must be doubled."""
    placeholder = _PLACEHOLDERS.get(paramstyle, "?")
    if placeholder == "%s":
        prefix = prefix.replace("%", "%%")
    return f"{prefix} VALUES ({', '.join([placeholder] * count)})"


def _csv_chunks(batch: pa.Table, *, null_string: str = "") -> Any:
    """CSV bytes, a chunk at a time so memory stays at a fraction of the batch. Strings are always
    quoted, so an empty string (``""``) and NULL (unquoted ``null_string``) stay distinct."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed", null_string=null_string)
    for chunk in batch.to_batches(max_chunksize=CSV_CHUNK_ROWS):
        sink = io.BytesIO()
        pacsv.write_csv(chunk, sink, options)
        yield sink.getbuffer()


def copy_csv(conn: sa.Connection, target: LoadTarget, batch: pa.Table) -> None:
    """PostgreSQL: ``COPY … FROM STDIN`` in CSV format through psycopg 3.

    CSV rendered by Arrow beat psycopg's binary ``write_row`` by a wide margin: binary COPY needs a
    Python call per row, CSV needs none (the server-side parse is cheap by comparison).
    """
    driver = conn.connection.driver_connection
    statement = f"COPY {target.qualified} ({', '.join(target.columns)}) FROM STDIN (FORMAT csv)"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for chunk in _csv_chunks(batch):
            copy.write(chunk)


def _mysql_ready(batch: pa.Table) -> pa.Table:
    """Values MySQL parses from text: UTC wall-clock DATETIMEs, 0/1 booleans."""
    columns = []
    for column in batch.columns:
        kind = column.type
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            column = column.cast(pa.timestamp(kind.unit))
        elif pa.types.is_boolean(kind):
            column = column.cast(pa.int8())
        columns.append(column)
    return pa.table(columns, names=batch.column_names)


def load_mysql(conn: sa.Connection, target: LoadTarget, batch: pa.Table) -> None:
    """MySQL/MariaDB: ``LOAD DATA LOCAL INFILE`` of Arrow-written CSV; multi-row INSERTs when the server
    or client has LOCAL INFILE switched off."""
    ready = _mysql_ready(batch)
    try:
        _load_data_local(conn, target, ready)
    except sa.exc.OperationalError as exc:
        if not (exc.orig and exc.orig.args and exc.orig.args[0] in _LOCAL_INFILE_DISABLED):
            raise
        multirow_insert(conn, target, ready)


def _load_data_local(conn: sa.Connection, target: LoadTarget, batch: pa.Table) -> None:
    # ESCAPED BY '' because Arrow doubles quotes and never backslash-escapes; an unquoted NULL is SQL NULL.
    with tempfile.NamedTemporaryFile(prefix="airbyte_load_", suffix=".csv", delete=False) as handle:
        path = handle.name
        for chunk in _csv_chunks(batch, null_string="NULL"):
            handle.write(chunk)
    try:
        literal_path = path.replace("\\", "\\\\").replace("'", "\\'")
        execute_sql(
            conn,
            f"LOAD DATA LOCAL INFILE '{literal_path}' INTO TABLE {target.qualified} CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\\n' "
            f"({', '.join(target.columns)})",
        )
    finally:
        os.unlink(path)
    # LOAD DATA LOCAL turns bad values into warnings (the server cannot stop the client mid-file); a value
    # the server altered must fail the batch rather than land silently changed.
    warnings = execute_sql(conn, "SHOW WARNINGS LIMIT 3").fetchall()
    if warnings:
        raise sa.exc.DataError(
            f"LOAD DATA into {target.qualified} changed values: {warnings}", None, Exception(str(warnings))
        )


def multirow_insert(conn: sa.Connection, target: LoadTarget, batch: pa.Table) -> None:
    """MySQL without LOCAL INFILE: PyMySQL's executemany folds rows into multi-row INSERTs; each is sized
    just under the server's ``max_allowed_packet``."""
    (packet,) = execute_sql(conn, "SELECT @@max_allowed_packet").one()
    cursor = conn.connection.cursor()
    try:
        cursor.max_stmt_length = max(int(packet) - 64 * 1024, 1024 * 1024)  # type: ignore[attr-defined]
        prefix = f"INSERT INTO {target.qualified} ({', '.join(target.columns)})"
        cursor.executemany(_with_placeholders(prefix, "format", len(target.columns)), _rows(_as_text(batch)))
    finally:
        cursor.close()


def _as_text(batch: pa.Table) -> pa.Table:
    """Dates, times and timestamps as ISO text: the drivers' datetime adapters cost a Python call each."""
    columns = []
    for column in batch.columns:
        kind = column.type
        if pa.types.is_temporal(kind):
            column = pc.cast(column, pa.string())
        columns.append(column)
    return pa.table(columns, names=batch.column_names)


def _rows(batch: pa.Table) -> list[tuple[Any, ...]]:
    return list(zip(*(column.to_pylist() for column in batch.columns), strict=True))


def executemany_strings(conn: sa.Connection, target: LoadTarget, batch: pa.Table) -> None:
    """SQLite: one prepared INSERT executed for every row, in the caller's transaction."""
    prefix = f"INSERT INTO {target.qualified} ({', '.join(target.columns)})"
    conn.exec_driver_sql(
        _with_placeholders(prefix, conn.dialect.paramstyle, len(target.columns)),
        _rows(_as_text(batch)),
    )


def insert_executemany(conn: sa.Connection, target: LoadTarget, batch: pa.Table) -> None:
    """Any dialect: SQLAlchemy ``insert()`` with one parameter set per row (the portable reference)."""
    conn.execute(target.table.insert(), batch.to_pylist())
