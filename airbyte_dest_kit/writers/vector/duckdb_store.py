"""Chunks in a DuckDB file, the embedded vector store: one table per collection, vectors as ``FLOAT[n]``,
nearest chunks by ``array_cosine_distance``. No server, no dependency beyond the kit's own, and
transactions: a dedup merge's deletions and insertions, and an overwrite's swap, are each seen whole or not
at all. The search is exact (a scan, no index): fine up to millions of chunks.

Each table: ``id``, ``record``, ``chunk``, ``text``, ``embedding FLOAT[n]``, ``metadata JSON`` and
``generation``; any DuckDB client can read it (``SELECT text, metadata FROM docs ORDER BY
array_cosine_distance(embedding, [...]::FLOAT[n]) LIMIT 5``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.codec import dumps
from airbyte_dest_kit.streams.sql_text import literal, quote
from airbyte_dest_kit.writers.duckdb import DuckDBWriter
from airbyte_dest_kit.writers.vector.store import (
    GENERATION_FIELD,
    INTERNAL_MARKER,
    Chunk,
    Collection,
    Hit,
    Vector,
    VectorStore,
)

_BATCH = "_airbyte_chunks"  # the name a batch of chunks is scanned under


class DuckDBVectorStore(VectorStore):
    def __init__(self, path: str, dimensions: int) -> None:
        super().__init__(dimensions)
        self.database = DuckDBWriter(path, threads=1)  # its connection: attached file, memory limit, transactions
        self.schema = pa.schema(
            [
                ("id", pa.string()),
                ("record", pa.string()),
                ("chunk", pa.int32()),
                ("text", pa.string()),
                ("embedding", pa.list_(pa.float32(), dimensions)),
                ("metadata", pa.string()),
                ("generation", pa.int64()),
            ]
        )

    def check(self) -> None:
        self.database.check()

    def _table(self, collection: Collection) -> str:
        return self.database.qualified(collection.schema, collection.table)

    def _execute(self, sql: str, parameters: Sequence[Any] | None = None) -> list[Any]:
        return self.database.con.execute(sql, parameters).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.database.transaction():
            yield

    def exists(self, collection: Collection) -> bool:
        found = self._execute(
            "SELECT data_type FROM information_schema.columns WHERE table_catalog = 'destination' "
            "AND table_schema = ? AND table_name = ? AND column_name = 'embedding'",
            [collection.schema, collection.table],
        )
        if found and found[0][0] != f"FLOAT[{self.dimensions}]":
            raise ConfigError(
                f"the table {collection.schema}.{collection.table} holds {found[0][0]} vectors, not "
                f"FLOAT[{self.dimensions}]: set 'embedding.dimensions' to match, or drop the table to start over"
            )
        return bool(found) or self.database.columns_of(collection.schema, collection.table) is not None

    def create(self, collection: Collection) -> None:
        self.database.create_schema(collection.schema)
        self._execute(
            f"CREATE TABLE IF NOT EXISTS {self._table(collection)} (id VARCHAR, record VARCHAR, chunk INTEGER, "
            f"text VARCHAR, embedding FLOAT[{self.dimensions}], metadata JSON, generation BIGINT)"
        )

    def drop(self, collection: Collection) -> None:
        self._execute(f"DROP TABLE IF EXISTS {self._table(collection)}")

    def rename(self, collection: Collection, new_table: str) -> None:
        self._execute(f"ALTER TABLE {self._table(collection)} RENAME TO {quote(new_table)}")

    def upsert(self, collection: Collection, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        vectors = np.stack([c.vector for c in chunks]).astype(np.float32, copy=False)
        batch = pa.table(
            [
                [c.id for c in chunks],
                [c.record for c in chunks],
                [c.metadata.get("_ab_chunk", 0) for c in chunks],
                [c.text for c in chunks],
                pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), self.dimensions),
                [dumps(c.metadata).decode() for c in chunks],
                [c.metadata.get(GENERATION_FIELD) for c in chunks],
            ],
            schema=self.schema,
        )
        table, con = self._table(collection), self.database.con
        con.register(_BATCH, batch)
        try:  # a replayed chunk replaces its earlier copy
            con.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {_BATCH})")
            con.execute(f"INSERT INTO {table} SELECT * FROM {_BATCH}")
        finally:
            con.unregister(_BATCH)

    def delete_records(self, collection: Collection, records: Sequence[str]) -> None:
        self._execute(f"DELETE FROM {self._table(collection)} WHERE record IN (SELECT unnest(?))", [list(records)])

    def first_chunks(self, collection: Collection, records: Sequence[str] | None) -> dict[str, Mapping[str, Any]]:
        if not self.exists(collection):
            return {}
        sql = f"SELECT record, metadata FROM {self._table(collection)} WHERE chunk = 0"
        rows = (
            self._execute(sql)
            if records is None
            else self._execute(sql + " AND record IN (SELECT unnest(?))", [list(records)])
        )
        return {record: json.loads(metadata) for record, metadata in rows}

    def copy(self, source: Collection, target: Collection, records: Sequence[str] | None = None) -> None:
        only, parameters = ("WHERE record IN (SELECT unnest(?))", [list(records)]) if records is not None else ("", [])
        chosen = f"SELECT * FROM {self._table(source)} {only}"
        self._execute(f"DELETE FROM {self._table(target)} WHERE id IN (SELECT id FROM ({chosen}))", parameters)
        self._execute(f"INSERT INTO {self._table(target)} {chosen}", parameters)

    def holds_only_generation(self, collection: Collection, generation: int) -> bool:
        sql = f"SELECT count(*) FROM {self._table(collection)} WHERE generation IS DISTINCT FROM ?"
        return bool(self._execute(sql, [generation])[0][0] == 0)

    def delete_generations_below(self, collection: Collection, minimum: int) -> None:
        self._execute(f"DELETE FROM {self._table(collection)} WHERE coalesce(generation, -1) < ?", [minimum])

    def query(self, vector: Vector, k: int) -> list[Hit]:
        tables = self._execute(
            "SELECT table_schema, table_name FROM information_schema.columns WHERE table_catalog = 'destination' "
            f"AND column_name = 'embedding' AND data_type = 'FLOAT[{self.dimensions}]' ORDER BY ALL"
        )
        selects = [
            f"SELECT id, text, metadata, {literal(f'{schema}.{table}')} AS collection, "
            f"array_cosine_distance(embedding, $vector::FLOAT[{self.dimensions}]) AS distance "
            f"FROM {self.database.qualified(schema, table)}"
            for schema, table in tables
            if INTERNAL_MARKER not in table
        ]
        if not selects:
            return []
        rows = self.database.con.execute(
            " UNION ALL ".join(selects) + " ORDER BY distance LIMIT $k", {"vector": vector.tolist(), "k": k}
        ).fetchall()
        return [
            Hit(text, json.loads(metadata), collection, float(distance), id)
            for id, text, metadata, collection, distance in rows
        ]

    def close(self) -> None:
        self.database.close()
