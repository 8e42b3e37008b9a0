"""One thread for every call into a vector store, and a sync's slices pipelined onto it.

The vector writer embeds and stores a slice of records while it chunks the next (:class:`OneBehind`), so
the store is busy on one thread while the writer works on another. A store's connection may belong to the
thread that opened it (sqlite3's, many drivers'), so :class:`StoreThread` runs every call into the store on
one thread of its own: the writer's calls (``exists``, a transaction's begin and end, ...) and the pipelined
jobs alike. A store author writes for one thread, as for any other writer.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

from airbyte_dest_kit.writers.vector.store import Chunk, Collection, Hit, Vector, VectorStore

T = TypeVar("T")


class StoreThread(VectorStore):
    """``store``, every call of it run on one thread (calls made on that thread run at once)."""

    def __init__(self, store: VectorStore) -> None:
        super().__init__(store.dimensions)
        self.store = store
        self._thread: threading.Thread | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-store", initializer=self._enter)

    def _enter(self) -> None:
        self._thread = threading.current_thread()

    def run(self, function: Callable[..., T], *args: Any) -> T:
        if threading.current_thread() is self._thread:
            return function(*args)
        return self._executor.submit(function, *args).result()

    def submit(self, job: Callable[[], None]) -> Future[None]:
        return self._executor.submit(job)

    def check(self) -> None:
        self.run(self.store.check)

    def exists(self, collection: Collection) -> bool:
        return self.run(self.store.exists, collection)

    def create(self, collection: Collection) -> None:
        self.run(self.store.create, collection)

    def drop(self, collection: Collection) -> None:
        self.run(self.store.drop, collection)

    def rename(self, collection: Collection, new_table: str) -> None:
        self.run(self.store.rename, collection, new_table)

    def upsert(self, collection: Collection, chunks: Sequence[Chunk]) -> None:
        self.run(self.store.upsert, collection, chunks)

    def delete_records(self, collection: Collection, records: Sequence[str]) -> None:
        self.run(self.store.delete_records, collection, records)

    def first_chunks(self, collection: Collection, records: Sequence[str] | None) -> dict[str, Mapping[str, Any]]:
        return self.run(self.store.first_chunks, collection, records)

    def copy(self, source: Collection, target: Collection, records: Sequence[str] | None = None) -> None:
        self.run(self.store.copy, source, target, records)

    def holds_only_generation(self, collection: Collection, generation: int) -> bool:
        return self.run(self.store.holds_only_generation, collection, generation)

    def delete_generations_below(self, collection: Collection, minimum: int) -> None:
        self.run(self.store.delete_generations_below, collection, minimum)

    def query(self, vector: Vector, k: int) -> list[Hit]:
        return self.run(self.store.query, vector, k)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        context = self.run(self.store.transaction)
        self.run(context.__enter__)
        try:
            yield
        except BaseException as error:
            if not self.run(context.__exit__, type(error), error, error.__traceback__):
                raise
        else:
            self.run(context.__exit__, None, None, None)

    def close(self) -> None:
        try:
            self.run(self.store.close)
        finally:
            self._executor.shutdown()


class OneBehind:
    """Runs jobs on the store's thread, in order, one at a time, while the caller prepares the next: making
    chunks is Python work, embedding and storing mostly wait on a model or a database, so the two overlap. A
    job is submitted only once the one before it has finished (two slices in memory at most), and leaving
    the block waits for the last one, so the batch's transaction ends after every write of it. A job's error
    is raised in the caller."""

    def __init__(self, store: StoreThread) -> None:
        self.store = store
        self.running: Future[None] | None = None

    def submit(self, job: Callable[[], None]) -> None:
        self.wait()
        self.running = self.store.submit(job)

    def wait(self) -> None:
        running, self.running = self.running, None
        if running is not None:
            running.result()

    def __enter__(self) -> OneBehind:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if error is None:
            self.wait()
        elif self.running is not None:  # the caller's error is the one to report; the store is left idle
            concurrent.futures.wait([self.running])
