"""How rows become files and files become rows again: JSON lines, Parquet or CSV (JSON lines and CSV
optionally gzipped), in Hive-style partition folders and split at a target size. DuckDB encodes (``COPY``)
and decodes; the store (:mod:`.store`) only moves whole files.

Columns are the stream's. Parquet keeps the catalog's types, JSON columns as strings marked with the
Parquet JSON logical type (the field's metadata); JSON lines embed JSON values; CSV has a header and
quotes per RFC 4180.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.streams import winner
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import EXTRACTED_AT, StreamSpec
from airbyte_dest_kit.streams.sql_text import literal, quote

Format = Literal["jsonl", "parquet", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "parquet", "csv")
_SQL_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.NUMBER: "DOUBLE",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP_TZ: "TIMESTAMPTZ",
    ColumnType.TIMESTAMP: "TIMESTAMP",
    ColumnType.TIME_TZ: "VARCHAR",
    ColumnType.TIME: "TIME",
    ColumnType.JSON: "JSON",
}


@dataclass(frozen=True)
class FileFormat:
    format: Format = "parquet"
    gzip: bool = False  # jsonl and csv only (Parquet compresses its pages itself)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConfigError(f"config key 'format': {self.format!r} is not one of {', '.join(FORMATS)}")
        if self.gzip and self.format == "parquet":
            raise ConfigError("config key 'gzip' applies to jsonl and csv; Parquet is compressed already")

    @property
    def extension(self) -> str:
        return {"jsonl": ".jsonl", "parquet": ".parquet", "csv": ".csv"}[self.format] + (".gz" if self.gzip else "")

    def copy_options(self) -> str:
        options = {"jsonl": "FORMAT json", "parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER"}[self.format]
        return options + (", COMPRESSION gzip" if self.gzip else "")

    def query(self, con: duckdb.DuckDBPyConnection, path: str, stream: StreamSpec) -> str:
        """A query of one local file's rows, the stream's columns the file has in their DuckDB types."""
        columns = {c.name: _SQL_TYPES[c.type] for c in stream.all_columns}
        if self.format == "parquet":
            return f"SELECT * FROM read_parquet({literal(path)}, hive_partitioning = false)"
        if self.format == "jsonl":  # a key missing from a line (a file older than a new column) reads as NULL
            types = "{" + ", ".join(f"{literal(n)}: {literal(t)}" for n, t in columns.items()) + "}"
            return f"SELECT * FROM read_json({literal(path)}, format = 'newline_delimited', columns = {types})"
        # A CSV file has the columns of its own time: read as text, typed by name.
        text = f"read_csv({literal(path)}, header = true, all_varchar = true, allow_quoted_nulls = false)"
        header = con.sql(f"SELECT * FROM {text} LIMIT 0").columns
        casts = ", ".join(f"CAST({quote(n)} AS {columns[n]}) AS {quote(n)}" for n in header if n in columns)
        return f"SELECT {casts} FROM {text}"


@dataclass(frozen=True)
class Partitioning:
    """Hive-style folders ``_airbyte_<granularity>=<value>`` by the date of ``column`` (timestamp or date)."""

    column: str = EXTRACTED_AT
    granularity: Literal["day", "month", "year"] = "day"

    @property
    def folder_key(self) -> str:
        return f"_airbyte_{self.granularity}"

    @property
    def strftime(self) -> str:
        return {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[self.granularity]

    def check(self, stream: StreamSpec) -> None:
        names = stream.arrow_schema.names
        if self.column not in names:
            raise ConfigError(
                f"stream {stream.label!r}: config key 'partitioning.column' names {self.column!r}, "
                "which the stream does not have; name a date or timestamp column, or leave it out"
            )
        if self.folder_key in names:
            raise ConfigError(f"stream {stream.label!r}: a column is named like the partition folder key")


class Encoding:
    """A format, partitions and file size, applied by one DuckDB connection (opened on first use)."""

    def __init__(
        self, file_format: FileFormat, partitioning: Partitioning | None, target_file_bytes: int | None
    ) -> None:
        self.format = file_format
        self.partitioning = partitioning
        self.target_file_bytes = target_file_bytes
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect(":memory:")
            self._con.execute("SET TimeZone = 'UTC'")
            self._con.execute("SET threads = 1")  # files are read back in row order
        return self._con

    def write(self, stream: StreamSpec, rows: pa.Table, folder: Path, name: str) -> list[Path]:
        """Writes ``rows`` as files under the local ``folder`` (named after ``name``, in partition folders);
        the files written."""
        self.con.register("_airbyte_rows", rows)
        try:
            self.con.execute(self._copy_statement(stream, folder, name))
        finally:
            self.con.unregister("_airbyte_rows")
        return sorted(p for p in folder.rglob("*") if p.is_file())

    def _copy_statement(self, stream: StreamSpec, folder: Path, name: str) -> str:
        columns = [
            f"CAST({quote(c.name)} AS JSON) AS {quote(c.name)}" if c.type is ColumnType.JSON else quote(c.name)
            for c in stream.all_columns
        ]
        options = [self.format.copy_options()]
        if self.partitioning is not None:
            key = self.partitioning.folder_key
            value = f"strftime({quote(self.partitioning.column)}, {literal(self.partitioning.strftime)})"
            columns.append(f"{value} AS {quote(key)}")
            options.append(f"PARTITION_BY ({quote(key)})")
        if self.target_file_bytes:
            options.append(f"FILE_SIZE_BYTES {int(self.target_file_bytes)}")
        target = str(folder)
        if len(options) > 1:  # DuckDB writes a folder of files, named by the pattern
            extension = literal(self.format.extension.lstrip("."))
            options += [f"FILENAME_PATTERN {literal(name + '-{i}')}", f"FILE_EXTENSION {extension}"]
        else:
            target = f"{folder}/{name}{self.format.extension}"
        select = f"SELECT {', '.join(columns)} FROM _airbyte_rows"
        return f"COPY ({select}) TO {literal(target)} ({', '.join(options)})"

    def read(self, stream: StreamSpec, path: str) -> Iterator[pa.RecordBatch]:
        """One local file's rows in order, :data:`winner.BATCH_ROWS` at a time."""
        yield from self.con.sql(self.format.query(self.con, path, stream)).to_arrow_reader(winner.BATCH_ROWS)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
