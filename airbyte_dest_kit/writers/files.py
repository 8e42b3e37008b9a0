"""Files (JSON lines, Parquet, CSV) in a local folder or object storage, a store on :mod:`airbyte_dest_kit.modes`.

Layout: ``<root>/<schema>/<table>/[_airbyte_<granularity>=<value>/]part-<time>-g<generation>-<id>.<ext>``,
with the schema and table names of every other writer (staging and tombstones are sibling folders). The
columns are the same as in a database table; Parquet keeps the catalog's types (JSON columns as strings
with the Parquet JSON logical type), JSON lines embed JSON values, CSV has a header and quotes per RFC 4180.
DuckDB writes every file (``COPY``) and reads them back for a dedup merge.

Durability: a batch is written into a local scratch folder first. On a local disk each file is then
fsynced and renamed into place (and the folder fsynced); on object storage (``pyarrow.fs``: ``s3://…``)
each file is uploaded to its final key, where an object appears only once its upload completed. Either
way a file is absent or whole under its final name: readers globbing ``*.parquet`` never see half a
file. A batch split over several files (partitions, the target file size) becomes visible file by file:
a crash in between leaves some of its rows visible with its states not echoed, and a retry writes them
again (at least once, as the protocol allows).

What the store does differently from a database: no transactions; no ``merge`` (a dedup stream stages its
batches and is merged in Arrow by the winner rule when it completes: :class:`modes.Rewrites`); and
``swap`` (overwrite: the new generation replaces the old files when the stream completes, so the old ones
stay readable until then and after any failure):

- on a local disk, renames of folders (final → the layout's previous name, staging → final, then the
  previous folder is removed): readers see the old files or the new ones, never a mix, though for the
  instant between the two renames no folder at all;
- on object storage, which has no rename, a manifest (``.swap-<table>.json`` beside the tables) lists the
  old files first; then they are deleted and the staged files moved in. Readers during the swap can see
  a part of the new files. An interrupted swap of either kind is finished by the next sync's ``open``.

The generation of a file's rows is in its name, so resuming and deleting older generations read no file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs

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

    def read(self, con: duckdb.DuckDBPyConnection, path: str, columns: Mapping[str, str]) -> pa.Table:
        """One local file's rows, ``columns`` in their DuckDB types (those the file has)."""
        if self.format == "parquet":
            query = f"SELECT * FROM read_parquet({literal(path)}, hive_partitioning = false)"
        elif self.format == "jsonl":  # a key missing from a line (a file older than a new column) reads as NULL
            types = "{" + ", ".join(f"{literal(n)}: {literal(t)}" for n, t in columns.items()) + "}"
            query = f"SELECT * FROM read_json({literal(path)}, format = 'newline_delimited', columns = {types})"
        else:  # a CSV file has the columns of its own time: read as text, typed by name
            text = f"read_csv({literal(path)}, header = true, all_varchar = true, allow_quoted_nulls = false)"
            header = con.sql(f"SELECT * FROM {text} LIMIT 0").columns
            casts = ", ".join(f"CAST({quote(n)} AS {columns[n]}) AS {quote(n)}" for n in header if n in columns)
            query = f"SELECT {casts} FROM {text}"
        return con.sql(query).to_arrow_table()


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


@dataclass(frozen=True)
class ObjectStorage:
    """Connection options for a ``s3://`` destination (else the environment's, as pyarrow reads them)."""

    endpoint: str | None = None  # e.g. http://127.0.0.1:9000 for an S3-compatible server
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


def filesystem_for(destination: str, storage: ObjectStorage | None = None) -> tuple[pafs.FileSystem, str]:
    """The filesystem and root path of ``destination``: a local folder, or a URI ``pyarrow.fs`` knows."""
    if "://" not in destination:
        return pafs.LocalFileSystem(), str(Path(destination).expanduser().absolute())
    parsed = urlparse(destination)
    if parsed.scheme == "s3":
        storage = storage or ObjectStorage()
        endpoint = urlparse(storage.endpoint) if storage.endpoint else None
        s3 = pafs.S3FileSystem(
            access_key=storage.access_key_id,
            secret_key=storage.secret_access_key,
            region=storage.region,
            endpoint_override=endpoint.netloc if endpoint else None,
            scheme=endpoint.scheme if endpoint else "https",
        )
        return s3, f"{parsed.netloc}{parsed.path}".rstrip("/")
    try:
        filesystem, path = pafs.FileSystem.from_uri(destination)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ConfigError(f"config key 'destination_path': {destination!r} is not a folder or a URI: {exc}") from exc
    return filesystem, str(path)


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
        destination: str,
        file_format: FileFormat | None = None,
        *,
        partitioning: Partitioning | None = None,
        target_file_bytes: int | None = None,
        storage: ObjectStorage | None = None,
    ) -> None:
        self.destination = destination
        self.fs, self.root = filesystem_for(destination, storage)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)
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
        return self._con

    def folder(self, stream: StreamSpec, table: str) -> str:
        return f"{self.root}/{stream.schema_name}/{table}"

    def _is_dir(self, path: str) -> bool:
        return bool(self.fs.get_file_info(path).type == pafs.FileType.Directory)

    def check(self) -> None:
        probe = f"{self.root}/.airbyte_connection_check_{uuid.uuid4().hex[:8]}"
        try:
            self.fs.create_dir(self.root, recursive=True)
            with self.fs.open_output_stream(probe) as handle:
                handle.write(b"ok")
            self.fs.delete_file(probe)
        except OSError as exc:
            raise ConfigError(f"config key 'destination_path': cannot write in {self.destination!r}: {exc}") from exc

    def open(self, streams: Sequence[StreamSpec]) -> None:
        for stream in streams:  # a swap that stopped midway is finished first
            self._finish_swap(stream, stream.staging_table_name, stream.table_name, stream.previous_table_name)
            self._finish_swap(
                stream,
                stream.staging_tombstone_table_name,
                stream.tombstone_table_name,
                stream.previous_tombstone_table_name,
            )
        super().open(streams)

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

    # -- the store --------------------------------------------------------------------------------

    def create_schema(self, schema: str) -> None:
        try:
            self.fs.create_dir(f"{self.root}/{schema}", recursive=True)
        except OSError as exc:
            raise ConfigError(f"config key 'destination_path': cannot create {schema!r} in it: {exc}") from exc

    def columns(self, stream: StreamSpec, table: str) -> dict[str, ColumnType | None] | None:
        # Each file describes itself and readers union them by name: a table has the stream's columns.
        return {c.name: c.type for c in stream.all_columns} if self._is_dir(self.folder(stream, table)) else None

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        self.fs.create_dir(self.folder(stream, table), recursive=True)  # new files carry new columns

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        folder = self.folder(stream, table)
        name = f"part-{time.time_ns():020d}-g{stream.generation_id}-{uuid.uuid4().hex[:8]}"
        # On a local disk the scratch folder sits beside the table, so the final rename stays on one disk.
        with _scratch_folder(Path(self.root, stream.schema_name) if self.local else None) as scratch:
            self.con.register("_airbyte_rows", rows)
            try:
                self.con.execute(self._copy_statement(stream, scratch, name))
            finally:
                self.con.unregister("_airbyte_rows")
            for written in sorted(p for p in scratch.rglob("*") if p.is_file()):
                self._publish(written, f"{folder}/{written.relative_to(scratch).as_posix()}")

    def _publish(self, written: Path, target: str) -> None:
        """``written`` appears whole under ``target``, or not at all."""
        parent = target.rsplit("/", 1)[0]
        self.fs.create_dir(parent, recursive=True)
        if self.local:
            _fsync(written)
            os.replace(written, target)
            _fsync(Path(parent))
        else:  # an object is visible only once its upload completed
            pafs.copy_files(
                str(written), target, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=self.fs
            )

    def _copy_statement(self, stream: StreamSpec, scratch: Path, name: str) -> str:
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
        target = str(scratch)
        if len(options) > 1:  # DuckDB writes a folder of files, named by the pattern
            extension = literal(self.format.extension.lstrip("."))
            options += [f"FILENAME_PATTERN {literal(name + '-{i}')}", f"FILE_EXTENSION {extension}"]
        else:
            target = f"{scratch}/{name}{self.format.extension}"
        select = f"SELECT {', '.join(columns)} FROM _airbyte_rows"
        return f"COPY ({select}) TO {literal(target)} ({', '.join(options)})"

    def _files(self, folder: str) -> list[str]:
        """The table's files in arrival order (their names start with the time they were written)."""
        selector = pafs.FileSelector(folder, recursive=True, allow_not_found=True)
        found = [
            info.path
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.File
            and info.base_name.startswith("part-")
            and info.base_name.endswith(self.format.extension)  # another format's files are not this table's
        ]
        return sorted(found, key=lambda path: path.rsplit("/", 1)[-1])

    def _move_files(self, source: str, target: str) -> None:
        for path in self._files(source):
            destination = target + path[len(source) :]
            self.fs.create_dir(destination.rsplit("/", 1)[0], recursive=True)
            self.fs.move(path, destination)  # a rename on a local disk; a copy, then a delete, on S3

    def _remove(self, folder: str) -> None:
        if self._is_dir(folder):
            self.fs.delete_dir(folder)

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        """Moves the files (the modes drop ``source`` next): a crash midway leaves each file in one place."""
        self._move_files(self.folder(stream, source), self.folder(stream, target))

    def drop(self, stream: StreamSpec, table: str) -> None:
        self._remove(self.folder(stream, table))

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        return all(_generation(path) == generation for path in self._files(self.folder(stream, table)))

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        for path in self._files(self.folder(stream, table)):
            if _generation(path) < minimum:
                self.fs.delete_file(path)

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        for pair in pairs:
            staging, final, previous = (self.folder(stream, t) for t in (pair.staging, pair.final, pair.previous))
            if self.local:
                self._remove(previous)
                if self._is_dir(final):
                    os.replace(final, previous)
                os.replace(staging, final)
                _fsync(Path(final).parent)
                self._remove(previous)
                continue
            manifest = self._manifest(stream, pair.final)
            with self.fs.open_output_stream(manifest) as handle:
                handle.write(json.dumps({"old_files": self._files(final)}).encode())
            self._finish_swap(stream, pair.staging, pair.final, pair.previous)

    def _manifest(self, stream: StreamSpec, final: str) -> str:
        return f"{self.root}/{stream.schema_name}/.swap-{final}.json"

    def _finish_swap(self, stream: StreamSpec, staging_table: str, final_table: str, previous_table: str) -> None:
        staging, final, previous = (self.folder(stream, t) for t in (staging_table, final_table, previous_table))
        if self.local:
            if not self._is_dir(previous):
                return
            if not self._is_dir(final) and self._is_dir(staging):
                os.replace(staging, final)
            if self._is_dir(final):
                self._remove(previous)
            else:  # nothing to swap in: the old files go back
                os.replace(previous, final)
            return
        manifest = self._manifest(stream, final_table)
        if self.fs.get_file_info(manifest).type != pafs.FileType.File:
            return
        with self.fs.open_input_stream(manifest) as handle:
            old_files = json.loads(handle.read())["old_files"]
        for path in old_files:
            if self.fs.get_file_info(path).type == pafs.FileType.File:
                self.fs.delete_file(path)
        self.fs.create_dir(final, recursive=True)
        self._move_files(staging, final)
        self._remove(staging)
        self.fs.delete_file(manifest)

    def read(self, stream: StreamSpec, table: str) -> pa.Table | None:
        folder = self.folder(stream, table)
        if not self._is_dir(folder):
            return None
        types = {c.name: _SQL_TYPES[c.type] for c in stream.all_columns}
        schema = stream.arrow_schema
        parts = [schema.empty_table()]
        with _scratch_folder(None) as scratch:
            for index, path in enumerate(self._files(folder)):  # one file at a time: rows keep arrival order
                local = path
                if not self.local:
                    local = str(scratch / f"{index}{self.format.extension}")
                    pafs.copy_files(
                        path, local, source_filesystem=self.fs, destination_filesystem=pafs.LocalFileSystem()
                    )
                part = self.format.read(self.con, local, types)
                parts.append(part.select([n for n in schema.names if n in part.column_names]))
        return pa.concat_tables(parts, promote_options="permissive").cast(schema)

    def replace(self, stream: StreamSpec, contents: Mapping[str, pa.Table]) -> None:
        for table, rows in contents.items():
            fresh = f".{table}.replacing-{uuid.uuid4().hex[:8]}"
            self.evolve(stream, fresh, [])
            self.append(stream, fresh, rows)
            tombstones = table != stream.table_name
            previous = stream.previous_tombstone_table_name if tombstones else stream.previous_table_name
            self.swap(stream, [SwapPair(fresh, table, previous)])

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


@contextmanager
def _scratch_folder(parent: Path | None) -> Iterator[Path]:
    """A hidden folder for files being written (globs for ``part-*`` never look inside), removed after."""
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".tmp-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _generation(path: str) -> int:
    match = _GENERATION.search(path.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else -1


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
