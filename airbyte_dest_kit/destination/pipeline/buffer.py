"""Per-stream buffers of raw RECORD lines (Arrow arrays) waiting to be typed and written."""

from __future__ import annotations

import bisect
import time

import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.streams.spec import StreamSpec


class StreamBuffer:
    """Raw lines of one stream since its last flush, with their line numbers.

    ``seen`` counts every record routed to the stream, ``written`` those the writer took and ``committed``
    those it made durable (a writer that defers commits stages rows until asked, ``commit_asked`` records
    being covered by a commit on its way); the state ledger compares ``seen`` and ``committed``. Lines handed
    to the writer leave the buffer (:meth:`take`); if the writer could not take them they come back
    (:meth:`give_back`).
    """

    def __init__(self, spec: StreamSpec) -> None:
        self.spec = spec
        self._lines: list[pa.Array] = []
        self._numbers: list[pa.Array] = []
        self._single_lines: list[str] = []
        self._single_numbers: list[int] = []
        self.rows = 0
        self.bytes = 0
        self.oldest: float | None = None  # monotonic time of the oldest buffered line
        self._unordered = False
        self.seen = 0
        self.written = 0
        self.committed = 0
        self.commit_asked = 0
        self.batches = 0

    def add_run(self, lines: pa.Array, numbers: pa.Array) -> None:
        self._store(lines, numbers)
        self.seen += len(lines)

    def add_line(self, line: str, number: int) -> None:
        self._single_lines.append(line)
        self._single_numbers.append(number)
        self._grow(1, len(line))
        self.seen += 1

    def _store(self, lines: pa.Array, numbers: pa.Array) -> None:
        self._lines.append(lines)
        self._numbers.append(numbers)
        self._grow(len(lines), lines.nbytes)  # offsets included: close enough for a flush policy

    def _grow(self, rows: int, size: int) -> None:
        if self.oldest is None:
            self.oldest = time.monotonic()
        self.rows += rows
        self.bytes += size

    def drop_from(self, line_number: int) -> None:
        """Forget buffered lines at or after ``line_number`` (input after a bad line is never written)."""
        lines, numbers = self._in_order()
        keep = bisect.bisect_left(numbers.to_pylist(), line_number)
        self.seen -= self.rows - keep
        self._reset()
        self._keep(lines.slice(0, keep), numbers.slice(0, keep))

    def take(self, count: int | None = None) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
        """The first ``count`` buffered lines (all by default) in line order, ``(lines, line_numbers)``; they
        leave the buffer for the writer (``seen`` stays), the rest stays with its age."""
        lines, numbers = self._in_order()
        oldest = self.oldest
        self._reset()
        if count is not None and count < len(lines):
            self._keep(lines.slice(count), numbers.slice(count))
            self.oldest = oldest
            lines, numbers = lines.slice(0, count), numbers.slice(0, count)
        return lines, numbers

    def _in_order(self) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
        lines = pa.chunked_array(self._lines, pa.large_string())
        numbers = pa.chunked_array(self._numbers, pa.int64())
        if not (self._single_lines or self._unordered):
            return lines, numbers  # the runs are in input order already: no copy
        lines = pa.chunked_array([*lines.chunks, pa.array(self._single_lines, pa.large_string())])
        numbers = pa.chunked_array([*numbers.chunks, pa.array(self._single_numbers, pa.int64())])
        order = pc.sort_indices(numbers)
        return lines.take(order), numbers.take(order)

    def _keep(self, lines: pa.ChunkedArray, numbers: pa.ChunkedArray) -> None:
        for kept_lines, kept_numbers in zip(lines.chunks, numbers.chunks, strict=True):
            self._store(kept_lines, kept_numbers)

    def give_back(self, lines: pa.ChunkedArray, numbers: pa.ChunkedArray) -> None:
        """Return lines of a batch that was not written (they were counted in ``seen`` already)."""
        self._keep(lines, numbers)
        self._unordered = True

    def _reset(self) -> None:
        self._lines, self._numbers, self._single_lines, self._single_numbers = [], [], [], []
        self.rows = 0
        self.bytes = 0
        self.oldest = None
        self._unordered = False
