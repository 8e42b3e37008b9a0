"""Vector destinations: ``--records`` records (100,000) of about 1 KB of text, ``fake`` embeddings, into
destination-duckdb-vector and destination-chroma (its persistent client: a folder, no server).

    .venv/bin/python bench/bench_vector.py [--records N] [--runs R] [--destinations duckdb chroma]
    (bench/run.py --vector runs it too)

Each run is a process of its own (``--child``): the connector's ``write`` in-process, its stdin the data
set, with timers around the text splitter, the embedder and the store's calls. The writer embeds and
stores a slice on a thread of its own while it chunks the next, so these parts overlap and their shares of
the sync's time can add up to more than 100%.

The kit's overhead is measured against a ceiling: the embedder and the store alone, in a process of their
own (``--ceiling``), given the very chunks the sync makes (made before the clock starts) and writing them
in the same slices and transactions of the same size, one after the other. Overhead = 1 − ceiling / sync:
the share of the sync the embedder and store alone would not need (start, reading, typing, documents,
splitting, ids, and whatever of that the overlap does not hide).

Printed per destination (best of ``--runs``): records/s, chunks/s, peak RSS, the timed shares, the ceiling's
seconds and the overhead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = ROOT / ".bench" / "vector"
DIMENSIONS = 384  # a small sentence model's (all-MiniLM-L6-v2); OpenAI's are 1536
PROCESSING = {"chunk_size": 512, "chunk_overlap": 50, "text_fields": ["title", "body"], "metadata_fields": ["author"]}
WORDS = (
    "duck goose swan heron pond river lake reed nest feather wing migrate winter summer dawn dusk quack splash "
    "water bread shore marsh flock glide dive paddle meadow willow current ripple mud pebble sky cloud rain"
).split()


def dataset(records: int) -> tuple[Path, Path]:
    """The messages (records of ~1 KB of text) and catalog, generated once per size into .bench/vector/."""
    WORK.mkdir(parents=True, exist_ok=True)
    messages, catalog = WORK / f"messages-{records}.jsonl", WORK / "catalog.json"
    properties = {"id": {"type": "integer"}, "title": {"type": "string"}, "body": {"type": "string"}}
    properties["author"] = {"type": "string"}
    stream = {"name": "articles", "json_schema": {"type": "object", "properties": properties}}
    stream["supported_sync_modes"] = ["full_refresh", "incremental"]
    configured = {"stream": stream, "sync_mode": "incremental", "destination_sync_mode": "append"}
    catalog.write_text(json.dumps({"streams": [configured]}))
    if not messages.exists():
        chooser = random.Random(7)
        with messages.open("w") as out:
            for i in range(records):
                body = " ".join(chooser.choice(WORDS) for _ in range(170))  # about 1 KB
                data = {"id": i, "title": f"Article {i}", "body": body, "author": f"author-{i % 50}"}
                record = {"stream": "articles", "emitted_at": 1_700_000_000_000, "data": data}
                out.write(json.dumps({"type": "RECORD", "record": record}) + "\n")
                if i % 10_000 == 9_999:
                    state = {"stream_descriptor": {"name": "articles"}, "stream_state": {"i": i}}
                    out.write(json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": state}}) + "\n")
    return messages, catalog


def config_for(destination: str, folder: Path) -> dict[str, Any]:
    embedding = {"mode": "fake", "dimensions": DIMENSIONS}
    if destination == "duckdb":
        return {"destination_path": str(folder / "vectors.duckdb"), "processing": PROCESSING, "embedding": embedding}
    indexing = {
        "auth_method": {"mode": "persistent_client", "path": str(folder / "chroma")},
        "collection_name": "bench",
    }
    return {"indexing": indexing, "processing": PROCESSING, "embedding": embedding}


def connector_and_store(destination: str) -> tuple[type[Any], type[Any]]:
    if destination == "duckdb":
        from airbyte_dest_kit.connectors.destination_duckdb_vector.connector import DestinationDuckDBVector
        from airbyte_dest_kit.writers.vector.duckdb_store import DuckDBVectorStore

        return DestinationDuckDBVector, DuckDBVectorStore
    from airbyte_dest_kit.connectors.destination_chroma.connector import DestinationChroma
    from airbyte_dest_kit.writers.vector.chroma_store import ChromaStore

    return DestinationChroma, ChromaStore


def ceiling(destination: str, messages: Path, catalog: Path, folder: Path, records_per_commit: int) -> None:
    """The embedder and the store alone on the sync's chunks: prints the seconds they take."""
    import orjson
    import pyarrow as pa

    from airbyte_dest_kit.destination.plan import build_stream_specs
    from airbyte_dest_kit.protocol.models import ConfiguredAirbyteCatalog
    from airbyte_dest_kit.streams.spec import EXTRACTED_AT, GENERATION_ID, LINE_NUMBER, SOURCE_DATA
    from airbyte_dest_kit.writers.vector.writer import SLICE_ROWS

    cls, _ = connector_and_store(destination)
    config = config_for(destination, folder)
    writer = cls().create_writer(config)
    configured = ConfiguredAirbyteCatalog.model_validate_json(catalog.read_bytes()).streams
    [stream] = build_stream_specs(configured, "main", writer.naming)
    writer.open([stream])
    collection = writer._collection(stream, stream.table_name)
    writer.store.create(collection)
    data = [orjson.loads(line)["record"]["data"] for line in messages.open("rb") if b'"RECORD"' in line[:20]]
    extracted = pa.array([1_700_000_000_000_000] * len(data), pa.timestamp("us", "UTC"))
    texts = [orjson.dumps(d).decode() for d in data]
    rows = pa.table({SOURCE_DATA: texts, EXTRACTED_AT: extracted, GENERATION_ID: pa.nulls(len(data), pa.int64())})
    rows = rows.append_column(LINE_NUMBER, pa.array(range(1, len(data) + 1), pa.int64()))
    writer._lines = rows.column(LINE_NUMBER).to_pylist()
    slices = [
        writer._pieces(stream, rows.slice(at, SLICE_ROWS), at, Counter()) for at in range(0, len(data), SLICE_ROWS)
    ]
    per_commit = max(1, round(records_per_commit / SLICE_ROWS))
    started = time.perf_counter()
    for first in range(0, len(slices), per_commit):
        with writer.store.transaction():
            for pieces in slices[first : first + per_commit]:
                writer.store.upsert(collection, writer._embedded(stream, pieces))
    print(json.dumps({"seconds": time.perf_counter() - started}))
    writer.close()


def child(destination: str, messages: Path, catalog: Path, folder: Path) -> None:
    """One write with timers around splitting, embedding and the store's writes; prints its figures as JSON."""
    import resource

    from airbyte_dest_kit.connectors.vector_destination import VectorDestination
    from airbyte_dest_kit.runtime.entrypoint import execute
    from airbyte_dest_kit.writers.vector.embeddings import FakeEmbedder
    from airbyte_dest_kit.writers.vector.store import VectorStore
    from airbyte_dest_kit.writers.vector.writer import VectorWriter

    spent = {"split": 0.0, "embed": 0.0, "store": 0.0}
    chunks, commits = [0], [0]

    def timed(part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - started

        return run

    def count_chunks(function: Callable[..., Any]) -> Callable[..., Any]:
        def upsert(self: Any, collection: Any, batch: Any) -> Any:
            chunks[0] += len(batch)
            return function(self, collection, batch)

        return upsert

    original_init = VectorWriter.__init__

    def init(self: VectorWriter, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.split = timed("split", self.split)

    VectorWriter.__init__ = init  # type: ignore[method-assign]
    FakeEmbedder.embed = timed("embed", FakeEmbedder.embed)  # type: ignore[method-assign]
    cls, store = connector_and_store(destination)
    original_transaction = store.transaction

    def counted_transaction(self: Any) -> Any:  # the store's: its commit timed, those that store chunks counted
        before = chunks[0]
        transaction = original_transaction(self)
        transaction.__enter__()
        try:
            yield
        except BaseException:
            if not transaction.__exit__(*sys.exc_info()):
                raise
        else:
            started = time.perf_counter()
            transaction.__exit__(None, None, None)
            spent["store"] += time.perf_counter() - started
        commits[0] += chunks[0] > before

    store.transaction = contextlib.contextmanager(counted_transaction)
    for name in ("upsert", "delete_records", "first_chunks", "copy", "rename", "drop", "create", "exists"):
        method = getattr(store, name)
        setattr(store, name, timed("store", count_chunks(method) if name == "upsert" else method))
    assert issubclass(cls, VectorDestination) and issubclass(store, VectorStore)
    config = folder / "config.json"
    config.write_text(json.dumps(config_for(destination, folder)))
    started = time.perf_counter()
    with messages.open("rb") as stdin, open(os.devnull, "wb") as devnull:
        saved = sys.stdin
        sys.stdin = type(sys.stdin)(stdin)  # type: ignore[call-arg]
        try:
            code = execute(cls(), ["write", "--config", str(config), "--catalog", str(catalog)], stdout=devnull)
        finally:
            sys.stdin = saved
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps({"code": code, "seconds": total, "chunks": chunks[0], "commits": commits[0], "peak": peak, **spent})
    )


def run_child(destination: str, messages: Path, catalog: Path, *extra: str) -> dict[str, Any]:
    """One sync (or, with ``--ceiling N``, the embedder and the store alone), in a fresh folder."""
    folder = WORK / f"run-{destination}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        command = [sys.executable, __file__, *(extra or ["--child"]), destination, str(messages), str(catalog)]
        done = subprocess.run([*command, str(folder)], capture_output=True, text=True, check=True)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if result.get("code", 0) != 0:
        raise SystemExit(f"the {destination} write failed")
    return result


def report(records: int, runs: int, destinations: Sequence[str] = ("duckdb", "chroma")) -> None:
    messages, catalog = dataset(records)
    size = messages.stat().st_size
    print(
        f"\nvector destinations, {records:,} records ({size / 1e6:,.0f} MB) of ~1 KB text, chunk_size "
        f"{PROCESSING['chunk_size']} characters, fake embeddings of {DIMENSIONS} dimensions (best of {runs}; the "
        "timed parts overlap):"
    )
    print(
        "| destination | records/s | chunks/s | peak RSS | splitting | embedding | store | embedder + store alone "
        "| kit overhead |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for destination in destinations:
        best = min((run_child(destination, messages, catalog) for _ in range(runs)), key=lambda r: r["seconds"])
        per_commit = str(round(records / max(1, best["commits"])))
        alone = min(run_child(destination, messages, catalog, "--ceiling", per_commit)["seconds"] for _ in range(runs))
        total = best["seconds"]
        cells = " | ".join(f"{best[part] / total:.0%}" for part in ("split", "embed", "store"))
        name = "destination-chroma" if destination == "chroma" else "destination-duckdb-vector"
        print(
            f"| {name} | {records / total:,.0f} | {best['chunks'] / total:,.0f} | {best['peak'] / 2**20:,.0f} MiB | "
            f"{cells} | {alone:,.1f} s of {total:,.1f} s | {1 - alone / total:.0%} |"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--ceiling":
        ceiling(sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]), Path(sys.argv[6]), int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--destinations", nargs="+", choices=["duckdb", "chroma"], default=["duckdb", "chroma"])
    args = parser.parse_args()
    report(args.records, args.runs, args.destinations)


if __name__ == "__main__":
    main()
