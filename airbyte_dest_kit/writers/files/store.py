"""The file store: tables are folders of whole files, under the modes of :mod:`airbyte_dest_kit.modes`.

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
they complete, :class:`modes.Rewrites`); and ``swap``, which replaces a table's files by the staged ones
when an overwrite (or a dedup merge) completes, the old files readable until then and after any failure:

- On a local disk, folder renames (final → the layout's previous name, staging → final, then the
  previous folder is removed): readers see the old files or the new ones, never a mix, though for the
  instant between the two renames no folder at all.
- On object storage, which has no rename: a journal ``<schema>/.swap-<table>.json`` is written once every
  new file is staged: the commit point. It lists the old files and maps each new file's final path to its
  staged copy. Then the old files are deleted, the staged ones copied in, the staging folders removed, and
  the journal last. A reader listing the table sees a subset of the old files or of the new ones, never
  both (complete again once the journal is gone); while the journal exists, its ``new_files`` name the
  complete new set, each readable at its staged path until the journal goes.
  A crash before the journal leaves the old files complete (the staged ones wait for the next sync, as
  after any failed sync); after it, the new set is complete in staging, and the next sync's ``open``
  finishes the swap before it touches anything else. The same on a local disk: an interrupted swap is
  finished by the next ``open``.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.layout import Capabilities, StreamSpec
from airbyte_dest_kit.modes import ColumnTypes, StoreWriter, SwapPair
from airbyte_dest_kit.schema import ColumnType
from airbyte_dest_kit.writers.files.filesystem import (
    LOCAL,
    ObjectStorage,
    filesystem_for,
    fsync,
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
    ) -> None:
        self.destination = destination
        self.fs, self.root = filesystem_for(destination, storage)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)
        self.encoding = Encoding(file_format or FileFormat(), partitioning, target_file_bytes)

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
            self._resume_swap(stream)
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
        with scratch_folder(Path(self.root, stream.schema_name) if self.local else None) as scratch:
            for written in self.encoding.write(stream, rows, scratch, name):
                publish(self.fs, written, f"{self.folder(stream, table)}/{written.relative_to(scratch).as_posix()}")

    def _files(self, folder: str) -> list[str]:
        """The table's files in arrival order (their names start with the time they were written)."""
        selector = pafs.FileSelector(folder, recursive=True, allow_not_found=True)
        found = [
            info.path
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.File
            and info.base_name.startswith("part-")
            and info.base_name.endswith(self.encoding.format.extension)  # another format's files are not this table's
        ]
        return sorted(found, key=lambda path: path.rsplit("/", 1)[-1])

    def _remove(self, folder: str) -> None:
        if self._is_dir(folder):
            self.fs.delete_dir(folder)

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        """Moves the files (the modes drop ``source`` next): a crash midway leaves each file in one place."""
        source_folder, target_folder = self.folder(stream, source), self.folder(stream, target)
        for path in self._files(source_folder):
            destination = target_folder + path[len(source_folder) :]
            self.fs.create_dir(destination.rsplit("/", 1)[0], recursive=True)
            self.fs.move(path, destination)  # a rename on a local disk; a copy, then a delete, on S3

    def drop(self, stream: StreamSpec, table: str) -> None:
        self._remove(self.folder(stream, table))

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        return all(_generation(path) == generation for path in self._files(self.folder(stream, table)))

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        for path in self._files(self.folder(stream, table)):
            if _generation(path) < minimum:
                self.fs.delete_file(path)

    def scan(self, stream: StreamSpec, table: str) -> Iterator[pa.RecordBatch] | None:
        folder = self.folder(stream, table)
        return self._scan(stream, self._files(folder)) if self._is_dir(folder) else None

    def _scan(self, stream: StreamSpec, paths: Sequence[str]) -> Iterator[pa.RecordBatch]:
        with scratch_folder(None) as scratch:
            for index, path in enumerate(paths):  # one file at a time: rows keep arrival order
                local = path if self.local else str(scratch / f"{index}{self.encoding.format.extension}")
                if not self.local:
                    pafs.copy_files(path, local, source_filesystem=self.fs, destination_filesystem=LOCAL)
                yield from self.encoding.read(stream, local)
                if not self.local:
                    os.remove(local)

    # -- swap -------------------------------------------------------------------------------------

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        if self.local:
            for pair in pairs:
                staging, final, previous = (self.folder(stream, t) for t in (pair.staging, pair.final, pair.previous))
                self._remove(previous)
                if self._is_dir(final):
                    os.replace(final, previous)
                os.replace(staging, final)
                fsync(Path(final).parent)
                self._remove(previous)
            return
        folders = [(self.folder(stream, p.staging), self.folder(stream, p.final)) for p in pairs]
        journal = {
            "old_files": [path for _, final in folders for path in self._files(final)],
            "new_files": {
                final + path[len(staging) :]: path for staging, final in folders for path in self._files(staging)
            },
            "folders": folders,
        }
        with self.fs.open_output_stream(self._journal(stream)) as handle:
            handle.write(json.dumps(journal).encode())  # the commit point: from here on the new files win
        self._complete_swap(stream, journal)

    def _journal(self, stream: StreamSpec) -> str:
        return f"{self.root}/{stream.schema_name}/.swap-{stream.table_name}.json"

    def _complete_swap(self, stream: StreamSpec, journal: dict[str, Any]) -> None:
        """Every step may have happened before (a crash, then the next ``open``): each is idempotent."""
        for path in journal["old_files"]:
            if self.fs.get_file_info(path).type == pafs.FileType.File:
                self.fs.delete_file(path)
        for final, staged in journal["new_files"].items():
            if self.fs.get_file_info(staged).type == pafs.FileType.File:  # else copied before the staging went
                self.fs.create_dir(final.rsplit("/", 1)[0], recursive=True)
                self.fs.copy_file(staged, final)
        for staging, final in journal["folders"]:
            self.fs.create_dir(final, recursive=True)
            self._remove(staging)
        self.fs.delete_file(self._journal(stream))

    def _resume_swap(self, stream: StreamSpec) -> None:
        if not self.local:
            journal = self._journal(stream)
            if self.fs.get_file_info(journal).type == pafs.FileType.File:
                with self.fs.open_input_stream(journal) as handle:
                    self._complete_swap(stream, json.loads(handle.read()))
            return
        tables = [
            (stream.table_name, stream.previous_table_name, stream.merged_table_name, stream.staging_table_name),
            (
                stream.tombstone_table_name,
                stream.previous_tombstone_table_name,
                stream.merged_tombstone_table_name,
                stream.staging_tombstone_table_name,
            ),
        ]
        for final, previous, *sources in ([self.folder(stream, t) for t in names] for names in tables):
            if not self._is_dir(previous):
                continue
            source = next((s for s in sources if self._is_dir(s)), None)  # a merge result, else an overwrite's
            if not self._is_dir(final) and source is not None:
                os.replace(source, final)
            if self._is_dir(final):
                self._remove(previous)
            else:  # nothing to swap in: the old files go back
                os.replace(previous, final)

    def close(self) -> None:
        self.encoding.close()


def _generation(path: str) -> int:
    match = _GENERATION.search(path.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else -1
