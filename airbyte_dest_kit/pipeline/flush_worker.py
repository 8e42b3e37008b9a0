"""Types and writes batches on one background thread, in submission order.

Routing stdin (main thread) and typing + writing (this thread) then run on two cores at once; DuckDB and
Arrow release the GIL. Every call into the writer (``open``, ``write``, ``finish``, ``close``) runs on this
one thread, through :meth:`FlushWorker.call` for the others: database connections (DuckDB's, SQLAlchemy's)
are not safe to share between threads. At most ``max_waiting`` batches wait behind the one being written, which bounds
memory. After a failure no further batch is written: the failed one and those behind it are handed back
(:meth:`take_failure`), so the caller can return their lines to the buffers and decide what to commit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import pyarrow as pa

from airbyte_dest_kit.errors import ConnectorError, WriterError
from airbyte_dest_kit.pipeline.record_typer import RecordTyper
from airbyte_dest_kit.writer import StreamSpec, Writer

T = TypeVar("T")


@dataclass
class _Call:
    function: Callable[[], Any]
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


@dataclass
class FlushJob:
    spec: StreamSpec
    lines: pa.ChunkedArray
    line_numbers: pa.ChunkedArray
    count: int


class FlushWorker:
    _STOP = object()

    def __init__(self, typer: RecordTyper, writer: Writer, max_waiting: int = 1) -> None:
        self._typer = typer
        self._writer = writer
        self._jobs: queue.Queue[object] = queue.Queue(maxsize=max_waiting)
        self._lock = threading.Lock()
        self._done: list[FlushJob] = []
        self._failure: BaseException | None = None
        self._returned: list[FlushJob] = []
        self._thread = threading.Thread(target=self._run, name="flush-worker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is self._STOP:
                    return
                if isinstance(job, _Call):
                    self._run_call(job)
                    continue
                assert isinstance(job, FlushJob)
                with self._lock:
                    failed = self._failure is not None
                if failed:
                    with self._lock:
                        self._returned.append(job)
                    continue
                try:
                    self._type_and_write(job)
                except BaseException as exc:  # noqa: BLE001 - reported to the main thread
                    with self._lock:
                        self._failure = exc
                        self._returned.append(job)
                else:
                    with self._lock:
                        self._done.append(job)
            finally:
                self._jobs.task_done()

    @staticmethod
    def _run_call(call: _Call) -> None:
        try:
            call.result = call.function()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            call.error = exc
        finally:
            call.done.set()

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the worker thread after the batches already submitted; return its result."""
        call = _Call(function)
        self._jobs.put(call)
        call.done.wait()
        if call.error is not None:
            raise call.error
        return cast(T, call.result)

    def _type_and_write(self, job: FlushJob) -> None:
        batch = self._typer.type_batch(job.spec, job.lines, job.line_numbers)
        try:
            self._writer.write(job.spec, batch)
        except ConnectorError:
            raise
        except Exception as exc:
            raise WriterError(
                f"writing {batch.num_rows} rows of stream {job.spec.label!r} failed: {exc}",
                internal_message=repr(exc),
                stream=job.spec.label,
            ) from exc

    def submit(self, job: FlushJob) -> None:
        """Queue a batch; blocks while ``max_waiting`` batches already wait."""
        self._jobs.put(job)

    def drain(self) -> None:
        """Wait until every submitted batch is written (or handed back after a failure)."""
        self._jobs.join()

    def completed(self) -> list[FlushJob]:
        """Batches written since the last call, in submission order."""
        with self._lock:
            done, self._done = self._done, []
        return done

    def take_failure(self) -> tuple[BaseException, list[FlushJob]] | None:
        """The failure, if any, and the batches not written since; the worker then accepts work again."""
        self.drain()
        with self._lock:
            if self._failure is None:
                return None
            failure, returned = self._failure, self._returned
            self._failure, self._returned = None, []
        return failure, returned

    @property
    def failed(self) -> bool:
        with self._lock:
            return self._failure is not None

    def stop(self) -> None:
        self._jobs.put(self._STOP)
        self._thread.join()
