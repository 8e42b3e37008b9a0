"""``DeclarativeStream`` on the kit's :class:`~airbyte_dest_kit.sources.stream.Stream`: the reader's slices,
checkpoints, statuses and error traces apply to manifest streams unchanged.

A slice is one partition (from the partition router) and one date window (from the incremental cursor);
a STATE follows every slice. Full-refresh reads of an incremental stream also walk the windows from
``start_datetime``.

With the manifest's ``concurrency_level`` above 1, slices are read by that many workers at once when they
are independent: a stream without an incremental cursor, or with a ``DatetimeBasedCursor`` (each window
tracks its own highest cursor value, and closing the windows in order moves the state as a sequential
read would). Streams with a per-partition cursor are read sequentially.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from airbyte_dest_kit.sources.declarative.incremental import DatetimeBasedCursor
from airbyte_dest_kit.sources.declarative.per_partition import PerPartitionCursor
from airbyte_dest_kit.sources.declarative.request_options import RequestParts
from airbyte_dest_kit.sources.declarative.retriever import SimpleRetriever
from airbyte_dest_kit.sources.stream import Record, Stream, StreamSlice


class ManifestStream(Stream):
    """Built by the factory, which sets ``name``, ``primary_key`` and ``cursor_field`` on a subclass per
    stream (:func:`stream_class`)."""

    def __init__(
        self,
        retriever: SimpleRetriever,
        cursor: DatetimeBasedCursor | PerPartitionCursor | None,
        schema: Callable[[], dict[str, Any]],
        context: Mapping[str, Any],
    ) -> None:
        self.retriever, self.cursor, self._schema, self.context = retriever, cursor, schema, context
        # The windows being read, each with its own copy of the cursor, until close_slice folds them in.
        self._open_windows: dict[int, DatetimeBasedCursor] = {}
        self._windows_lock = threading.Lock()

    @property
    def data_feed(self) -> bool:
        cursor = self.cursor.prototype if isinstance(self.cursor, PerPartitionCursor) else self.cursor
        return cursor is not None and cursor.data_feed

    @property
    def concurrent_slices(self) -> bool:  # type: ignore[override]
        return not isinstance(self.cursor, PerPartitionCursor)

    def json_schema(self) -> dict[str, Any]:
        return self._schema()

    def load_state(self, stream_state: Mapping[str, Any] | None) -> None:
        if self.cursor is not None:
            self.cursor.load_state(stream_state)

    def dump_state(self) -> dict[str, Any]:
        return self.cursor.dump_state() if self.cursor is not None else {}

    def slices(self) -> Iterable[StreamSlice]:
        partitions = self.retriever.partition_router.partitions()
        if self.cursor is None:
            for partition in partitions:
                yield {"partition": partition, "window": {}}
            return
        for in_partition, window in self.cursor.slices(partitions):
            yield {"partition": in_partition, "window": window}

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        yield from self.records(stream_slice)

    def records(self, stream_slice: StreamSlice) -> Iterator[dict[str, Any]]:
        partition, window = (stream_slice or {}).get("partition", {}), (stream_slice or {}).get("window", {})
        context = {**self.context, "stream_slice": {**partition, **window}, "stream_state": self.dump_state()}
        window_parts = RequestParts()
        cursor = self.cursor
        if isinstance(cursor, DatetimeBasedCursor):  # this window's own copy: windows may be read at once
            cursor = copy.copy(cursor)
            with self._windows_lock:
                self._open_windows[id(stream_slice)] = cursor
        stop_after = None
        if cursor is not None:
            cursor.open_window(window)
            window_parts = cursor.request_parts(window)
            if self.data_feed:  # newest first: past the window, later pages only hold older records
                stop_after = cursor.outside_window
        for record in self.retriever.read(partition, window_parts, context, stop_after):
            if cursor is None or cursor.observe(record):
                yield record
        if isinstance(self.cursor, PerPartitionCursor):
            self.cursor.close_window()

    def close_slice(self, stream_slice: StreamSlice) -> None:
        with self._windows_lock:
            window = self._open_windows.pop(id(stream_slice), None)
        if window is not None and isinstance(self.cursor, DatetimeBasedCursor):
            window.close_window()
            if window.cursor is not None and (self.cursor.cursor is None or window.cursor > self.cursor.cursor):
                self.cursor.cursor = window.cursor

    def all_records(self) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
        """Every record of a full read, with the partition it came from (what a child stream iterates)."""
        self.load_state(None)
        for stream_slice in self.slices():
            partition = (stream_slice or {}).get("partition", {})
            for record in self.records(stream_slice):
                yield partition, record
            with self._windows_lock:  # read for its records only: the window moves no state
                self._open_windows.pop(id(stream_slice), None)


def stream_class(name: str, primary_key: list[list[str]] | None, cursor_field: str | None) -> type[ManifestStream]:
    """A :class:`ManifestStream` subclass carrying the stream's class-level attributes."""
    attributes = {"name": name, "primary_key": primary_key, "cursor_field": cursor_field}
    return type(f"ManifestStream[{name}]", (ManifestStream,), attributes)
