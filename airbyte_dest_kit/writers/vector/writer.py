"""The vector layer: records become documents, documents chunks, chunks vectors, on the kit's modes.

:class:`VectorWriter` is a :class:`~airbyte_dest_kit.store.StoreWriter`: the modes are the store layer's,
written once (:mod:`airbyte_dest_kit.store.modes`), and this class maps its tables onto a
:class:`~airbyte_dest_kit.writers.vector.store.VectorStore`'s collections:

- append: a batch's records are chunked, embedded and upserted. Chunk ids are deterministic (the stream,
  the record's identity, the chunk's index), so a batch replayed after a crash replaces its own chunks
  instead of adding copies. A record's identity in append modes is a hash of its data and extraction
  time (and which copy it is, for the very same record twice in one batch): two versions of one key are
  two records, and the very same record sent again in a later run is stored once.
- overwrite / truncate refreshes: batches go to the staging collection, which replaces the stream's
  collection when the stream completes (by renames, :func:`airbyte_dest_kit.store.swap_by_renames`;
  inside one transaction where the store has them, so readers see the old chunks or the new ones). A
  failed sync leaves the old collection as it was.
- append_dedup (a :class:`~airbyte_dest_kit.store.Merges` store): a record's identity is its primary key;
  the versions of a key are ranked by the kit's winner rule (:func:`airbyte_dest_kit.streams.winner.ranking`,
  the cursor and extraction time of the stored version are kept in chunk 0's metadata), and a winning
  version deletes every earlier chunk of its key before its own are added, in one transaction where the
  store has them; a CDC delete removes the key's chunks and keeps a tombstone, so an older version arriving
  later still loses. A record that shrinks from five chunks to three leaves no stale chunk.

Every chunk's metadata names its stream and carries the record's primary key where the stream has one
(:mod:`.store` lists the fields), beside the configured ``metadata_fields``.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import functools
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import ConfigError, InputError
from airbyte_dest_kit.protocol.codec import loads, rate_limited_message
from airbyte_dest_kit.store import MergeTarget, StoreWriter, SwapPair, resume_renames, swap_by_renames
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import EXTRACTED_AT, GENERATION_ID, LINE_NUMBER, SOURCE_DATA, StreamSpec
from airbyte_dest_kit.streams.winner import ranking
from airbyte_dest_kit.writers.vector.embeddings import Embedder, FieldEmbedder
from airbyte_dest_kit.writers.vector.processing import DocumentMaker, chunk_texts, make_splitter, values_at
from airbyte_dest_kit.writers.vector.store import (
    CHUNK_FIELD,
    CURSOR_FIELD,
    DELETED_FIELD,
    EXTRACTED_AT_FIELD,
    GENERATION_FIELD,
    RECORD_ID_FIELD,
    STREAM_FIELD,
    Chunk,
    Collection,
    Vector,
    VectorStore,
)
from airbyte_dest_kit.writers.vector.store_thread import OneBehind, StoreThread

# Records chunked, embedded and stored at a time: one call to the embedder (its requests batched by its own
# limits), one write to the store; two slices at most are in memory.
SLICE_ROWS = 250
_MICROSECONDS = pa.timestamp("us", "UTC")
CHUNK_ID_NAMESPACE = uuid.UUID("6f1c3c1e-8d4e-4a51-9a36-0c1d5f7e2b10")  # the namespace of chunk ids (uuid5)


@dataclass
class Pieces:
    """A slice's chunks before embedding, in order: each one's record, id, text, metadata and vector (where the
    record holds it, or the chunk is a tombstone; else None); and each record's chunk 0 metadata (the winner
    rule's terms)."""

    records: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    vectors: list[Vector | None] = field(default_factory=list)
    firsts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, record: str, chunk_id: str, text: str, metadata: dict[str, Any], vector: Vector | None) -> None:
        if metadata[CHUNK_FIELD] == 0:
            self.firsts[record] = metadata
        self.records.append(record)
        self.ids.append(chunk_id)
        self.texts.append(text)
        self.metadata.append(metadata)
        self.vectors.append(vector)


class VectorWriter(StoreWriter):
    # The record's data as the source sent it: text and metadata fields are dot paths into it.
    naming = Capabilities(stores_source_json=True)

    def __init__(self, store: VectorStore, embedder: Embedder, processing: Mapping[str, Any]) -> None:
        if embedder.dimensions != store.dimensions:
            raise ConfigError(
                f"the embedder makes {embedder.dimensions}-dimensional vectors, the store holds {store.dimensions}"
            )
        # every call into the store on one thread of its own, slices embedded and stored there (OneBehind)
        self.store, self.embedder = StoreThread(store), embedder
        self.documents = DocumentMaker(processing)
        self.split = make_splitter(processing)
        self._unit: Vector = np.eye(1, store.dimensions, dtype=np.float32)[0]  # a tombstone's vector
        self._lines: list[int] = []  # the input line of each row of the batch being written
        # Where the writer sends messages of its own (a rate-limited stream's status); the destination sets it.
        self.emit: Callable[[dict[str, Any]], None] | None = None

    def check(self) -> None:
        self.store.check()

    def close(self) -> None:
        self.embedder.close()
        self.store.close()

    # -- the modes' entry points ------------------------------------------------------------------

    def open(self, streams: Sequence[StreamSpec]) -> None:
        for stream in streams:  # a swap that stopped midway is finished first
            resume_renames(self, stream)
        super().open(streams)

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        self._lines = batch.column(LINE_NUMBER).to_pylist()
        super().write(stream, batch)

    @staticmethod
    def _collection(stream: StreamSpec, table: str) -> Collection:
        return Collection(stream.schema_name, table)

    # -- the store interface, on collections ------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.store.transaction():
            yield

    def columns(self, stream: StreamSpec, table: str) -> dict[str, ColumnType | None] | None:
        if not self.store.exists(self._collection(stream, table)):
            return None
        return {column.name: column.type for column in stream.all_columns}  # chunks have no columns to evolve

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        collection = self._collection(stream, table)
        if not self.store.exists(collection):
            self.store.create(collection)

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        collection = self._collection(stream, table)
        copies: Counter[str] = Counter()  # the same record (data and extraction time) sent more than once
        with OneBehind(self.store) as behind:
            for start in range(0, rows.num_rows, SLICE_ROWS):
                pieces = self._pieces(stream, rows.slice(start, SLICE_ROWS), start, copies)
                behind.submit(functools.partial(self._append_slice, stream, collection, pieces))

    def _append_slice(self, stream: StreamSpec, collection: Collection, pieces: Pieces) -> None:
        self.store.upsert(collection, self._embedded(stream, pieces))

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        self.store.copy(self._collection(stream, source), self._collection(stream, target))

    def drop(self, stream: StreamSpec, table: str) -> None:
        self.store.drop(self._collection(stream, table))

    def rename(self, stream: StreamSpec, table: str, new_name: str) -> None:
        self.store.rename(self._collection(stream, table), new_name)

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        return self.store.holds_only_generation(self._collection(stream, table), generation)

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        self.store.delete_generations_below(self._collection(stream, table), minimum)

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        swap_by_renames(self, stream, pairs)  # inside the modes' transaction: atomic where the store has them

    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        live = self._collection(stream, target.live)
        tombstones = self._collection(stream, target.tombstones) if target.tombstones else None
        if isinstance(source, str):  # a given-up refresh's staged chunks, one version per key
            staged = self._collection(stream, source)
            candidates = self.store.first_chunks(staged, None)
            winners = self._winners(stream, live, tombstones, candidates)
            self._delete(live, tombstones, winners)
            kept = [r for r in winners if not candidates[r].get(DELETED_FIELD)]
            gone = [r for r in winners if candidates[r].get(DELETED_FIELD)]
            self.store.copy(staged, live, kept)
            if tombstones is not None and gone:
                self.store.copy(staged, tombstones, gone)
            return
        with OneBehind(self.store) as behind:
            for start in range(0, source.num_rows, SLICE_ROWS):  # one row per key: slices are independent
                pieces = self._pieces(stream, source.slice(start, SLICE_ROWS), start, None)
                behind.submit(functools.partial(self._merge_slice, stream, live, tombstones, pieces))

    def _merge_slice(self, stream: StreamSpec, live: Collection, tombstones: Collection | None, pieces: Pieces) -> None:
        won = self._winners(stream, live, tombstones, pieces.firsts)
        landing = self._embedded(stream, pieces, set(won))  # before deleting: a store without transactions
        self._delete(live, tombstones, won)  # keeps the old chunks if the embedder fails
        self.store.upsert(live, [c for c in landing if not c.metadata.get(DELETED_FIELD)])
        if tombstones is not None:
            self.store.upsert(tombstones, [c for c in landing if c.metadata.get(DELETED_FIELD)])

    # -- documents, chunks, vectors ---------------------------------------------------------------

    def _delete(self, live: Collection, tombstones: Collection | None, records: Sequence[str]) -> None:
        if records:
            for collection in (live, tombstones):
                if collection is not None:
                    self.store.delete_records(collection, records)

    def _winners(
        self,
        stream: StreamSpec,
        live: Collection,
        tombstones: Collection | None,
        candidates: Mapping[str, Mapping[str, Any]],
    ) -> list[str]:
        """The records among ``candidates`` (record → its chunk 0's metadata) that beat the stored version of
        their key by the winner rule; on a full tie the candidate wins (it arrived later)."""
        records = list(candidates)
        stored = dict(self.store.first_chunks(live, records))
        if tombstones is not None:
            stored.update(self.store.first_chunks(tombstones, records))
        return [r for r in records if r not in stored or not _ranks_above(stream, stored[r], candidates[r])]

    def _pieces(self, stream: StreamSpec, rows: pa.Table, offset: int, copies: Counter[str] | None) -> Pieces:
        """Every chunk of ``rows`` (from row ``offset`` of the batch) but the vectors an embedder makes.
        ``copies`` None: a record's identity is its primary key (dedup); else its data and extraction time,
        the copies of a record seen so far in the batch counted there."""
        by_key = copies is None
        needed = {SOURCE_DATA, EXTRACTED_AT, GENERATION_ID, *stream.primary_key}
        needed.update(name for name in (stream.cursor, stream.cdc_deleted_column) if by_key and name)
        columns = rows.select([name for name in rows.column_names if name in needed]).to_pydict()  # not the typed text
        # the extraction times as _rank_value writes a timestamp, a slice at a time
        extracted_texts = pc.strftime(rows.column(EXTRACTED_AT).cast(_MICROSECONDS), "%Y-%m-%dT%H:%M:%S").to_pylist()
        keys = [columns[name] for name in stream.primary_key]
        # A CDC delete deletes in dedup only; other modes keep it as a record, like every other store.
        deleted = columns[stream.cdc_deleted_column] if by_key and stream.cdc_deleted_column else [None] * rows.num_rows
        cursor = columns[stream.cursor] if by_key and stream.cursor else None
        pieces, chunk_id = Pieces(), ChunkIds(stream)
        for index, (data_text, extracted_at, generation) in enumerate(
            zip(columns[SOURCE_DATA], columns[EXTRACTED_AT], columns[GENERATION_ID], strict=True)
        ):
            line = self._lines[offset + index] if offset + index < len(self._lines) else offset + index + 1
            key = "_".join(str(values[index]) for values in keys) if keys else None
            record_key = f"{stream.label}_{key}" if key is not None else None
            if by_key and record_key is not None:
                identity = record_key
            else:  # the n-th copy of a record is a record of its own, the same one when the batch is replayed
                assert copies is not None
                content = _identity(data_text, extracted_at)
                copies[content] += 1
                identity = content if copies[content] == 1 else f"{content}-{copies[content]}"
            metadata: dict[str, Any] = {STREAM_FIELD: stream.label, EXTRACTED_AT_FIELD: extracted_texts[index]}
            if generation is not None:
                metadata[GENERATION_FIELD] = generation
            if record_key is not None:
                metadata[RECORD_ID_FIELD] = record_key
            if cursor is not None and cursor[index] is not None:
                metadata[CURSOR_FIELD] = _rank_value(cursor[index])
            if deleted[index] is not None:  # a CDC delete: no text needed, its key's chunks go
                tombstone = {**metadata, DELETED_FIELD: True, CHUNK_FIELD: 0}
                pieces.add(identity, chunk_id(identity, 0), "", tombstone, self._unit)
                continue
            data = loads(data_text) if data_text else {}
            document = self.documents.document(data)
            if document.text is None:
                raise ConfigError(  # a config error, as in Airbyte's vector destinations
                    f"line {line}: the record of stream {stream.label!r} holds none of the text fields "
                    f"({self.documents.describe_text_fields()}): set 'processing.text_fields' to fields every "
                    "record has",
                    stream=stream.label,
                )
            vector = self._vector_from_field(stream, data, line) if isinstance(self.embedder, FieldEmbedder) else None
            metadata.update(
                {name: _metadata_value(value) for name, value in document.metadata.items() if value is not None}
            )
            for number, text in enumerate(chunk_texts(self.split, document.text)):
                pieces.add(identity, chunk_id(identity, number), text, {**metadata, CHUNK_FIELD: number}, vector)
        return pieces

    def _embedded(self, stream: StreamSpec, pieces: Pieces, only: set[str] | None = None) -> list[Chunk]:
        """The chunks of ``pieces`` (of the records in ``only``, unless None) with their vectors: one call to
        the embedder for every text that has none."""
        chosen = range(len(pieces.records)) if only is None else [i for i, r in enumerate(pieces.records) if r in only]
        vectors = pieces.vectors
        to_embed = [i for i in chosen if vectors[i] is None]
        if to_embed:
            self.embedder.on_rate_limited = lambda wait: self._rate_limited(stream, wait)
            vectors = list(vectors)
            for i, vector in zip(to_embed, self.embedder.embed([pieces.texts[i] for i in to_embed]), strict=True):
                vectors[i] = vector
        ids, records, texts, metadata = pieces.ids, pieces.records, pieces.texts, pieces.metadata
        return [Chunk(ids[i], records[i], texts[i], vectors[i], metadata[i]) for i in chosen]  # type: ignore[arg-type]

    def _rate_limited(self, stream: StreamSpec, wait: float) -> None:
        if self.emit is not None:
            self.emit(rate_limited_message(stream.name, stream.namespace, wait))

    def _vector_from_field(self, stream: StreamSpec, data: Mapping[str, Any], line: int) -> Vector:
        assert isinstance(self.embedder, FieldEmbedder)
        name, dimensions = self.embedder.field_name, self.embedder.dimensions
        values = values_at(data, name)
        vector = values[0] if len(values) == 1 else None
        if not isinstance(vector, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in vector
        ):
            problem = "is missing" if not values else "is not a list of numbers"
        elif len(vector) != dimensions:
            problem = f"has {len(vector)} dimensions, not {dimensions} ('embedding.dimensions')"
        else:
            return np.asarray(vector, dtype=np.float32)
        raise InputError(
            f"stream {stream.label!r}: the vector field {name!r} (embedding.field_name) {problem}",
            line=line,
            stream=stream.label,
        )


def _identity(data_text: str | None, extracted_at: Any) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update((data_text or "").encode())
    digest.update(str(extracted_at).encode())
    return digest.hexdigest()


class ChunkIds:
    """A stream's chunk ids: ``uuid5(CHUNK_ID_NAMESPACE, "<stream>\\x1f<record>\\x1f<chunk index>")``, the SHA-1 of the
    namespace and stream hashed once per stream, and no UUID object made per chunk."""

    def __init__(self, stream: StreamSpec) -> None:
        self.prefix = hashlib.sha1(CHUNK_ID_NAMESPACE.bytes + f"{stream.label}\x1f".encode())

    def __call__(self, record: str, number: int) -> str:
        digest = self.prefix.copy()
        digest.update(f"{record}\x1f{number}".encode())
        raw = bytearray(digest.digest()[:16])
        raw[6] = raw[6] & 0x0F | 0x50  # version 5
        raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
        text = raw.hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _rank_value(value: Any) -> Any:
    """A cursor or extraction time as metadata: comparable with the same column's other values (a timestamp
    as ISO 8601 text of one fixed width, so text order is time order)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return _metadata_value(value)


def _metadata_value(value: Any) -> Any:
    """Metadata values are str, int, float or bool (what every vector store takes); others as JSON text."""
    if isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def _ranks_above(stream: StreamSpec, stored: Mapping[str, Any], candidate: Mapping[str, Any]) -> bool:
    """Whether the stored version of a key ranks above the candidate by :func:`ranking`'s terms."""
    for term in ranking(stream):
        name = CURSOR_FIELD if term.column == stream.cursor else EXTRACTED_AT_FIELD
        a, b = stored.get(name), candidate.get(name)
        if a == b:
            continue
        if a is None or b is None:  # only the cursor is nullable: a NULL ranks below every value
            return b is None
        try:
            return bool(a > b)
        except TypeError:  # the cursor changed type between syncs: compare as text
            return str(a) > str(b)
    return False
