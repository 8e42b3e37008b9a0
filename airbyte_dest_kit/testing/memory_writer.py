"""An in-memory :class:`Writer` with failure knobs, for testing destinations and the pipeline.

writer = MemoryWriter(fail_on_write=3)       # the third write() raises WriterError
Pipeline(writer, specs, out).run(stdin)
writer.rows("users")                           # every row written for the stream, in order
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from airbyte_dest_kit.destination.writer import Capabilities, Writer
from airbyte_dest_kit.errors import WriterError
from airbyte_dest_kit.streams.spec import StreamSpec


class MemoryWriter(Writer):
    capabilities = Capabilities(dedup=True, truncate=True)

    def __init__(self, *, fail_on_write: int | None = None, fail_on_finish: bool = False) -> None:
        self.fail_on_write = fail_on_write
        self.fail_on_finish = fail_on_finish
        self.opened: list[StreamSpec] = []
        self.batches: list[tuple[str, pa.Table]] = []
        self.finished: list[str] = []
        self.closed = False

    def open(self, streams: Sequence[StreamSpec]) -> None:
        self.opened = list(streams)

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        if self.fail_on_write is not None and len(self.batches) + 1 >= self.fail_on_write:
            raise WriterError(f"MemoryWriter: write #{len(self.batches) + 1} fails on purpose", stream=stream.label)
        self.batches.append((stream.name, batch))

    def finish(self, stream: StreamSpec) -> None:
        if self.fail_on_finish:
            raise WriterError("MemoryWriter: finish fails on purpose", stream=stream.label)
        self.finished.append(stream.name)

    def close(self) -> None:
        self.closed = True

    def rows(self, stream: str) -> list[dict[str, Any]]:
        return [row for name, batch in self.batches if name == stream for row in batch.to_pylist()]
