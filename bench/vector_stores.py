"""The embedded vector store compared: the kit's DuckDBVectorStore and LanceDB (through a small adapter
here), on the operations the vector writer does, in the shape it does them.

    .venv/bin/pip install lancedb        (the kit itself does not need it)
    .venv/bin/python bench/vector_stores.py [--records N] [--runs R] [--stores duckdb,lancedb,lancedb-add]
    .venv/bin/python bench/vector_stores.py --crash       # kill -9 each store mid-write, then read it

The data set: ``--records`` records (100,000) of 4 chunks, each chunk a uuid id, its record's key, ~500
characters of text, a metadata JSON object like the writer's and a random unit vector of 384 float32; the
chunks are the writer's :class:`Chunk` objects (vectors as float32 NumPy rows), made outside the timers.
Each store runs in a process of its own (its peak RSS is that process's ``ru_maxrss``), best of ``--runs``:

1. append: upserts of 1,000 chunks (250 records) into one collection, all records; ``lancedb`` upserts with
   ``merge_insert("id")``, ``lancedb-add`` with plain ``add`` (right only when no chunk id can come twice).
2. dedup (not for ``lancedb-add``): 40 rounds of: chunk 0's metadata of 250 stored records, delete those
   records' chunks, upsert their 1,000 new chunks: DuckDB in one transaction; LanceDB as two commits,
   and as the one commit of a ``merge_insert`` that also deletes the records' other chunks
   (``lancedb-1commit``).
3. query (DuckDB and ``lancedb`` only, as 4.): top 5 by cosine distance, exact (a scan), and for LanceDB
   with an IVF_PQ index (its build time and its recall of the exact top 5 and top 1, re-ranking 10 times
   5 candidates by their full vectors).
4. overwrite swap: a second collection written (batches of 10,000) then put in the first one's place:
   DuckDB by the writer's renames in one transaction; LanceDB OSS has no ``rename_table``, so by an
   ``overwrite`` of the first table with the second's rows (one commit, a copy).

On-disk sizes are taken after the append and at the end; LanceDB's also after ``optimize`` (compaction
and removal of old versions), which it needs after many small commits.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airbyte_dest_kit.writers.vector.duckdb_store import DuckDBVectorStore  # noqa: E402
from airbyte_dest_kit.writers.vector.store import Chunk, Collection, Vector  # noqa: E402

WORK = ROOT / ".bench" / "vector_stores"
DIMENSIONS = 384
CHUNKS_PER_RECORD = 4
BATCH_CHUNKS = 1_000
DEDUP_ROUNDS = 40
QUERIES = 5
FINAL, STAGING, PREVIOUS = Collection("main", "docs"), Collection("main", "_airbyte_docs_staging"), "_airbyte_docs_old"
WORDS = (
    "duck goose swan heron pond river lake reed nest feather wing migrate winter summer dawn dusk quack splash "
    "water bread shore marsh flock glide dive paddle meadow willow current ripple mud pebble sky cloud rain"
).split()
_IDS = uuid.UUID("6f1c7c1e-93a4-4d6e-9b1f-0f7d3c2a5b10")


def texts() -> list[str]:
    chooser = random.Random(7)
    return [" ".join(chooser.choice(WORDS) for _ in range(85))[:500] for _ in range(997)]


def chunks_of(records: range, version: int, pool: list[str]) -> list[Chunk]:
    """The chunks of these records, as the writer makes them: ids from the record and the chunk's index."""
    vectors = np.random.default_rng([records.start, version]).standard_normal(
        (len(records) * CHUNKS_PER_RECORD, DIMENSIONS), dtype=np.float32
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = list(vectors)
    made = []
    for r in records:
        key = f"articles_{r}"
        for n in range(CHUNKS_PER_RECORD):
            metadata = {
                "_ab_stream": "articles",
                "_ab_extracted_at": f"2026-12-06T10:{version % 60:02d}:00.000000Z",
                "_ab_generation_id": 0,
                "_ab_record_id": key,
                "_ab_chunk": n,
                "author": f"author-{r % 50}",
            }
            text = pool[(r * CHUNKS_PER_RECORD + n) % len(pool)]
            row = rows[(r - records.start) * CHUNKS_PER_RECORD + n]
            made.append(Chunk(str(uuid.uuid5(_IDS, f"{key}\x1f{n}")), key, text, row, metadata))
    return made


class LanceStore:
    """The operations the vector writer needs, on a LanceDB folder: one Lance table per collection."""

    def __init__(self, path: str, dimensions: int, plain_add: bool = False) -> None:
        import lancedb

        self.db = lancedb.connect(path)
        self.dimensions, self.plain_add = dimensions, plain_add
        # the kit's table layout, so both stores hold the same columns
        in_memory = DuckDBVectorStore(":memory:", dimensions)
        self.schema = in_memory.schema
        in_memory.close()

    @staticmethod
    def name(collection: Collection | str) -> str:
        return collection if isinstance(collection, str) else f"{collection.schema}__{collection.table}"

    def table(self, collection: Collection | str) -> Any:
        return self.db.open_table(self.name(collection))

    def create(self, collection: Collection) -> None:
        self.db.create_table(self.name(collection), schema=self.schema, mode="overwrite")

    def batch(self, chunks: Sequence[Chunk]) -> pa.Table:
        flat = np.asarray([c.vector for c in chunks], dtype=np.float32).ravel()
        columns = {
            "id": [c.id for c in chunks],
            "record": [c.record for c in chunks],
            "chunk": [c.metadata.get("_ab_chunk", 0) for c in chunks],
            "text": [c.text for c in chunks],
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(flat), self.dimensions),
            "metadata": [json.dumps(c.metadata, ensure_ascii=False) for c in chunks],
            "generation": [c.metadata.get("_ab_generation_id") for c in chunks],
        }
        return pa.Table.from_pydict(columns, schema=self.schema)

    def upsert(self, collection: Collection | str, chunks: Sequence[Chunk]) -> None:
        table = self.table(collection)
        if self.plain_add:
            table.add(self.batch(chunks))
        else:
            table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(self.batch(chunks))

    def replace_records(self, collection: Collection, records: Sequence[str], chunks: Sequence[Chunk]) -> None:
        """Delete the records' chunks and upsert their new ones in one commit."""
        merge = self.table(collection).merge_insert("id").when_matched_update_all().when_not_matched_insert_all()
        merge.when_not_matched_by_source_delete(_record_filter(records)).execute(self.batch(chunks))

    def delete_records(self, collection: Collection, records: Sequence[str]) -> None:
        self.table(collection).delete(_record_filter(records))

    def first_chunks(self, collection: Collection, records: Sequence[str]) -> dict[str, Any]:
        found = (
            self.table(collection)
            .search()
            .where(f"chunk = 0 AND {_record_filter(records)}")
            .select(["record", "metadata"])
            .limit(len(records))
            .to_arrow()
        )
        return {
            r: json.loads(m) for r, m in zip(found["record"].to_pylist(), found["metadata"].to_pylist(), strict=True)
        }

    def swap(self) -> str:
        """Put the staging table's rows in the final one's place. LanceDB OSS has no ``rename_table`` (it
        raises NotImplementedError), so the final table gets a new version holding a copy of them: one commit."""
        rows = self.table(STAGING).search().limit(None).to_batches(10_000)
        self.table(FINAL).add(rows, mode="overwrite")
        self.db.drop_table(self.name(STAGING))
        return "add(mode='overwrite'): a copy, one commit"

    def query(self, vector: Vector, k: int, refine: int | None = None) -> list[str]:
        """Exact without an index; with one, ``refine`` times ``k`` candidates re-ranked by their full vectors."""
        search = self.table(FINAL).search(list(vector)).distance_type("cosine").select(["id", "_distance"])
        found = (search.refine_factor(refine) if refine else search).limit(k).to_arrow()
        return [str(i) for i in found["id"].to_pylist()]

    def index(self) -> None:
        self.table(FINAL).create_index(
            metric="cosine", vector_column_name="embedding", num_partitions=256, num_sub_vectors=48
        )

    def optimize(self) -> None:
        self.table(FINAL).optimize(cleanup_older_than=timedelta(0))

    def count(self) -> int:
        return int(self.table(FINAL).count_rows())


def _record_filter(records: Sequence[str]) -> str:
    return "record IN (" + ", ".join("'" + r.replace("'", "''") + "'" for r in records) + ")"


def folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def open_store(kind: str, path: Path) -> Any:
    if kind == "duckdb":
        return DuckDBVectorStore(str(path / "vectors.duckdb"), DIMENSIONS)
    return LanceStore(str(path / "lance"), DIMENSIONS, plain_add=kind == "lancedb-add")


def timed(spent: dict[str, float], part: str) -> Callable[[Callable[[], Any]], Any]:
    def run(function: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return function()
        finally:
            spent[part] = spent.get(part, 0.0) + time.perf_counter() - started

    return run


def near_stored_vectors(records: int, pool: list[str]) -> list[Vector]:
    """Query vectors with near neighbours, as a real query has: stored chunks' vectors, moved a little
    (random vectors of 384 dimensions are all about as far from each other, no index finds their nearest)."""
    stored = [chunks_of(range(r, r + 1), 0, pool)[0].vector for r in range(0, records, records // QUERIES)]
    noise = np.random.default_rng(5).standard_normal((len(stored), DIMENSIONS)) * 0.03
    moved = np.asarray(stored) + noise
    return list((moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32))


def best_query_seconds(query: Callable[[Vector], Any], vectors: list[Vector]) -> float:
    """The mean over the query vectors of each one's best of three."""
    bests = []
    for vector in vectors:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            query(vector)
            times.append(time.perf_counter() - started)
        bests.append(min(times))
    return sum(bests) / len(bests)


def with_peak(result: dict[str, Any], spent: dict[str, float]) -> dict[str, Any]:
    return {**result, **spent, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def child(kind: str, records: int, folder: Path) -> dict[str, Any]:
    pool, spent = texts(), {}
    store = open_store(kind, folder)
    store.create(FINAL)
    for first in range(0, records, BATCH_CHUNKS // CHUNKS_PER_RECORD):
        batch = chunks_of(range(first, min(first + BATCH_CHUNKS // CHUNKS_PER_RECORD, records)), 0, pool)
        timed(spent, "append")(lambda b=batch: store.upsert(FINAL, b))
    if kind == "duckdb":
        store.database.con.execute("CHECKPOINT")
    result: dict[str, Any] = {"size_after_append": folder_size(folder)}
    if kind == "lancedb-add":  # the same as lancedb from here on
        return with_peak(result, spent)

    chooser = random.Random(11)
    for round_ in range(DEDUP_ROUNDS):
        start = chooser.randrange(0, records - 250)
        new = chunks_of(range(start, start + 250), round_ + 1, pool)
        keys = [f"articles_{r}" for r in range(start, start + 250)]

        def dedup(keys: list[str] = keys, new: list[Chunk] = new) -> None:
            if kind == "lancedb-1commit":
                assert len(store.first_chunks(FINAL, keys)) == len(keys)
                store.replace_records(FINAL, keys, new)
                return
            with store.transaction() if kind == "duckdb" else contextlib.nullcontext():
                assert len(store.first_chunks(FINAL, keys)) == len(keys)
                store.delete_records(FINAL, keys)
                store.upsert(FINAL, new)

        timed(spent, "dedup")(dedup)
    if kind == "lancedb-1commit":  # the same as lancedb from here on
        return with_peak(result, spent)

    query_vectors = near_stored_vectors(records, pool)
    if kind == "duckdb":
        exact = [[h.id for h in store.query(v, 5)] for v in query_vectors]
        result["query"] = best_query_seconds(lambda v: store.query(v, 5), query_vectors)
    else:
        result["size_before_optimize"] = folder_size(folder)
        result["query_fragments"] = best_query_seconds(lambda v: store.query(v, 5), query_vectors)
        timed(spent, "optimize")(store.optimize)
        result["size_optimized"] = folder_size(folder)
        exact = [store.query(v, 5) for v in query_vectors]
        result["query"] = best_query_seconds(lambda v: store.query(v, 5), query_vectors)
        timed(spent, "index")(store.index)
        approximate = [store.query(v, 5, refine=10) for v in query_vectors]
        result["query_indexed"] = best_query_seconds(lambda v: store.query(v, 5, refine=10), query_vectors)
        found = sum(len(set(a) & set(e)) for a, e in zip(approximate, exact, strict=True))
        result["recall"] = found / (5 * len(exact))
        # the query vectors' one near chunk: the others of a top 5 of random vectors are all about as far
        result["recall_at_1"] = sum(a[0] == e[0] for a, e in zip(approximate, exact, strict=True)) / len(exact)
    result["size_end_of_queries"] = folder_size(folder)

    store.create(STAGING)
    for first in range(0, records, 2_500):
        batch = chunks_of(range(first, min(first + 2_500, records)), 99, pool)
        timed(spent, "second_collection")(lambda b=batch: store.upsert(STAGING, b))
    if kind == "duckdb":

        def swap() -> str:
            with store.transaction():
                store.drop(Collection(FINAL.schema, PREVIOUS))
                store.rename(FINAL, PREVIOUS)
                store.rename(STAGING, FINAL.table)
                store.drop(Collection(FINAL.schema, PREVIOUS))
            return "renames in one transaction"

        result["swap_how"] = timed(spent, "swap")(swap)
    else:
        result["swap_how"] = timed(spent, "swap")(store.swap)
    result["size_end"] = folder_size(folder)
    result["rows_after_swap"] = (
        store.database.con.execute("SELECT count(*) FROM destination.main.docs").fetchone()[0]
        if kind == "duckdb"
        else store.count()
    )
    return with_peak(result, spent)


def run_child(kind: str, records: int) -> dict[str, Any]:
    folder = WORK / f"run-{kind}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        command = [sys.executable, __file__, "--child", kind, str(records), str(folder)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"the {kind} run failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def crash_writer(kind: str, folder: Path) -> None:
    """Writes batches until killed, printing each one's number once it is stored."""
    store, pool = open_store(kind, folder), texts()
    store.create(FINAL)
    for number in range(10**6):
        store.upsert(FINAL, chunks_of(range(number * 250, number * 250 + 250), 0, pool))
        print(number + 1, flush=True)


def crash_reader(kind: str, folder: Path) -> None:
    store = open_store(kind, folder)
    if kind == "duckdb":
        rows = store.database.con.execute("SELECT count(*) FROM destination.main.docs").fetchone()[0]
        store.query(np.eye(1, DIMENSIONS, dtype=np.float32)[0], 5)
    else:
        rows = store.count()
        store.query(np.eye(1, DIMENSIONS, dtype=np.float32)[0], 5)
    print(rows)


def crash(kind: str, trials: int = 5) -> str:
    """kill -9 of a writer at a random moment of a later batch, ``trials`` times; each time a new process
    reads the collection and runs a query."""
    outcomes = []
    for trial in range(trials):
        folder = WORK / f"crash-{kind}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            writer = subprocess.Popen(
                [sys.executable, __file__, "--crash-writer", kind, str(folder)], stdout=subprocess.PIPE, text=True
            )
            assert writer.stdout is not None
            for line in writer.stdout:
                if int(line) >= 10:
                    break
            time.sleep(random.Random(trial).uniform(0.0, 0.3))  # a batch takes about that: made and stored
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait()
            command = [sys.executable, __file__, "--crash-reader", kind, str(folder)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                outcomes.append(f"NOT readable ({done.stderr.strip().splitlines()[-1]})")
                continue
            rows = int(done.stdout.strip())
            outcomes.append(f"{rows:,}" + ("" if rows % BATCH_CHUNKS == 0 else " (NOT whole batches)"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return f"after kill -9 mid-write, chunks read by a new process: {', '.join(outcomes)}"


def mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


def report(records: int, runs: int, kinds: list[str]) -> None:
    chunks = records * CHUNKS_PER_RECORD
    print(
        f"\nembedded vector stores, {chunks:,} chunks ({records:,} records of {CHUNKS_PER_RECORD}), {DIMENSIONS} "
        f"float32 dimensions, ~500-character texts (best of {runs}):"
    )
    for kind in kinds:
        results = [run_child(kind, records) for _ in range(runs)]
        best = {key: min(r[key] for r in results) for key, value in results[0].items() if isinstance(value, float)}
        other = {key: value for key, value in results[0].items() if not isinstance(value, float)}
        figures = {**other, **best}
        figures["append_chunks_per_s"] = chunks / best["append"]
        for key, value in figures.items():
            shown = mib(value) if key.startswith(("size", "peak")) else value
            print(f"  {kind:16} {key:22} {shown:,.3f}" if isinstance(shown, float) else f"  {kind:16} {key:22} {shown}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("--crash-"):
        (crash_writer if sys.argv[1] == "--crash-writer" else crash_reader)(sys.argv[2], Path(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stores", default="duckdb,lancedb,lancedb-add,lancedb-1commit")
    parser.add_argument("--crash", action="store_true", help="kill -9 each store mid-write, then read it")
    args = parser.parse_args()
    try:
        import lancedb  # noqa: F401
    except ImportError:
        raise SystemExit(
            "bench/vector_stores.py compares DuckDB with LanceDB, which is not installed: pip install lancedb"
        ) from None
    if args.crash:
        for kind in ("duckdb", "lancedb"):
            print(f"  {kind:16} {crash(kind)}")
        return
    report(args.records, args.runs, args.stores.split(","))


if __name__ == "__main__":
    main()
