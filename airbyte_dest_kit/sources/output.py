"""Buffered output for ``read``: lines are collected and written in large blocks.

A source emits hundreds of thousands of records per second; one ``write`` per line would cost more than
serialising them. Every message of a read (records, states, traces, control) goes through the same buffer
so their order on stdout is the order they were emitted in.
"""

from __future__ import annotations

from typing import Any

import orjson

from airbyte_dest_kit.protocol.codec import MessageWriter

# ~64 KiB blocks for typical records: large enough to amortise the write call, small enough that the joined
# block stays below malloc's mmap threshold (bigger blocks cost a page-faulting mmap/munmap each, measured
# at +50% run time), and the size of a pipe buffer.
BLOCK_LINES = 128


def record_prefix(name: str, namespace: str | None, emitted_at: int) -> bytes:
    """The bytes of a RECORD line up to its ``data``, in the canonical key order (``stream`` first)."""
    head = b'{"type":"RECORD","record":{"stream":' + orjson.dumps(name)
    if namespace is not None:
        head += b',"namespace":' + orjson.dumps(namespace)
    return head + b',"emitted_at":%d,"data":' % emitted_at


RECORD_SUFFIX = b"}}\n"


class BufferedOutput:
    """Collects complete lines in ``pending`` and writes them as one block every ``BLOCK_LINES`` lines.

    The read loop appends record lines to ``pending`` itself (it is the hot path) and calls
    :meth:`write_pending` when ``len(pending) >= BLOCK_LINES``.
    """

    def __init__(self, writer: MessageWriter) -> None:
        self._writer = writer
        self.pending: list[bytes | memoryview] = []  # lines, or blocks of lines a stream serialised

    def message(self, message: dict[str, Any]) -> None:
        self.pending.append(orjson.dumps(message) + b"\n")

    def write_pending(self) -> None:
        if self.pending:
            self._writer.write_lines(b"".join(self.pending))
            self.pending.clear()

    def flush(self) -> None:
        self.write_pending()
        self._writer.flush()
