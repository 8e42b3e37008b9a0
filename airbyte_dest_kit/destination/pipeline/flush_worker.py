"""Types and writes batches on background threads; batches are written strictly in submission order.

The stages run at once: routing stdin (main thread), typing (two threads, each with its own single-threaded
DuckDB) and writing (one thread). DuckDB and Arrow release the GIL. The writing thread takes typed batches
back in submission order from a small reorder buffer. Typing stays ``TYPED_AHEAD`` batch ahead of the batch
being written: every typed batch waiting for the writer is memory, and each typing query holds about 90 MiB
while it runs (docs/performance.md: two ahead measured up to a tenth faster, and 60–100 MiB larger).

Every call into the writer (``open``, ``write``, ``finish``, ``close``) runs on the writing thread, the
others through :meth:`FlushWorker.call`: database connections (DuckDB's, SQLAlchemy's) are not safe to
share between threads.

After a failure no batch from the failed one on is written: those are handed back (:meth:`take_failure`)
so the caller can return their lines to the buffers; batches submitted before it are still written. Only
the typing of a batch can fail so that the sync goes on (a bad line: the caller writes what came before
it), so a typed batch lets go of its raw lines (:attr:`FlushJob.lines`) once every batch before it is
typed too: nothing can hand it back then.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import pyarrow as pa

from airbyte_dest_kit.destination.writer import Writer
from airbyte_dest_kit.errors import ConnectorError, InputError, WriterError
from airbyte_dest_kit.records.typer import RecordTyper
from airbyte_dest_kit.streams.spec import StreamSpec

T = TypeVar("T")


@dataclass
class FlushJob:
    spec: StreamSpec
    lines: pa.ChunkedArray | None  # the raw lines, until the batch is typed (None: a commit alone)
    line_numbers: pa.ChunkedArray | None
    count: int
    commit: bool = True  # Writer.commit after the batch (writers with Capabilities.defers_commits)
    sequence: int = 0
    batch: pa.Table | None = None
    error: BaseException | None = None


@dataclass
class _Call:
    function: Callable[[], Any]
    waited_for: bool = True  # else a failure stops the batches after it, as a batch's does (FlushWorker.start)
    sequence: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


_STOP = object()
TYPING_THREADS = 2
TYPED_AHEAD = 1  # typed batches waiting for the writer, besides the one it writes


class FlushWorker:
    def __init__(self, make_typer: Callable[[], RecordTyper], writer: Writer) -> None:
        self._writer = writer
        self._typers = [make_typer() for _ in range(TYPING_THREADS)]
        self._to_type: queue.Queue[object] = queue.Queue(maxsize=1)
        self._state = threading.Condition()
        self._typed: dict[int, FlushJob | _Call] = {}  # the reorder buffer, by sequence number
        self._submitted = 0  # sequence numbers handed out so far
        self._written = 0  # sequence numbers the writing thread is done with
        self._stopping = False
        self._done: list[FlushJob] = []
        self._failure: BaseException | None = None
        self._failed_at: int | None = None  # sequence number of the failed batch
        self._returned: list[FlushJob] = []
        self._typed_through = 0  # every item up to this sequence number is typed, without error
        self._typed_early: set[int] = set()  # typed without error, after an item still typing
        self._threads = [
            threading.Thread(target=self._typing_loop, args=(typer,), name=f"flush-typing-{i}", daemon=True)
            for i, typer in enumerate(self._typers)
        ]
        self._threads.append(threading.Thread(target=self._writing_loop, name="flush-writing", daemon=True))
        for thread in self._threads:
            thread.start()

    # -- the stages -----------------------------------------------------------------------------------

    def _typing_loop(self, typer: RecordTyper) -> None:
        while (item := self._to_type.get()) is not _STOP:
            assert isinstance(item, (FlushJob, _Call))
            with self._state:
                # One batch ahead of the one being written, at most: typed batches wait in memory.
                self._state.wait_for(lambda: item.sequence <= self._written + 1 + TYPED_AHEAD)
            if isinstance(item, FlushJob) and item.lines is not None and not self._failed_before(item):
                try:
                    assert item.lines is not None and item.line_numbers is not None
                    item.batch = typer.type_batch(item.spec, item.lines, item.line_numbers)
                except BaseException as exc:  # noqa: BLE001 - reported to the main thread
                    item.error = exc
            with self._state:
                self._typed[item.sequence] = item
                if isinstance(item, _Call) or item.batch is not None or item.count == 0:  # not failed, not skipped
                    self._release_raw_lines(item.sequence)
                self._state.notify_all()

    def _release_raw_lines(self, sequence: int) -> None:
        """``sequence`` is typed without error: free the raw lines of every typed batch that no earlier
        typing failure can hand back any more (call with the lock held)."""
        self._typed_early.add(sequence)
        while self._typed_through + 1 in self._typed_early:
            self._typed_through += 1
            self._typed_early.remove(self._typed_through)
            job = self._typed.get(self._typed_through)
            if isinstance(job, FlushJob):
                job.lines = job.line_numbers = None

    def _writing_loop(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._written + 1 in self._typed or self._stopping)
                item = self._typed.pop(self._written + 1, None)
                if item is None:
                    return
            if isinstance(item, _Call):
                self._run_call(item)
                if item.error is not None and not item.waited_for:
                    with self._state:
                        if self._failed_at is None or item.sequence < self._failed_at:
                            self._failure, self._failed_at = item.error, item.sequence
            else:
                self._write(item)
            with self._state:
                self._written += 1
                self._state.notify_all()

    def _failed_before(self, job: FlushJob) -> bool:
        with self._state:
            return self._failed_at is not None and job.sequence > self._failed_at

    def _write(self, job: FlushJob) -> None:
        error = job.error
        if error is None and not self._failed_before(job):
            try:
                if job.batch is not None:
                    self._writer.write(job.spec, job.batch)
                if job.commit and self._writer.capabilities.defers_commits:
                    self._writer.commit(job.spec)
            except ConnectorError as exc:
                # Bad input is found by typing; from a writer, even an InputError ends the sync.
                error = exc if not isinstance(exc, InputError) else WriterError(str(exc), stream=job.spec.label)
            except Exception as exc:  # noqa: BLE001 - reported to the main thread
                error = WriterError(
                    f"{f'writing {job.count} rows of' if job.count else 'committing'} stream {job.spec.label!r} "
                    f"failed: {exc}",
                    internal_message=repr(exc),
                    stream=job.spec.label,
                )
                error.__cause__ = exc
        job.batch = None  # the rows are in the target now (or not at all): free them
        with self._state:
            if error is not None and (self._failed_at is None or job.sequence < self._failed_at):
                self._failure, self._failed_at = error, job.sequence
            if self._failed_at is not None and job.sequence >= self._failed_at:
                self._returned.append(job)
            else:
                self._done.append(job)

    @staticmethod
    def _run_call(call: _Call) -> None:
        try:
            call.result = call.function()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            call.error = exc
        finally:
            call.done.set()

    def _enqueue(self, item: FlushJob | _Call) -> None:
        with self._state:
            self._submitted += 1
            item.sequence = self._submitted
        self._to_type.put(item)

    # -- the main thread's side -----------------------------------------------------------------------

    def submit(self, job: FlushJob) -> None:
        """Queue a batch; blocks while the typing stage is busy."""
        self._enqueue(job)

    def start(self, function: Callable[[], object]) -> None:
        """Run ``function`` on the writing thread before the batches submitted after it, without waiting for it
        (a writer's ``open`` while the first batches are read and typed). If it fails, no later batch is
        written, and the failure comes back as a failed batch's would (:meth:`take_failure`)."""
        self._enqueue(_Call(function, waited_for=False))

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the writing thread after the batches already submitted; return its result."""
        call = _Call(function)
        self._enqueue(call)
        call.done.wait()
        if call.error is not None:
            raise call.error
        return cast(T, call.result)

    def drain(self) -> None:
        """Wait until every submitted batch is written (or handed back after a failure)."""
        with self._state:
            self._state.wait_for(lambda: self._written >= self._submitted)

    def completed(self) -> list[FlushJob]:
        """Batches written since the last call, in submission order."""
        with self._state:
            done, self._done = self._done, []
        return done

    @property
    def backlog(self) -> int:
        """Batches and calls submitted and not yet written."""
        with self._state:
            return self._submitted - self._written

    @property
    def failed(self) -> bool:
        with self._state:
            return self._failure is not None

    def take_failure(self) -> tuple[BaseException, list[FlushJob]] | None:
        """The failure, if any, and the batches not written since; the worker then accepts work again."""
        self.drain()
        with self._state:
            if self._failure is None:
                return None
            failure, returned = self._failure, self._returned
            self._failure, self._failed_at, self._returned = None, None, []
        return failure, returned

    def stop(self) -> None:
        """Finish what was submitted, then end the threads and close the typers."""
        self.drain()
        for _ in self._typers:
            self._to_type.put(_STOP)
        with self._state:
            self._stopping = True
            self._state.notify_all()
        for thread in self._threads:
            thread.join()
        for typer in self._typers:
            typer.close()
