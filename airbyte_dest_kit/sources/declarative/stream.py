"""``DeclarativeStream`` on the kit's :class:`~airbyte_dest_kit.sources.stream.Stream`: the reader's slices,
checkpoints, statuses and error traces apply to manifest streams unchanged.

A slice is one partition (from the partition router) and one date window (from the incremental cursor);
a STATE follows every slice. Full-refresh reads of an incremental stream also walk the windows from
``start_datetime``.
"""

from __future__ import annotations

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
        if self.cursor is not None:
            self.cursor.open_window(window)
            window_parts = self.cursor.request_parts(window)
        for record in self.retriever.read(partition, window_parts, context):
            if self.cursor is None or self.cursor.observe(record):
                yield record
        if self.cursor is not None:
            self.cursor.close_window()

    def all_records(self) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
        """Every record of a full read, with the partition it came from (what a child stream iterates)."""
        self.load_state(None)
        for stream_slice in self.slices():
            partition = (stream_slice or {}).get("partition", {})
            for record in self.records(stream_slice):
                yield partition, record


def stream_class(name: str, primary_key: list[list[str]] | None, cursor_field: str | None) -> type[ManifestStream]:
    """A :class:`ManifestStream` subclass carrying the stream's class-level attributes."""
    attributes = {"name": name, "primary_key": primary_key, "cursor_field": cursor_field}
    return type(f"ManifestStream[{name}]", (ManifestStream,), attributes)
