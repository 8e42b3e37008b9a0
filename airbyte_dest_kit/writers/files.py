"""Files in a local folder (JSON lines, Parquet, CSV), a store on :mod:`airbyte_dest_kit.modes`.

Layout: ``<root>/<schema>/<table>/[<partition>=<value>/]part-<time>-g<generation>-<id>.<ext>``, with the
schema and table names of every other writer (staging and tombstones are sibling folders). The columns are
the same as in a database table; Parquet keeps the catalog's types (JSON columns as strings with the
Parquet JSON logical type), JSON lines embed JSON values, CSV has a header and quotes per RFC 4180.

Durability: a batch is written by DuckDB into a hidden folder (``.tmp-…``) next to the table, each file
fsynced, then renamed to its final name, and the folder fsynced: a file is either absent or complete
under its final name, and readers globbing ``*.parquet`` never see half a file. A batch split over
several files (partitions, the target file size) becomes visible file by file: a crash in between
leaves some of its rows visible, with its states not echoed, so a retry writes them again (at least once).

What the store does differently from a database: no transactions (every operation stands alone);
``swap`` renames folders (final → the layout's previous name, staging → final, then removes the
previous one; an interrupted swap is finished by the next ``open``): readers see the old files or the
new ones, never a mix, though for the instant between two renames no folder at all. No ``merge``: a dedup
stream stages its batches and is merged in Arrow by the winner rule when it completes
(:class:`modes.Rewrites`). The generation of a file's rows is in its name, so resuming and deleting
older generations never read a file.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.layout import EXTRACTED_AT, Capabilities, StreamSpec
from airbyte_dest_kit.modes import StoreWriter, SwapPair
from airbyte_dest_kit.pipeline.record_typer import literal, quote
from airbyte_dest_kit.schema import ColumnType

Format = Literal["jsonl", "parquet", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "parquet", "csv")
_GENERATION = re.compile(r"-g(-?\d+)-")


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

    def reader(self, paths: Sequence[str], columns: Mapping[str, str]) -> str:
        listed = "[" + ", ".join(literal(p) for p in paths) + "]"
        types = "{" + ", ".join(f"{literal(n)}: {literal(t)}" for n, t in columns.items()) + "}"
        if self.format == "parquet":
            return f"read_parquet({listed}, union_by_name = true)"
        if self.format == "jsonl":
            return f"read_json({listed}, format = 'newline_delimited', columns = {types})"
        return f"read_csv({listed}, header = true, columns = {types})"


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


class FileWriter(StoreWriter):
    naming = Capabilities(case_sensitive_identifiers=True)

    def __init__(
        self,
        root: str,
        file_format: FileFormat | None = None,
        *,
        partitioning: Partitioning | None = None,
        target_file_bytes: int | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        self.format = file_format or FileFormat()
        self.partitioning = partitioning
        self.target_file_bytes = target_file_bytes
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect(":memory:")
            self._con.execute("SET TimeZone = 'UTC'")
            self._con.execute("SET threads = 1")
            self._con.execute("SET preserve_insertion_order = true")
        return self._con

    def folder(self, stream: StreamSpec, table: str) -> Path:
        return self.root / stream.schema_name / table

    def check(self) -> None:
        probe = self.root / f".airbyte_connection_check_{uuid.uuid4().hex[:8]}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(f"config key 'destination_path': cannot write in {str(self.root)!r}: {exc}") from exc

    def open(self, streams: Sequence[StreamSpec]) -> None:
        for stream in streams:  # a swap that stopped between its renames is finished first
            self._finish_swap(stream, stream.staging_table_name, stream.table_name, stream.previous_table_name)
            self._finish_swap(
                stream,
                stream.staging_tombstone_table_name,
                stream.tombstone_table_name,
                stream.previous_tombstone_table_name,
            )
        super().open(streams)

    # -- the store --------------------------------------------------------------------------------

    def create_schema(self, schema: str) -> None:
        try:
            (self.root / schema).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"config key 'destination_path': cannot create {str(self.root / schema)!r}: {exc}"
            ) from exc

    def columns(self, stream: StreamSpec, table: str) -> dict[str, ColumnType | None] | None:
        # Each file describes itself and readers union them by name: a table has the stream's columns.
        return {c.name: c.type for c in stream.all_columns} if self.folder(stream, table).is_dir() else None

    def opened(self, stream: StreamSpec) -> None:
        if self.partitioning is None:
            return
        names = stream.arrow_schema.names
        if self.partitioning.column not in names:
            raise ConfigError(
                f"stream {stream.label!r}: config key 'partitioning.column' names {self.partitioning.column!r}, "
                "which the stream does not have; name a date or timestamp column, or leave it out"
            )
        if self.partitioning.folder_key in names:
            raise ConfigError(f"stream {stream.label!r}: a column is named like the partition folder key")

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        self.folder(stream, table).mkdir(parents=True, exist_ok=True)  # new files carry new columns

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        folder = self.folder(stream, table)
        scratch = folder.parent / f".tmp-{uuid.uuid4().hex}"
        name = f"part-{time.time_ns():020d}-g{stream.generation_id}-{uuid.uuid4().hex[:8]}"
        scratch.mkdir()
        self.con.register("_airbyte_rows", rows)
        try:
            self.con.execute(self._copy_statement(stream, str(scratch), name))
        finally:
            self.con.unregister("_airbyte_rows")
        try:
            for written in sorted(p for p in scratch.rglob("*") if p.is_file()):
                target = folder / written.relative_to(scratch)
                target.parent.mkdir(parents=True, exist_ok=True)
                _fsync(written)
                os.replace(written, target)  # the file appears whole under its final name, or not at all
                _fsync(target.parent)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _copy_statement(self, stream: StreamSpec, scratch: str, name: str) -> str:
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
        if len(options) > 1:  # DuckDB writes a folder of files, named by the pattern
            extension = literal(self.format.extension.lstrip("."))
            options += [f"FILENAME_PATTERN {literal(name + '-{i}')}", f"FILE_EXTENSION {extension}"]
        else:
            scratch = f"{scratch}/{name}{self.format.extension}"
        select = f"SELECT {', '.join(columns)} FROM _airbyte_rows"
        return f"COPY ({select}) TO {literal(scratch)} ({', '.join(options)})"

    def _files(self, stream: StreamSpec, table: str) -> list[Path]:
        """The table's files in arrival order (their names start with the time they were written)."""
        folder = self.folder(stream, table)
        if not folder.is_dir():
            return []
        pattern = f"part-*{self.format.extension}"  # another format's files are not this table's
        return sorted((p for p in folder.rglob(pattern) if p.is_file()), key=lambda p: p.name)

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        """Moves the files (the modes drop ``source`` next): a crash midway leaves each file in one place."""
        into = self.folder(stream, target)
        for path in self._files(stream, source):
            destination = into / path.relative_to(self.folder(stream, source))
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, destination)

    def drop(self, stream: StreamSpec, table: str) -> None:
        shutil.rmtree(self.folder(stream, table), ignore_errors=True)

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        return all(_generation(path) == generation for path in self._files(stream, table))

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        for path in self._files(stream, table):
            if _generation(path) < minimum:
                path.unlink()

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        for pair in pairs:
            staging, final, previous = (self.folder(stream, t) for t in (pair.staging, pair.final, pair.previous))
            shutil.rmtree(previous, ignore_errors=True)
            if final.exists():
                os.replace(final, previous)
            os.replace(staging, final)
            _fsync(final.parent)
            shutil.rmtree(previous, ignore_errors=True)

    def _finish_swap(self, stream: StreamSpec, staging: str, final: str, previous: str) -> None:
        if not self.folder(stream, previous).exists():
            return
        if not self.folder(stream, final).exists() and self.folder(stream, staging).exists():
            os.replace(self.folder(stream, staging), self.folder(stream, final))
        if self.folder(stream, final).exists():
            shutil.rmtree(self.folder(stream, previous))
        else:  # nothing to swap in: the old files go back
            os.replace(self.folder(stream, previous), self.folder(stream, final))

    def read(self, stream: StreamSpec, table: str) -> pa.Table | None:
        files = self._files(stream, table)
        if not files:
            return None if not self.folder(stream, table).is_dir() else stream.arrow_schema.empty_table()
        types = {c.name: _SQL_TYPES[c.type] for c in stream.all_columns}
        parts = []
        for path in files:  # one file at a time: rows keep their arrival order
            relation = self.con.sql(f"SELECT * FROM {self.format.reader([str(path)], types)}")
            parts.append(relation.to_arrow_table())
        schema = stream.arrow_schema
        return pa.concat_tables(
            [part.select([n for n in schema.names if n in part.column_names]) for part in parts],
            promote_options="permissive",
        ).cast(schema)

    def replace(self, stream: StreamSpec, contents: Mapping[str, pa.Table]) -> None:
        for table, rows in contents.items():
            fresh = f".{table}.replacing-{uuid.uuid4().hex[:8]}"
            self.evolve(stream, fresh, [])
            self.append(stream, fresh, rows)
            previous = (
                stream.previous_table_name if table == stream.table_name else stream.previous_tombstone_table_name
            )
            self.swap(stream, [SwapPair(fresh, table, previous)])

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _generation(path: Path) -> int:
    match = _GENERATION.search(path.name)
    return int(match.group(1)) if match else -1


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
