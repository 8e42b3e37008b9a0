"""``FileBasedStream``: one configured stream of files, read one file per slice (so a concurrent read gives
each worker whole files), incremental by the file history (:mod:`.cursor`).

Each record carries ``_ab_source_file_url`` (the file's path relative to the root: the S3 key, or the path
under the local folder) and ``_ab_source_file_last_modified``. A file that cannot be read (corrupt, not
the configured format, gone) is reported with its path: with ``Wait for Discover`` it fails the stream;
otherwise it is skipped, logged, and left out of the history, so the next sync tries it again (records
read from it before the problem was found have been emitted).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import orjson

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.file_based.config import POLICY_LABELS, StreamConfig
from airbyte_dest_kit.sources.file_based.conform import Conformer
from airbyte_dest_kit.sources.file_based.cursor import DEFAULT_HISTORY_CAP, FileHistory
from airbyte_dest_kit.sources.file_based.files import FileStore, RemoteFile
from airbyte_dest_kit.sources.file_based.formats import INFERRERS, READERS, Emit
from airbyte_dest_kit.sources.file_based.schema import (
    FILE_COLUMNS,
    SOURCE_FILE_LAST_MODIFIED,
    SOURCE_FILE_URL,
    merge_schemas,
    stream_schema,
)
from airbyte_dest_kit.sources.stream import Record, RecordLines, Stream, StreamSlice

log = logging.getLogger("airbyte.source.files")


class FileBasedStream(Stream):
    concurrent_slices: ClassVar[bool] = True
    cursor_field: ClassVar[str | None] = SOURCE_FILE_LAST_MODIFIED
    # A file history can hold thousands of paths: one state a second at most, however small the files.
    min_seconds_between_states: ClassVar[float] = 1.0

    def __init__(
        self,
        config: StreamConfig,
        store: FileStore,
        start_date: Any = None,
        *,
        history_cap: int = DEFAULT_HISTORY_CAP,
        discovery_workers: int = 4,
    ) -> None:
        self.config, self.store, self.start_date = config, store, start_date
        self.name = config.name  # type: ignore[misc]
        self.primary_key = [[config.primary_key]] if config.primary_key else None  # type: ignore[misc]
        self.history = FileHistory(config.name, history_cap, config.days_to_sync_if_history_is_full)
        self.discovery_workers = discovery_workers
        self._discovered: dict[str, Any] | None = None
        self._checked_properties: Mapping[str, Any] | None = None
        self._skipped: set[str] = set()
        self._lock = threading.Lock()

    # -- schema --------------------------------------------------------------------------------------------

    def json_schema(self) -> dict[str, Any]:
        return stream_schema(self.data_properties(), self.config.schemaless)

    def data_properties(self) -> dict[str, Any]:
        """The columns of the files: ``input_schema`` when given, else inferred from the most recently
        modified files (``recent_n_files_to_read_for_schema_discovery``, 10 by default), read concurrently."""
        if self.config.input_schema is not None:
            return dict(self.config.input_schema)
        if self.config.schemaless:
            return {}
        if self._discovered is None:
            files = self.store.list(self.config.globs, self.start_date)
            sample = files[-self.config.discovery_files :]
            with ThreadPoolExecutor(max_workers=max(1, min(self.discovery_workers, len(sample)))) as pool:
                inferred = list(pool.map(self._infer_or_none, sample))
            readable = [schema for schema in inferred if schema is not None]
            if sample and not readable:
                names = ", ".join(repr(f.uri) for f in sample)
                raise ConfigError(
                    f"stream {self.name!r}: none of the files read to infer the schema could be read ({names}); "
                    f"check that they are {self.config.format.filetype} files and the stream's format options",
                    stream=self.name,
                )
            self._discovered = merge_schemas(readable)
        return self._discovered

    def infer(self, file: RemoteFile) -> dict[str, Any]:
        """The columns of one file (raises what reading it raises)."""
        return INFERRERS[self.config.format.filetype](self.store, file.uri, self.config.format)

    def _infer_or_none(self, file: RemoteFile) -> dict[str, Any] | None:
        try:
            return self.infer(file)
        except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop discovery
            log.warning("stream %r: file %r left out of schema discovery: %s", self.name, file.uri, _reason(exc))
            return None

    def use_catalog_schema(self, json_schema: Mapping[str, Any]) -> None:
        properties = json_schema.get("properties") if isinstance(json_schema, Mapping) else None
        data = {k: v for k, v in (properties or {}).items() if k not in FILE_COLUMNS}
        self._checked_properties = None if self.config.schemaless or not data else data

    def as_airbyte_stream(self) -> dict[str, Any]:
        stream = super().as_airbyte_stream()
        stream["source_defined_cursor"] = True
        return stream

    # -- state -----------------------------------------------------------------------------------------

    def load_state(self, stream_state: Mapping[str, Any] | None) -> None:
        self.history.load(stream_state)
        self._skipped.clear()

    def dump_state(self) -> dict[str, Any]:
        return self.history.dump()

    # -- reading ---------------------------------------------------------------------------------------

    def slices(self) -> Iterator[StreamSlice]:
        files = self.store.list(self.config.globs, self.start_date)
        to_read = self.history.to_read(files)
        if self.history.full:
            log.warning(
                "stream %r: the file history is full (%d files); files it does not hold are read when newer than "
                "its oldest file or modified in the last %d day(s)",
                self.name,
                self.history.cap,
                self.config.days_to_sync_if_history_is_full,
            )
        log.info("stream %r: %d file(s) match, %d to read", self.name, len(files), len(to_read))
        for file in to_read:
            yield {"file": file}

    def read_lines(self, stream_slice: StreamSlice, prefix: bytes) -> Iterator[RecordLines]:
        file: RemoteFile = (stream_slice or {})["file"]
        fmt = self.config.format
        policy = self.config.validation_policy
        conformer = Conformer(self.name, file.uri, self._checked_properties, policy, fmt.csv_booleans)
        constant = {SOURCE_FILE_LAST_MODIFIED: file.modified_text, SOURCE_FILE_URL: file.uri}
        emit = Emit(prefix, constant, "data" if self.config.schemaless else None, conformer)
        try:
            for block in READERS[fmt.filetype](self.store, file.uri, fmt, emit):
                if block.count:
                    yield block
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - a file that cannot be read goes by the validation policy
            self._unreadable(file, exc)
        summary = conformer.report.summary(policy)
        if summary:
            log.warning("stream %r: %s", self.name, summary)

    def _unreadable(self, file: RemoteFile, error: Exception) -> None:
        problem = f"stream {self.name!r}: file {file.uri!r} could not be read as {self.config.format.filetype}"
        if self.config.validation_policy == "wait_for_discover":
            raise ConfigError(
                f"{problem}: {_reason(error)}; fix or remove the file (or change the stream's validation_policy "
                f"from {POLICY_LABELS['wait_for_discover']!r} to skip unreadable files)",
                stream=self.name,
            ) from error
        with self._lock:
            self._skipped.add(file.uri)
        log.warning("%s and was skipped: %s; the next sync tries it again", problem, _reason(error))

    def close_slice(self, stream_slice: StreamSlice) -> None:
        file: RemoteFile = (stream_slice or {})["file"]
        with self._lock:
            skipped = file.uri in self._skipped
        if not skipped:
            self.history.add(file)

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        """The records of one file as dicts (the bulk path is :meth:`read_lines`)."""
        for block in self.read_lines(stream_slice, b""):
            for line in bytes(block.block).splitlines():
                yield orjson.loads(line[:-2])  # each line is the data, then the envelope's two closing braces


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
