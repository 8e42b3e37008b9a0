"""What a vector store implements: :class:`VectorStore`, a handful of operations on collections of chunks.

The modes are not here: :class:`~airbyte_dest_kit.writers.vector.writer.VectorWriter` maps the kit's store
interface (tables, swaps, merges: :mod:`airbyte_dest_kit.store`) onto these operations, so a new vector
store gets every sync mode by implementing them. A collection is named by the stream's schema and a table
name of the stream's layout (its own, staging, tombstones, previous); the store maps the pair to a name it
accepts.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

# Metadata every chunk carries, besides the configured ``metadata_fields``.
STREAM_FIELD = "_ab_stream"  # the stream's name (namespace.name when it has a namespace)
RECORD_ID_FIELD = "_ab_record_id"  # the stream and the record's primary key, Airbyte's form: "stream_k1_k2"
CHUNK_FIELD = "_ab_chunk"  # the chunk's index in its record
GENERATION_FIELD = "_ab_generation_id"
EXTRACTED_AT_FIELD = "_ab_extracted_at"  # ISO 8601, UTC: ranks versions of a key (the winner rule)
CURSOR_FIELD = "_ab_cursor"  # the stream's cursor value, for dedup streams that have one
DELETED_FIELD = "_ab_deleted"  # a tombstone: the key was deleted (CDC), in the tombstone collection only
# Names of the collections the kit keeps beside a stream's own (staging, tombstones, ...) all hold this.
INTERNAL_MARKER = "_airbyte_"

Vector = npt.NDArray[np.float32]  # one vector: ``dimensions`` floats


@dataclass(frozen=True)
class Collection:
    schema: str
    table: str


class Chunk(NamedTuple):  # a tuple: a sync makes one per chunk, and a frozen dataclass is slower to make
    id: str  # deterministic: the stream, the record's key or identity, and the chunk's index
    record: str  # the record's key (dedup) or identity (other modes): every chunk of the record shares it
    text: str
    vector: Vector
    metadata: Mapping[str, Any]  # values are str, int, float or bool


@dataclass(frozen=True)
class Hit:
    text: str
    metadata: dict[str, Any]
    collection: str
    distance: float  # cosine distance, smaller is nearer
    id: str = field(default="")


class VectorStore(abc.ABC):
    """The operations of a vector store. Each is durable when it returns, or at the end of
    :meth:`transaction` where the store has transactions."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions

    def check(self) -> None:
        """Connect, and fail with a ConfigError naming the config key to fix."""

    @abc.abstractmethod
    def exists(self, collection: Collection) -> bool: ...

    @abc.abstractmethod
    def create(self, collection: Collection) -> None:
        """Create an empty collection of :attr:`dimensions`-dimensional vectors (cosine distance)."""

    @abc.abstractmethod
    def drop(self, collection: Collection) -> None:
        """Remove the collection if it exists."""

    @abc.abstractmethod
    def rename(self, collection: Collection, new_table: str) -> None:
        """Give the collection the free name ``new_table``."""

    @abc.abstractmethod
    def upsert(self, collection: Collection, chunks: Sequence[Chunk]) -> None:
        """Add the chunks; a chunk whose id is already stored replaces it."""

    @abc.abstractmethod
    def delete_records(self, collection: Collection, records: Sequence[str]) -> None:
        """Delete every chunk of these records (:attr:`Chunk.record`)."""

    @abc.abstractmethod
    def first_chunks(self, collection: Collection, records: Sequence[str] | None) -> dict[str, Mapping[str, Any]]:
        """The metadata of chunk 0 of each of these records that is stored (None: of every record)."""

    @abc.abstractmethod
    def copy(self, source: Collection, target: Collection, records: Sequence[str] | None = None) -> None:
        """Upsert into ``target`` the chunks of ``source`` (of these records only, unless None), vectors included."""

    @abc.abstractmethod
    def holds_only_generation(self, collection: Collection, generation: int) -> bool:
        """Whether every chunk's ``_ab_generation_id`` is ``generation``."""

    @abc.abstractmethod
    def delete_generations_below(self, collection: Collection, minimum: int) -> None: ...

    @abc.abstractmethod
    def query(self, vector: Vector, k: int) -> list[Hit]:
        """The ``k`` chunks nearest to ``vector`` across the streams' collections (not the kit's own)."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Operations inside happen together where the store has transactions (default: none)."""
        yield

    def close(self) -> None:
        """Release connections."""
