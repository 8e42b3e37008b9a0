"""Every mode twice on both vector destinations: the chunks each leaves, what a shrinking record, a CDC delete,
a failed overwrite and a kill -9 leave behind, texts at the edges, records without text, query."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from airbyte_dest_kit.connectors.destination_duckdb_vector.connector import DestinationDuckDBVector
from airbyte_dest_kit.testing.builders import catalog, record, stream_state
from airbyte_dest_kit.writers.vector import VectorStore
from airbyte_dest_kit.writers.vector.duckdb_store import DuckDBVectorStore
from integration_tests.vector.harness import ChromaTarget, DuckDBTarget, VectorTarget, doc, per_record, stream, sync


def test_append_twice_adds_every_chunk_and_a_replayed_sync_adds_none(target: VectorTarget) -> None:
    sync(target, "append", [doc(1, 3), doc(2, 1)])
    assert per_record(target) == {1: 4, 2: 2}  # the title line joins the first sentence's chunk or stands alone
    first = {c["id"] for c in target.chunks("docs")}
    sync(target, "append", [doc(1, 3), doc(2, 1)], emitted_at=1_700_000_000_999)  # a new extraction: new records
    assert per_record(target) == {1: 8, 2: 4}
    sync(target, "append", [doc(1, 3), doc(2, 1)], emitted_at=1_700_000_000_999)  # the same records again
    chunks = target.chunks("docs")
    assert per_record(target) == {1: 8, 2: 4} and len({c["id"] for c in chunks}) == len(chunks)
    assert first < {c["id"] for c in chunks}
    meta = chunks[0]["metadata"]
    assert meta["_ab_stream"] == "docs" and "_ab_record_id" not in meta  # no primary key: none to carry


def test_dedup_twice_a_shrinking_record_leaves_no_stale_chunk_and_a_stale_version_loses(target: VectorTarget) -> None:
    sync(target, "append_dedup", [doc(1, 5), doc(2, 2)])
    assert per_record(target) == {1: 6, 2: 3}
    sync(target, "append_dedup", [doc(1, 2, updated=2, word="cat"), doc(2, 4, updated=0)])  # 2: an older version
    chunks = target.chunks("docs")
    assert per_record(target) == {1: 3, 2: 3}
    ones = [c["text"] for c in chunks if c["metadata"]["id"] == 1]
    assert all("fox" not in text for text in ones) and any("cat1" in text for text in ones)
    assert {c["metadata"]["_ab_record_id"] for c in chunks} == {"docs_1", "docs_2"}
    assert [c["metadata"]["_ab_chunk"] for c in chunks if c["metadata"]["id"] == 1] == [0, 1, 2]


def test_dedup_in_one_batch_the_last_version_wins(target: VectorTarget) -> None:
    sync(target, "append_dedup", [doc(1, 4), doc(1, 1, updated=1, word="owl"), doc(1, 6, updated=0)])
    assert [c["text"] for c in target.chunks("docs")] == [
        "title: T1",
        "body: The quick brown owl0 jumps over the lazy dog.",
    ]


def test_cdc_delete_removes_every_chunk_of_the_key_and_needs_no_text(target: VectorTarget) -> None:
    sync(target, "append_dedup", [doc(1, 5), doc(2, 1)])
    deletion = {"id": 1, "updated": 2, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}  # no title, no body
    sync(target, "append_dedup", [deletion])
    assert per_record(target) == {2: 2}
    sync(target, "append_dedup", [doc(1, 3, updated=1)])  # older than the delete: loses
    assert per_record(target) == {2: 2}
    sync(target, "append_dedup", [doc(1, 1, updated=3)])  # newer: the key is back
    assert per_record(target) == {1: 2, 2: 2}


def test_overwrite_twice_keeps_only_the_last_sync(target: VectorTarget) -> None:
    sync(target, "overwrite", [doc(1, 3), doc(2, 1)], generation_id=1, minimum_generation_id=1, sync_id=1)
    sync(target, "overwrite", [doc(3, 1)], generation_id=2, minimum_generation_id=2, sync_id=2)
    assert per_record(target) == {3: 2}
    assert not [name for name in target.collections() if "airbyte" in name.split("docs", 1)[-1]]


def test_overwrite_failing_halfway_keeps_the_old_collection(target: VectorTarget) -> None:
    sync(target, "overwrite", [doc(1, 3)], generation_id=1, minimum_generation_id=1, sync_id=1)
    configured = stream("overwrite", generation_id=2, minimum_generation_id=2, sync_id=2)
    messages = [record("docs", doc(5, 2)), stream_state("docs", {"n": 1}), record("docs", {"id": 6})]  # no text
    run = target.write(catalog(configured), messages)
    error = run.assert_failed()
    assert error["failure_type"] == "config_error" and "line 3" in error["message"]
    assert "title, body" in error["message"] and "'docs'" in error["message"]
    assert per_record(target) == {1: 4}, "the old chunks stay until an overwrite completes"
    sync(target, "overwrite", [doc(7, 1)], generation_id=3, minimum_generation_id=3, sync_id=3)
    assert per_record(target) == {7: 2}


def test_kill_9_mid_sync_then_a_rerun_leaves_no_duplicate_chunk(target: VectorTarget) -> None:
    target.processing = {**target.processing, "chunk_size": 200}
    target.extra = {"buffering": {"max_rows": 100}}
    configured = catalog(stream("append"))
    docs = [doc(i, 2) for i in range(1500)]
    live = target.start_write(configured)
    messages: list[dict[str, Any]] = []
    for start in range(0, len(docs), 100):
        messages += [record("docs", d) for d in docs[start : start + 100]] + [stream_state("docs", {"n": start})]

    def pump() -> None:
        try:
            live.send(messages)
        except (BrokenPipeError, OSError, ValueError):
            pass  # killed

    feeder = threading.Thread(target=pump, daemon=True)
    feeder.start()
    assert all(live.next_state(timeout=120) for _ in range(2)), live.printed[-3:]
    live.kill()
    feeder.join(30)
    assert 0 < len(target.chunks("docs")) < 1500, "the kill came too late (or too early) to test anything"
    sync(target, "append", docs)  # the rerun replays every record, some already stored
    chunks = target.chunks("docs")
    assert len(chunks) == len({c["id"] for c in chunks}) == 1500  # one chunk per record at chunk_size 200
    assert set(per_record(target).values()) == {1}


def test_unicode_and_very_long_texts_are_chunked_whole(target: VectorTarget) -> None:
    target.processing = {**target.processing, "chunk_size": 1000, "chunk_overlap": 0}
    long_body = " ".join(f"слово{n} 漢字{n} 🦆{n}" for n in range(20_000))  # about 400,000 characters
    sync(target, "append_dedup", [{"id": 1, "title": "Ünïcödé ✓", "body": long_body, "updated": 1}])
    texts = target.texts("docs")
    assert len(texts) > 300 and all(len(t) <= 1000 for t in texts)
    assert texts[0].startswith("title: Ünïcödé ✓")
    joined = " ".join(texts)
    assert "слово19999 漢字19999 🦆19999" in joined and "слово0 " in joined


def test_a_record_without_any_text_field_fails_naming_stream_line_and_fields(target: VectorTarget) -> None:
    run = target.write(catalog(stream("append")), [record("docs", doc(1, 1)), record("docs", {"id": 2, "updated": 1})])
    error = run.assert_failed()
    assert error["failure_type"] == "config_error"
    assert "line 2" in error["message"] and "processing.text_fields" in error["message"]
    assert run.states() == []


def test_from_field_takes_the_record_vector_and_a_wrong_dimension_names_stream_line_and_field(
    target: VectorTarget,
) -> None:
    target.embedding = {"mode": "from_field", "field_name": "meta.vector", "dimensions": 16}
    good = {**doc(1, 1), "meta": {"vector": [1.0] + [0.0] * 15}}
    sync(target, "append", [good])
    assert per_record(target) == {1: 2}
    bad = {**doc(2, 1), "meta": {"vector": [1.0, 2.0]}}
    run = target.write(catalog(stream("append")), [record("docs", good), stream_state("docs", {}), record("docs", bad)])
    error = run.assert_failed()
    assert (
        "line 3" in error["message"]
        and "'meta.vector'" in error["message"]
        and "2 dimensions, not 16" in error["message"]
    )
    assert "'docs'" in error["message"]


def test_query_prints_the_nearest_chunks_with_their_metadata(target: VectorTarget) -> None:
    sync(target, "append_dedup", [doc(1, 1, word="otter"), doc(2, 1, word="heron"), doc(3, 1, word="badger")])
    run = target.run("query", "--text", "heron0 jumps", "-k", "2")
    assert run.returncode == 0, run.stdout
    hits = [m for m in run.messages if "distance" in m]
    assert len(hits) == 2 and "heron0" in hits[0]["text"]
    assert hits[0]["metadata"]["_ab_record_id"] == "docs_2" and hits[0]["metadata"]["_ab_stream"] == "docs"


def test_chroma_persistent_client_writes_to_the_path_as_given(tmp_path: Path) -> None:
    chroma = ChromaTarget(tmp_path, port=0)
    folder = tmp_path / "chroma-files"
    persistent = {
        "indexing": {"auth_method": {"mode": "persistent_client", "path": str(folder)}, "collection_name": "kb"}
    }
    chroma.config = lambda: {**persistent, "processing": chroma.processing, "embedding": chroma.embedding}  # type: ignore[method-assign]
    sync(chroma, "append_dedup", [doc(1, 2), doc(2, 1)])
    sync(chroma, "append_dedup", [doc(1, 1, updated=2)])
    run = chroma.run("query", "--text", "fox0 jumps", "-k", "10")
    assert run.returncode == 0, run.stdout
    hits = [m for m in run.messages if "distance" in m]
    assert sorted((h["metadata"]["id"], h["metadata"]["_ab_chunk"]) for h in hits) == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert {h["collection"] for h in hits} == {"kb_docs"} and folder.is_dir()


def test_duckdb_refuses_vectors_of_another_dimension_than_its_table(tmp_path: Path) -> None:
    duckdb_target = DuckDBTarget(tmp_path)
    sync(duckdb_target, "append", [doc(1, 1)])
    duckdb_target.embedding = {"mode": "fake", "dimensions": 8}
    error = duckdb_target.write(catalog(stream("append")), [record("docs", doc(2, 1))]).assert_failed()
    assert error["failure_type"] == "config_error" and "FLOAT[16]" in error["message"]
    assert "'embedding.dimensions'" in error["message"] and per_record(duckdb_target) == {1: 2}


class _ThreadNotingStore(DuckDBVectorStore):
    """DuckDB's store, noting the thread of every call into it."""

    threads: set[str] = set()

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name not in VectorStore.__abstractmethods__ | {"transaction", "check", "close"}:
            return attribute

        def noted(*args: Any, **kwargs: Any) -> Any:
            _ThreadNotingStore.threads.add(threading.current_thread().name)
            return attribute(*args, **kwargs)

        return noted


def test_every_call_into_the_store_runs_on_one_thread_of_its_own(tmp_path: Path) -> None:
    # slices are embedded and stored beside the chunking of the next: a store whose connection belongs to
    # one thread (sqlite3's, many drivers') must still see one thread, in every mode
    def destination() -> DestinationDuckDBVector:
        made = DestinationDuckDBVector()
        made.create_store = lambda config, dimensions: _ThreadNotingStore(config["destination_path"], dimensions)  # type: ignore[method-assign]
        return made

    target = DuckDBTarget(tmp_path)
    target.make = destination  # type: ignore[method-assign]
    many = [doc(i, 3) for i in range(600)]  # more than two slices of records
    for mode in ("append", "append_dedup", "overwrite"):
        sync(target, mode, many)
    assert len(_ThreadNotingStore.threads) == 1 and _ThreadNotingStore.threads != {"MainThread"}
    assert len(per_record(target)) == 600
