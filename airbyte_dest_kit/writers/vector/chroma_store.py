"""Chunks in Chroma (the ``chroma`` extra): a Chroma server (``http_client``) or a folder on disk
(``persistent_client``), with the config shape of Airbyte's destination-chroma.

Each stream's chunks are a collection named ``<collection_name>_<stream table>`` (with the schema when a
stream has a namespace of its own: ``<collection_name>_<schema>_<table>``), cosine distance; the kit's
staging and tombstone collections sit beside it. Chroma has no transactions: a dedup merge deletes a key's
earlier chunks, then adds the new ones (a query in between finds the key's chunks missing, never stale),
and an overwrite's staging collection replaces the old one by two renames (for the instant between them a
query finds the stream's collection missing; a crash between them is finished by the next sync).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import chromadb
import numpy as np
from chromadb.errors import ChromaError, NotFoundError

from airbyte_dest_kit.errors import ConfigError, TransientError
from airbyte_dest_kit.writers.vector.store import (
    CHUNK_FIELD,
    GENERATION_FIELD,
    INTERNAL_MARKER,
    Chunk,
    Collection,
    Hit,
    Vector,
    VectorStore,
)

RECORD_FIELD = "_ab_record"  # the record's key or identity (Chunk.record): Chroma deletes by metadata
PAGE = 1000  # chunks read per request when copying or listing
_INVALID = re.compile(r"[^a-zA-Z0-9._-]")


class ChromaStore(VectorStore):
    def __init__(self, indexing: Mapping[str, Any], dimensions: int, default_schema: str) -> None:
        super().__init__(dimensions)
        self.indexing, self.default_schema = indexing, default_schema
        self.prefix = str(indexing.get("collection_name") or "")
        if not self.prefix:
            raise ConfigError("'indexing.collection_name' is required")
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        auth = self.indexing.get("auth_method") or {}
        mode = auth.get("mode", "persistent_client")
        try:
            if mode == "persistent_client":
                if not auth.get("path"):
                    raise ConfigError("'indexing.auth_method.path' is required for mode persistent_client")
                return chromadb.PersistentClient(path=auth["path"])
            if mode == "http_client":
                headers = {}
                if auth.get("username"):
                    token = base64.b64encode(f"{auth['username']}:{auth.get('password') or ''}".encode()).decode()
                    headers["Authorization"] = f"Basic {token}"
                client = chromadb.HttpClient(
                    host=auth.get("host") or "localhost",
                    port=int(auth.get("port") or 8000),
                    ssl=bool(auth.get("ssl", False)),
                    headers=headers,
                )
                client.heartbeat()
                return client
        except (ChromaError, ValueError, OSError) as exc:
            raise TransientError(
                f"cannot reach Chroma ({mode}, config key 'indexing.auth_method'): {exc}; check the host, port "
                "and credentials, or that the server is up"
            ) from exc
        raise ConfigError(f"'indexing.auth_method.mode' must be persistent_client or http_client, not {mode!r}")

    def check(self) -> None:
        self.client.list_collections(limit=1)

    def name(self, collection: Collection) -> str:
        parts = (
            [self.prefix]
            + ([collection.schema] if collection.schema != self.default_schema else [])
            + [collection.table]
        )
        # Chroma's names: [a-zA-Z0-9._-], starting and ending with a letter or digit
        return _INVALID.sub("_", "_".join(parts)).rstrip("._-")

    def _get(self, collection: Collection) -> Any | None:
        try:
            return self.client.get_collection(self.name(collection), embedding_function=None)
        except (NotFoundError, ValueError):
            return None

    def _collection(self, collection: Collection) -> Any:
        found = self._get(collection)
        if found is None:
            raise ConfigError(f"the Chroma collection {self.name(collection)!r} disappeared during the sync")
        return found

    def exists(self, collection: Collection) -> bool:
        return self._get(collection) is not None

    def create(self, collection: Collection) -> None:
        self.client.get_or_create_collection(
            self.name(collection), metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def drop(self, collection: Collection) -> None:
        if self.exists(collection):
            self.client.delete_collection(self.name(collection))

    def rename(self, collection: Collection, new_table: str) -> None:
        self._collection(collection).modify(name=self.name(Collection(collection.schema, new_table)))

    def upsert(self, collection: Collection, chunks: Sequence[Chunk]) -> None:
        target = self._collection(collection)
        step = self.client.get_max_batch_size()
        for start in range(0, len(chunks), step):
            part = chunks[start : start + step]
            target.upsert(
                ids=[c.id for c in part],
                embeddings=np.stack([c.vector for c in part]),
                documents=[c.text for c in part],
                metadatas=[{**c.metadata, RECORD_FIELD: c.record} for c in part],
            )

    def delete_records(self, collection: Collection, records: Sequence[str]) -> None:
        target = self._collection(collection)
        for start in range(0, len(records), PAGE):
            target.delete(where={RECORD_FIELD: {"$in": list(records[start : start + PAGE])}})

    def _pages(
        self, collection: Collection, where: dict[str, Any] | None, include: list[str]
    ) -> Iterator[dict[str, Any]]:
        source, offset = self._collection(collection), 0
        while True:
            page = source.get(where=where, include=include, limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def first_chunks(self, collection: Collection, records: Sequence[str] | None) -> dict[str, Mapping[str, Any]]:
        if not self.exists(collection):
            return {}
        wheres: list[dict[str, Any] | None]
        if records is None:
            wheres = [{CHUNK_FIELD: 0}]
        else:
            wheres = [
                {"$and": [{RECORD_FIELD: {"$in": list(records[s : s + PAGE])}}, {CHUNK_FIELD: 0}]}
                for s in range(0, len(records), PAGE)
            ]
        found: dict[str, Mapping[str, Any]] = {}
        for where in wheres:
            for page in self._pages(collection, where, ["metadatas"]):
                for metadata in page["metadatas"]:
                    found[metadata[RECORD_FIELD]] = metadata
        return found

    def copy(self, source: Collection, target: Collection, records: Sequence[str] | None = None) -> None:
        if records is not None and not records:
            return
        where = None if records is None else {RECORD_FIELD: {"$in": list(records)}}
        into = self._collection(target)
        for page in self._pages(source, where, ["embeddings", "documents", "metadatas"]):
            into.upsert(
                ids=page["ids"],
                embeddings=[list(v) for v in page["embeddings"]],
                documents=page["documents"],
                metadatas=page["metadatas"],
            )

    def holds_only_generation(self, collection: Collection, generation: int) -> bool:
        other = self._collection(collection).get(where={GENERATION_FIELD: {"$ne": generation}}, limit=1, include=[])
        return not other["ids"]

    def delete_generations_below(self, collection: Collection, minimum: int) -> None:
        self._collection(collection).delete(where={GENERATION_FIELD: {"$lt": minimum}})

    def query(self, vector: Vector, k: int) -> list[Hit]:
        hits: list[Hit] = []
        for listed in self.client.list_collections():
            name = listed if isinstance(listed, str) else listed.name
            if not name.startswith(self.prefix + "_") or INTERNAL_MARKER in name:
                continue
            found = self.client.get_collection(name, embedding_function=None).query(
                query_embeddings=[vector], n_results=k, include=["documents", "metadatas", "distances"]
            )
            for id, text, metadata, distance in zip(
                found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
            ):
                shown = {key: value for key, value in metadata.items() if key != RECORD_FIELD}
                hits.append(Hit(text or "", shown, name, float(distance), id))
        return sorted(hits, key=lambda hit: hit.distance)[:k]

    def close(self) -> None:
        self._client = None
