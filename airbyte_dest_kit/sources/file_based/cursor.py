"""Incremental reads of files: the file history, in the state shape Airbyte's file-based sources use, so a
state saved by source-s3 resumes here and the other way round::

    {"history": {"orders/2024-05-01.csv": "2024-05-01T10:00:00.000000Z", ...},
     "_ab_source_file_last_modified": "2024-05-01T10:00:00.000000Z_orders/2024-05-01.csv"}

A file is read when the history does not hold it, or holds an older modification time: so a file that
arrives late (uploaded with a modification time before the newest one already read) is still read, and a
file that changes is read again. The history keeps at most ``cap`` files (10,000, like Airbyte), dropping
the oldest; once it is full, a file it does not hold is read when it is newer than the oldest file it
holds, or modified within ``days_to_sync_if_history_is_full`` days. source-s3's older (v3) state, whose
history lists file names per day, is read too.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.file_based.files import TIMESTAMP_FORMAT, UTC, RemoteFile, parse_timestamp
from airbyte_dest_kit.sources.file_based.schema import SOURCE_FILE_LAST_MODIFIED

DEFAULT_HISTORY_CAP = 10_000
_V3_DAY = "%Y-%m-%d"
_V3_CURSOR = "%Y-%m-%dT%H:%M:%SZ"


class FileHistory:
    def __init__(
        self, stream: str, cap: int, days_if_full: int, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC)
    ) -> None:
        self.stream, self.cap, self.days_if_full, self.now = stream, cap, days_if_full, now
        self.files: dict[str, str] = {}  # uri -> modification time, in Airbyte's format
        self._oldest: list[tuple[str, str]] = []  # a heap of (time, uri); entries no longer in files are stale
        self._full_at_start = False
        self._oldest_at_start: tuple[dt.datetime, str] | None = None

    # -- state in and out ------------------------------------------------------------------------------

    def load(self, state: Mapping[str, Any] | None) -> None:
        history = (state or {}).get("history") or {}
        if not isinstance(history, Mapping):
            raise self._invalid("'history' must map file paths to modification times")
        if history and all(isinstance(v, list) for v in history.values()):
            history = self._from_v3(history, (state or {}).get(SOURCE_FILE_LAST_MODIFIED))
        self.files = {}
        for uri, moment in history.items():
            if not isinstance(uri, str) or not isinstance(moment, str):
                raise self._invalid(f"history entry {uri!r}: {moment!r} is not a modification time")
            try:
                self.files[uri] = parse_timestamp(moment).strftime(TIMESTAMP_FORMAT)
            except ValueError:
                raise self._invalid(f"history entry {uri!r}: {moment!r} is not a modification time") from None
        self._oldest = [(moment, uri) for uri, moment in self.files.items()]
        heapq.heapify(self._oldest)
        self._full_at_start = len(self.files) >= self.cap
        oldest = min(self._oldest, default=None)
        self._oldest_at_start = (parse_timestamp(oldest[0]), oldest[1]) if oldest else None

    def _from_v3(self, by_day: Mapping[str, Any], cursor: Any) -> dict[str, str]:
        """source-s3's v3 history, ``{"2024-05-01": ["a.csv", ...]}``: each file at the end of its day (or
        at the cursor, on the cursor's day), so every file is at least as old as it really was."""
        try:
            cursor_time = dt.datetime.strptime(str(cursor), _V3_CURSOR).replace(tzinfo=UTC) if cursor else None
        except ValueError:
            cursor_time = None
        files: dict[str, str] = {}
        for day, names in by_day.items():
            try:
                start = dt.datetime.strptime(day, _V3_DAY).replace(tzinfo=UTC)
            except ValueError:
                raise self._invalid(f"history day {day!r} is not a date (YYYY-MM-DD)") from None
            moment = start + dt.timedelta(days=1, microseconds=-1)
            if cursor_time is not None and cursor_time.date() == start.date():
                moment = cursor_time
            for name in names:
                text = moment.strftime(TIMESTAMP_FORMAT)
                files[str(name)] = max(files.get(str(name), text), text)
        return files

    def _invalid(self, problem: str) -> ConfigError:
        return ConfigError(
            f"stream {self.stream!r}: saved state: {problem}; fix or drop the state to read every file again",
            stream=self.stream,
        )

    def dump(self) -> dict[str, Any]:
        newest = max(((moment, uri) for uri, moment in self.files.items()), default=None)
        return {"history": dict(self.files), SOURCE_FILE_LAST_MODIFIED: f"{newest[0]}_{newest[1]}" if newest else None}

    # -- which files ---------------------------------------------------------------------------------

    @property
    def full(self) -> bool:
        return self._full_at_start

    def to_read(self, files: Iterable[RemoteFile]) -> list[RemoteFile]:
        return [file for file in files if self._should_read(file)]

    def _should_read(self, file: RemoteFile) -> bool:
        seen = self.files.get(file.uri)
        if seen is not None:
            return file.modified_text > seen  # same fixed-width format: text order is time order
        if not self._full_at_start or self._oldest_at_start is None:
            return True
        if (file.last_modified, file.uri) > self._oldest_at_start:
            return True
        window_start = min(self._oldest_at_start[0], self.now() - dt.timedelta(days=self.days_if_full))
        return file.last_modified >= window_start

    def add(self, file: RemoteFile) -> None:
        """``file`` was read: remember it, forgetting the oldest file once there are more than ``cap``."""
        self.files[file.uri] = file.modified_text
        heapq.heappush(self._oldest, (file.modified_text, file.uri))
        while len(self.files) > self.cap:
            moment, uri = heapq.heappop(self._oldest)
            if self.files.get(uri) == moment:
                del self.files[uri]
