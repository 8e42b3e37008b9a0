"""The acceptance suite on both vector destinations, with the scenarios that make sense for a vector store.

Rows are read back from chunks: with no ``text_fields`` a record's text is all of its fields, one
``name: value`` line each, and with a chunk size past any scenario's record every record is one chunk, so
the reader rebuilds each row from its chunk (and ``_airbyte_generation_id`` from the chunk's metadata).
Scenarios about column types, ``_airbyte_meta`` or multi-line values look at what a vector store does not
keep as columns: they are skipped, saying so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airbyte_dest_kit.testing.acceptance import DestinationAcceptance, DestinationRunner, Target
from airbyte_dest_kit.testing.acceptance.readers import Rows
from airbyte_dest_kit.writers.vector import Collection, VectorWriter
from airbyte_dest_kit.writers.vector.chroma_store import ChromaStore
from integration_tests.vector.harness import ChromaTarget, DuckDBTarget, VectorTarget

WHOLE_RECORDS = {"chunk_size": 100_000, "text_fields": []}
NOT_FOR_VECTOR_STORES = [
    ("test_append_twice_keeps_both_syncs", "reads _airbyte_meta, which chunks do not carry"),
    ("test_awkward_names_and_values_round_trip", "multi-line values and _airbyte_meta: not rebuilt from text"),
    ("test_values_at_the_limits_round_trip", "multi-line and typed values: not rebuilt from text"),
    ("test_times_and_timestamps_with_and_without_zones_round_trip", "typed columns: a chunk's text keeps the source's"),
    ("test_arrays_of_mixed_types_and_unions_round_trip", "typed columns: a chunk's text keeps the source's"),
    ("test_schema_evolution_adds_and_widens_columns", "chunks have no columns to evolve"),
    ("test_five_hundred_columns_round_trip", "typed columns: a chunk's text keeps the source's"),
    ("test_a_ten_megabyte_record_round_trips", "multi-line values, and a record past the chunk size is many chunks"),
    (
        "test_dedup_with_deletes_beside_a_stream_named_like_its_tombstones",
        "it sends the very same records (data, extraction time, sync id) in two runs and expects both kept; "
        "deterministic chunk ids take the second for a replay (each run's records stored once)",
    ),
]


def rebuilt(chunks: list[dict[str, Any]]) -> Rows:
    rows = []
    for chunk in chunks:
        row: dict[str, Any] = {"_airbyte_generation_id": chunk["metadata"].get("_ab_generation_id")}
        for line in chunk["text"].splitlines():
            name, _, value = line.partition(": ")
            try:
                row[name] = json.loads(value)
            except json.JSONDecodeError:
                row[name] = value
        rows.append(row)
    return rows


def acceptance_target(vector: VectorTarget, read: Callable[[str, str], Rows]) -> Target:
    vector.processing = dict(WHOLE_RECORDS)
    invalid = {**vector.config(), "processing": {"chunk_size": 0}}
    return Target(
        runner=DestinationRunner(vector.make),
        config=vector.config(),
        invalid_config=invalid,
        read_table=read,
        tmp=vector.tmp,
        capabilities=VectorWriter.capabilities,
    )


def skip_what_does_not_apply(cls: type) -> type:
    for name, reason in NOT_FOR_VECTOR_STORES:

        @pytest.mark.skip(reason=f"not for vector stores: {reason}")
        def skipped(self: Any) -> None: ...

        setattr(cls, name, skipped)
    return cls


@skip_what_does_not_apply
class TestDuckDBVectorAcceptance(DestinationAcceptance):
    @pytest.fixture
    def destination(self, tmp_path: Path) -> Target:
        vector = DuckDBTarget(tmp_path)

        def read(schema: str, table: str) -> Rows:
            if not vector.path.exists():
                return []
            import duckdb

            with duckdb.connect(str(vector.path), read_only=True) as con:
                found = con.execute(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
                ).fetchall()
                if not found:
                    return []
                rows = con.execute(f'SELECT text, metadata FROM "{schema}"."{table}"').fetchall()
            return rebuilt([{"text": text, "metadata": json.loads(metadata)} for text, metadata in rows])

        return acceptance_target(vector, read)


@skip_what_does_not_apply
class TestChromaAcceptance(DestinationAcceptance):
    @pytest.fixture
    def destination(self, tmp_path: Path, chroma_port: int) -> Any:
        vector = ChromaTarget(tmp_path, chroma_port)

        def read(schema: str, table: str) -> Rows:
            name = ChromaStore(vector.config()["indexing"], 1, "main").name(Collection(schema, table))
            client = vector.client()
            if name not in [c if isinstance(c, str) else c.name for c in client.list_collections()]:
                return []
            found = client.get_collection(name, embedding_function=None).get(include=["documents", "metadatas"])
            return rebuilt(
                [{"text": t, "metadata": m} for t, m in zip(found["documents"], found["metadatas"], strict=True)]
            )

        yield acceptance_target(vector, read)
        vector.cleanup()
