"""The file store: tables are folders of whole files, under the modes of :mod:`airbyte_dest_kit.store`.

Layout: ``<root>/<schema>/<table>/[_airbyte_<granularity>=<value>/]part-<time>-g<generation>-<id>.<ext>``,
with the schema and table names of every other writer (staging, tombstones and merge results are sibling
folders). The generation of a file's rows is in its name, so resuming and deleting older generations
read no file. Files are encoded by :mod:`.formats`.

Durability: a batch is encoded into a local scratch folder, then each file is published
(:func:`.filesystem.publish`): absent or whole under its final name, so readers globbing ``part-*``
never see half a file. A batch split over several files (partitions, the target file size) becomes
visible file by file: a crash in between leaves some of its rows visible with its states not echoed, and
a retry writes them again (at least once, as the protocol allows).

What differs from a database: no transactions; no ``merge`` (dedup streams are staged and reduced when
they complete, :class:`modes.Rewrites`); and ``swap`` (an overwrite's or a merge's new files replace the
old ones when the stream completes, the old files readable until then and after any failure), written in
:mod:`airbyte_dest_kit.store.swaps`: on a local disk by folder renames, on object storage (no rename) by a
journal ``<schema>/.swap-<table>.json``, each with what readers see at every point and after a crash.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.store import (
    ColumnTypes,
    StoreWriter,
    SwapPair,
    resume_journal,
    resume_renames,
    swap_by_journal,
    swap_by_renames,
)
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.writers.files.filesystem import (
    ObjectStorage,
    check_temp_directory,
    filesystem_for,
    fsync,
    local_copy,
    publish,
    scratch_folder,
)
from airbyte_dest_kit.writers.files.formats import Encoding, FileFormat, Partitioning

_GENERATION = re.compile(r"-g(-?\d+)-")


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
        temp_directory: str | None = None,
    ) -> None:
        self.destination = destination
        self.fs, self.root = filesystem_for(destination, storage)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)
        self.encoding = Encoding(file_format or FileFormat(), partitioning, target_file_bytes)
        # Local temporary files go there: the dedup merge's database, and on object storage the files being
        # encoded or read (see append for a local disk).
        self.temp_directory = str(Path(temp_directory).expanduser().absolute()) if temp_directory else None

    def folder(self, stream: StreamSpec, table: str) -> str:
        return f"{self.root}/{stream.schema_name}/{table}"

    def _is_dir(self, path: str) -> bool:
        return bool(self.fs.get_file_info(path).type == pafs.FileType.Directory)

    def check(self) -> None:
        check_temp_directory(self.temp_directory)
        probe = f"{self.root}/.airbyte_connection_check_{uuid.uuid4().hex[:8]}"
        try:
            self.fs.create_dir(self.root, recursive=True)
            with self.fs.open_output_stream(probe) as handle:
                handle.write(b"ok")
            self.fs.delete_file(probe)
        except OSError as exc:
            raise ConfigError(f"config key 'destination_path': cannot write in {self.destination!r}: {exc}") from exc

    def open(self, streams: Sequence[StreamSpec]) -> None:
        check_temp_directory(self.temp_directory)  # before any data is read, not when the first merge starts
        for stream in streams:  # a swap that stopped midway is finished first
            (resume_renames if self.local else resume_journal)(self, stream)
        super().open(streams)

    def opened(self, stream: StreamSpec) -> None:
        if self.encoding.partitioning is not None:
            self.encoding.partitioning.check(stream)

    # -- the store --------------------------------------------------------------------------------

    def create_schema(self, schema: str) -> None:
        try:
            self.fs.create_dir(f"{self.root}/{schema}", recursive=True)
        except OSError as exc:
            raise ConfigError(f"config key 'destination_path': cannot create {schema!r} in it: {exc}") from exc

    def columns(self, stream: StreamSpec, table: str) -> ColumnTypes | None:
        # Each file describes itself and readers union them by name: a table has the stream's columns.
        return {c.name: c.type for c in stream.all_columns} if self._is_dir(self.folder(stream, table)) else None

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        self.fs.create_dir(self.folder(stream, table), recursive=True)  # new files carry new columns

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        name = f"part-{time.time_ns():020d}-g{stream.generation_id}-{uuid.uuid4().hex[:8]}"
        # On a local disk the scratch folder sits beside the table, so the final rename stays on one disk.
        parent = Path(self.root, stream.schema_name) if self.local else self.temp_directory
        with scratch_folder(parent) as scratch:
            for written in self.encoding.write(stream, rows, scratch, name):
                publish(self.fs, written, f"{self.folder(stream, table)}/{written.relative_to(scratch).as_posix()}")

    def objects(self, stream: StreamSpec, table: str) -> list[str]:
        """The table's files in arrival order (their names start with the time they were written)."""
        folder = self.folder(stream, table)
        selector = pafs.FileSelector(folder, recursive=True, allow_not_found=True)
        found = [
            info.path[len(folder) + 1 :]
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.File
            and info.base_name.startswith("part-")
            and info.base_name.endswith(self.encoding.format.extension)  # another format's files are not this table's
        ]
        return sorted(found, key=lambda name: name.rsplit("/", 1)[-1])

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        """Moves the files (the modes drop ``source`` next): a crash midway leaves each file in one place."""
        for name in self.objects(stream, source):
            self._transfer(self.fs.move, stream, source, target, name)  # a rename locally; copy, delete on S3

    def _transfer(
        self, how: Callable[[str, str], None], stream: StreamSpec, source: str, target: str, name: str
    ) -> None:
        self.fs.create_dir(f"{self.folder(stream, target)}/{name}".rsplit("/", 1)[0], recursive=True)
        how(f"{self.folder(stream, source)}/{name}", f"{self.folder(stream, target)}/{name}")

    def drop(self, stream: StreamSpec, table: str) -> None:
        if self._is_dir(self.folder(stream, table)):
            self.fs.delete_dir(self.folder(stream, table))

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        return all(_generation(name) == generation for name in self.objects(stream, table))

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        for name in self.objects(stream, table):
            if _generation(name) < minimum:
                self.delete_object(stream, table, name)

    def scan(self, stream: StreamSpec, table: str) -> Iterator[pa.RecordBatch] | None:
        if not self._is_dir(self.folder(stream, table)):
            return None
        return self._scan(stream, [f"{self.folder(stream, table)}/{name}" for name in self.objects(stream, table)])

    def _scan(self, stream: StreamSpec, paths: Sequence[str]) -> Iterator[pa.RecordBatch]:
        for path in paths:  # one file at a time: rows keep arrival order
            with local_copy(self.fs, path, self.temp_directory) as local:
                yield from self.encoding.read(stream, local)

    # -- swap (airbyte_dest_kit.store.swaps) --------------------------------------------------------------

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        (swap_by_renames if self.local else swap_by_journal)(self, stream, pairs)

    def rename(self, stream: StreamSpec, table: str, new_name: str) -> None:
        os.replace(self.folder(stream, table), self.folder(stream, new_name))
        fsync(Path(self.root, stream.schema_name))

    def copy_object(self, stream: StreamSpec, source: str, target: str, name: str) -> None:
        self._transfer(self.fs.copy_file, stream, source, target, name)

    def delete_object(self, stream: StreamSpec, table: str, name: str) -> None:
        self.fs.delete_file(f"{self.folder(stream, table)}/{name}")

    def _journal_path(self, stream: StreamSpec) -> str:
        return f"{self.root}/{stream.schema_name}/.swap-{stream.table_name}.json"

    def journal(self, stream: StreamSpec) -> str | None:
        if self.fs.get_file_info(self._journal_path(stream)).type != pafs.FileType.File:
            return None
        with self.fs.open_input_stream(self._journal_path(stream)) as handle:
            return bytes(handle.read()).decode()

    def set_journal(self, stream: StreamSpec, text: str | None) -> None:
        if text is None:
            self.fs.delete_file(self._journal_path(stream))
            return
        with self.fs.open_output_stream(self._journal_path(stream)) as handle:  # an object appears whole
            handle.write(text.encode())

    def close(self) -> None:
        self.encoding.close()


def _generation(name: str) -> int:
    match = _GENERATION.search(name.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else -1
