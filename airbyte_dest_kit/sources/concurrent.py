"""Reading one stream's slices with a pool of workers, for streams whose slices are independent.

One thread walks :meth:`~airbyte_dest_kit.sources.stream.Stream.slices` (the *partition generator*), up to
``workers`` slices ahead of the workers; ``workers`` threads each read one slice at a time and serialise its
records into blocks of RECORD lines; the thread that called :meth:`ConcurrentRead.run` is the only one that
writes the output. Between the workers and that writer is one bounded queue (``queue_blocks`` blocks of at
most :data:`~airbyte_dest_kit.sources.output.BLOCK_LINES` lines, or of a bulk stream's size), so memory stays
bounded however slow stdout is.

Checkpoints. Slices are numbered in the order the generator yields them. The writer keeps the low-water
mark: the first slice not yet finished. When a finished slice moves it, the writer calls ``close_slice`` for
every slice the mark passed, in order, and then checkpoints: the state covers exactly the slices below the
mark, whose records all went out before it (a worker sends a slice's *done* after its last block, on the
same queue). The state never goes backwards, and the stream ends with one final checkpoint (no duplicate
when the last slice's checkpoint was already it).

No deadlock, by construction: the writer is the only consumer and never waits on anything but the queue;
every other thread's wait (for a slice, for room in the queue) is a timed wait that gives up once the read
is cancelled, and every thread's last act is to say it ended, so the writer always knows whether more is to
come. A failing slice or generator cancels the read: the other threads stop at their next record, the
writer emits the checkpoint it owes for the slices already done, and the error fails the stream.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from airbyte_dest_kit.errors import ConfigError, SystemFailure
from airbyte_dest_kit.protocol.codec import stream_status_message
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.output import BLOCK_LINES, RECORD_SUFFIX, BufferedOutput, record_prefix
from airbyte_dest_kit.sources.stream import Stream, StreamSlice

DEFAULT_CONCURRENCY = 4
"""Workers per stream when a source does not choose: modest, since most APIs limit request rates."""
MAX_CONCURRENCY = 64
# How long a worker or the generator waits at a time before it looks whether the read was cancelled.
_POLL_SECONDS = 0.05
# How long the writer waits, after a failure, for the other threads to notice and stop.
_STOP_SECONDS = 30.0


class CheckpointPacer:
    """Whether a slice-end checkpoint is due: always with ``min_seconds`` 0, else when that long has passed
    since the previous one (the caller emits the owed one at the end)."""

    def __init__(self, min_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_seconds, self.clock = min_seconds, clock
        self._last: float | None = None

    def due(self) -> bool:
        now = self.clock()
        if self.min_seconds <= 0 or self._last is None or now - self._last >= self.min_seconds:
            self._last = now
            return True
        return False


def check_concurrency(level: Any, where: str) -> int:
    """``level`` as a worker count, or a :class:`ConfigError` naming ``where`` (a config key or manifest path)."""
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_CONCURRENCY:
        raise ConfigError(f"{where}: the concurrency level must be a whole number from 1 to {MAX_CONCURRENCY}")
    return level


@dataclass(frozen=True)
class _Lines:
    block: bytes | memoryview
    count: int


@dataclass(frozen=True)
class _Done:
    index: int
    stream_slice: StreamSlice


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True)
class _GeneratorEnded:
    slices: int


@dataclass(frozen=True)
class _Message:
    message: dict[str, Any]


_Item = _Lines | _Done | _Failed | _GeneratorEnded | _Message


class _Cancelled(Exception):
    """Raised inside a worker or the generator to unwind once the read is cancelled."""


class ConcurrentRead:
    """One stream read by ``workers`` threads; :meth:`run` on the thread that owns ``output``.

    ``checkpoint(count)`` emits the stream's state (after ``close_slice``), ``count`` being the records since
    the previous checkpoint; ``uncheckpointed`` holds the records after the last one when :meth:`run` raises.
    """

    def __init__(
        self,
        stream: Stream,
        output: BufferedOutput,
        events: SourceEvents,
        checkpoint: Callable[[int], None],
        emitted_at: Callable[[], int],
        *,
        workers: int,
        queue_blocks: int | None = None,
    ) -> None:
        self.stream, self.output, self.events = stream, output, events
        self.checkpoint, self.emitted_at, self.workers = checkpoint, emitted_at, workers
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=queue_blocks or 2 * workers)
        self._work: queue.Queue[tuple[int, StreamSlice]] = queue.Queue(maxsize=workers)
        self._cancelled = threading.Event()
        self._writer = threading.get_ident()
        self.uncheckpointed = 0

    # -- the writer ------------------------------------------------------------------------------------

    def run(self) -> None:
        name, namespace = self.stream.name, self.stream.namespace
        threads = [threading.Thread(target=self._generate, name=f"{name}-slices", daemon=True)]
        threads += [
            threading.Thread(target=self._work_on_slices, name=f"{name}-worker-{n}", daemon=True)
            for n in range(self.workers)
        ]
        finished: dict[int, StreamSlice] = {}
        low_water = 0  # the first slice not yet finished: the state covers every slice before it
        total: int | None = None  # slices in all, once the generator is done
        pacer = CheckpointPacer(self.stream.min_seconds_between_states)
        owed = True  # a checkpoint the stream still needs (at least the final one)
        running = False
        with self._messages_from_workers():
            for thread in threads:
                thread.start()
            try:
                while total is None or low_water < total:
                    item = self._next(threads)
                    if isinstance(item, _Lines):
                        if not running and item.count:
                            self.output.message(stream_status_message(name, namespace, "RUNNING"))
                            running = True
                        self.output.pending.append(item.block)
                        self.output.write_pending()
                        self.uncheckpointed += item.count
                    elif isinstance(item, _Done):
                        finished[item.index] = item.stream_slice
                        closed_before = low_water
                        while low_water in finished:
                            self.stream.close_slice(finished.pop(low_water))
                            low_water += 1
                        if low_water > closed_before:
                            owed = True
                            if pacer.due():
                                self._checkpoint()
                                owed = False
                    elif isinstance(item, _Message):
                        self.output.message(item.message)
                    elif isinstance(item, _GeneratorEnded):
                        total = item.slices
                    else:
                        raise item.error
                if owed:
                    self._checkpoint()
            except BaseException:
                self._cancelled.set()
                if owed and low_water:  # what finished before the failure stays resumable
                    self._checkpoint()
                raise
            finally:
                self._cancelled.set()
                self._stop(threads)

    def _checkpoint(self) -> None:
        self.checkpoint(self.uncheckpointed)
        self.uncheckpointed = 0

    def _next(self, threads: list[threading.Thread]) -> _Item:
        while True:
            try:
                return self._queue.get(timeout=0.5)
            except queue.Empty:
                # Every thread says when it ends, so an empty queue with none left alive is a bug, not a wait.
                if not any(thread.is_alive() for thread in threads) and self._queue.empty():
                    raise SystemFailure(
                        f"stream {self.stream.name!r}: the concurrent read lost track of its workers"
                    ) from None

    def _stop(self, threads: list[threading.Thread]) -> None:
        """Let every thread see the cancellation; drain the queue so none stays blocked on a full one."""
        deadline = time.monotonic() + _STOP_SECONDS
        for thread in threads:
            while thread.is_alive() and time.monotonic() < deadline:
                self._drain()
                thread.join(_POLL_SECONDS)
        self._drain()

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    @contextmanager
    def _messages_from_workers(self) -> Iterator[None]:
        """Messages a worker's stream reports (a rate limit) go through the queue: only the writer writes."""

        def route(message: dict[str, Any]) -> None:
            if threading.get_ident() == self._writer:
                self.output.message(message)
            else:
                self._put(_Message(message))

        with self.events.routed_to(route):
            yield

    # -- the generator and the workers -----------------------------------------------------------------

    def _put(self, item: _Item) -> None:
        while True:
            if self._cancelled.is_set():
                raise _Cancelled
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def _generate(self) -> None:
        count = 0
        try:
            for stream_slice in self.stream.slices():
                while True:
                    if self._cancelled.is_set():
                        return
                    try:
                        self._work.put((count, stream_slice), timeout=_POLL_SECONDS)
                        break
                    except queue.Full:
                        continue
                count += 1
            self._put(_GeneratorEnded(count))
        except _Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the writer, which fails the stream with it
            self._report_failure(exc)

    def _work_on_slices(self) -> None:
        try:
            while not self._cancelled.is_set():
                try:
                    index, stream_slice = self._work.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    continue
                self._read_slice(stream_slice)
                self._put(_Done(index, stream_slice))
        except _Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the writer, which fails the stream with it
            self._report_failure(exc)

    def _report_failure(self, error: BaseException) -> None:
        try:
            self._put(_Failed(error))
        except _Cancelled:  # another failure came first; the writer raises that one
            pass

    def _read_slice(self, stream_slice: StreamSlice) -> None:
        prefix = record_prefix(self.stream.name, self.stream.namespace, self.emitted_at())
        blocks = self.stream.read_lines(stream_slice, prefix)
        if blocks is not None:
            for block in blocks:
                self._put(_Lines(block.block, block.count))
            return
        dumps, suffix, cancelled = orjson.dumps, RECORD_SUFFIX, self._cancelled
        lines: list[bytes] = []
        for record in self.stream.read(stream_slice):
            lines.append(prefix + dumps(record) + suffix)
            if len(lines) >= BLOCK_LINES:
                if cancelled.is_set():
                    raise _Cancelled
                self._put(_Lines(b"".join(lines), len(lines)))
                lines = []
        if lines:
            self._put(_Lines(b"".join(lines), len(lines)))
