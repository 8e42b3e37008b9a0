"""``FileBasedSource``: a source whose streams are files, configured in the shape of Airbyte's file-based
sources. A concrete source says where the files are (:meth:`FileBasedSource.file_store`); ``source-files``
reads a local folder or an S3 bucket.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.config import read_json_file
from airbyte_dest_kit.sources.concurrent import DEFAULT_CONCURRENCY, check_concurrency
from airbyte_dest_kit.sources.file_based.config import parse_config
from airbyte_dest_kit.sources.file_based.cursor import DEFAULT_HISTORY_CAP
from airbyte_dest_kit.sources.file_based.files import FileStore
from airbyte_dest_kit.sources.file_based.stream import FileBasedStream, log
from airbyte_dest_kit.sources.source import Source

CONCURRENCY_KEY = "num_workers"


class FileBasedSource(Source):
    history_cap = DEFAULT_HISTORY_CAP
    """Files a stream's history holds at most (see :mod:`airbyte_dest_kit.sources.file_based.cursor`)."""

    @abc.abstractmethod
    def file_store(self, config: Mapping[str, Any]) -> FileStore:
        """Where the files of ``config`` are."""

    def load_config(self, path: str) -> dict[str, Any]:
        try:
            return super().load_config(path)
        except ConfigError as invalid:
            # The spec's JSON schema says "not valid under any of the given schemas" of a format; reading the
            # config as this package does names the key and the fix, when it finds the problem.
            parse_config(read_json_file(path, "config"))
            raise invalid

    def concurrency_level(self, config: Mapping[str, Any]) -> int:
        """Files read at once per stream: ``num_workers`` in the config, else a modest default."""
        level = config.get(CONCURRENCY_KEY, DEFAULT_CONCURRENCY)
        return check_concurrency(level, f"config key {CONCURRENCY_KEY!r}")

    def streams(self, config: Mapping[str, Any]) -> Sequence[FileBasedStream]:
        parsed = parse_config(config)
        store = self.file_store(config)
        workers = self.concurrency_level(config)
        return [
            FileBasedStream(stream, store, parsed.start_date, history_cap=self.history_cap, discovery_workers=workers)
            for stream in parsed.streams
        ]

    def check_connection(self, config: Mapping[str, Any]) -> None:
        """Each stream's files can be listed, and its newest file read."""
        for stream in self.streams(config):
            files = stream.store.list(stream.config.globs, stream.start_date)
            if not files:
                log.warning(
                    "stream %r: no file of %s matches %s (yet)",
                    stream.name,
                    stream.store.describe,
                    ", ".join(stream.config.globs),
                )
                continue
            try:
                stream.infer(files[-1])
            except Exception as exc:
                raise ConfigError(
                    f"stream {stream.name!r}: file {files[-1].uri!r} could not be read as "
                    f"{stream.config.format.filetype}: {type(exc).__name__}: {exc}; check the stream's format"
                ) from exc
