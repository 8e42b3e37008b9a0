"""The two vector destinations behind one interface for the tests: write, query, and read a stream's chunks back.

destination-chroma runs against a Chroma server the module starts (``chroma run`` on 127.0.0.1, a free port,
a temporary folder); destination-duckdb-vector against a file in the test's folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from airbyte_dest_kit.connectors.destination_chroma.connector import DestinationChroma
from airbyte_dest_kit.connectors.destination_duckdb_vector.connector import DestinationDuckDBVector
from airbyte_dest_kit.testing import CommandRunner, DestinationRunner, LiveWrite, Run
from airbyte_dest_kit.testing.builders import Message, catalog, configured_stream, record, stream_state, stream_status

BIN = Path(sys.executable).parent
DIMENSIONS = 16
PROCESSING = {"chunk_size": 60, "chunk_overlap": 0, "text_fields": ["title", "body"], "metadata_fields": ["id"]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def chroma_server(folder: Path) -> Iterator[int]:
    """``chroma run`` on a free port of 127.0.0.1 with its data in ``folder``; stopped after."""
    command = BIN / "chroma"
    if not command.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the chroma command is missing: pip install 'airbyte_dest_kit[chroma]'")
        pytest.skip("the chroma command is missing: pip install 'airbyte_dest_kit[chroma]'")
    port = free_port()
    log = (folder / "chroma.log").open("wb")
    process = subprocess.Popen(
        [str(command), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Chroma server did not start: {(folder / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder / "data", ignore_errors=True)


PROPS = {
    "id": {"type": "integer"},
    "title": {"type": "string"},
    "body": {"type": "string"},
    "updated": {"type": "integer"},
    "_ab_cdc_deleted_at": {"type": ["null", "string"]},
}
SENTENCE = "The quick brown fox jumps over the lazy dog."  # 44 characters: one chunk each at chunk_size 60


def doc(id: int, sentences: int, updated: int = 1, *, word: str = "fox", **extra: Any) -> dict[str, Any]:
    body = " ".join(SENTENCE.replace("fox", f"{word}{n}") for n in range(sentences))
    return {"id": id, "title": f"T{id}", "body": body, "updated": updated, **extra}


def stream(mode: str, **options: Any) -> dict[str, Any]:
    keys = {"primary_key": ["id"], "cursor": "updated"} if mode == "append_dedup" else {}
    return configured_stream("docs", PROPS, mode=mode, **keys, **options)


def sync(
    target: VectorTarget, mode: str, docs: list[dict[str, Any]], *, emitted_at: int = 1_700_000_000_000, **options: Any
) -> None:
    messages = [record("docs", d, emitted_at=emitted_at) for d in docs]
    messages += [stream_state("docs", {"n": len(docs)}), stream_status("docs", "COMPLETE")]
    run = target.write(catalog(stream(mode, **options)), messages)
    run.assert_ok()
    assert len(run.states()) == 1, run.stdout


def per_record(target: VectorTarget) -> Counter[int]:
    return Counter(chunk["metadata"]["id"] for chunk in target.chunks("docs"))


class VectorTarget:
    """One destination, one place (a DuckDB file or a Chroma collection prefix) per test."""

    name: str
    command: str

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.embedding: dict[str, Any] = {"mode": "fake", "dimensions": DIMENSIONS}
        self.processing: dict[str, Any] = dict(PROCESSING)
        self.extra: dict[str, Any] = {}  # more config keys (buffering)

    def config(self) -> dict[str, Any]:
        raise NotImplementedError

    def make(self) -> Any:
        raise NotImplementedError

    def chunks(self, table: str) -> list[dict[str, Any]]:
        """Every chunk of the stream's collection: ``id``, ``text``, ``metadata``, sorted by record and index."""
        raise NotImplementedError

    def collections(self) -> list[str]:
        raise NotImplementedError

    def write(self, catalog: Mapping[str, Any], messages: Sequence[Message]) -> Run:
        return DestinationRunner(self.make).write(self.config(), catalog, messages, self.tmp)

    def run(self, *argv: str) -> Run:
        config = self.tmp / f"config-{time.monotonic_ns()}.json"
        config.write_text(json.dumps(self.config()))
        return DestinationRunner(self.make)(list(argv[:1]) + ["--config", str(config), *argv[1:]], b"", self.tmp)

    def start_write(self, catalog: Mapping[str, Any]) -> LiveWrite:
        return CommandRunner([str(BIN / self.command)]).start_write(self.config(), catalog, self.tmp)

    def texts(self, table: str) -> list[str]:
        return [chunk["text"] for chunk in self.chunks(table)]


def _ordered(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(chunks, key=lambda c: (str(c["metadata"].get("id")), c["metadata"].get("_ab_chunk", 0), c["text"]))


class DuckDBTarget(VectorTarget):
    name, command = "duckdb", "destination-duckdb-vector"

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.path = tmp / "vectors.duckdb"

    def config(self) -> dict[str, Any]:
        config = {"destination_path": str(self.path), "processing": self.processing, "embedding": self.embedding}
        return {**config, **self.extra}

    def make(self) -> DestinationDuckDBVector:
        return DestinationDuckDBVector()

    def _read(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def chunks(self, table: str) -> list[dict[str, Any]]:
        if table not in self.collections():
            return []
        rows = self._read(f'SELECT id, text, metadata FROM main."{table}"')
        return _ordered([{"id": i, "text": t, "metadata": json.loads(m)} for i, t, m in rows])

    def collections(self) -> list[str]:
        if not self.path.exists():
            return []
        return [row[0] for row in self._read("SELECT table_name FROM information_schema.tables ORDER BY 1")]


class ChromaTarget(VectorTarget):
    name, command = "chroma", "destination-chroma"

    def __init__(self, tmp: Path, port: int) -> None:
        super().__init__(tmp)
        self.port = port
        self.prefix = f"t{time.monotonic_ns()}"  # a collection prefix of this test's own on the shared server

    def config(self) -> dict[str, Any]:
        auth = {"mode": "http_client", "host": "127.0.0.1", "port": self.port, "ssl": False}
        indexing = {"auth_method": auth, "collection_name": self.prefix}
        return {"indexing": indexing, "processing": self.processing, "embedding": self.embedding, **self.extra}

    def make(self) -> DestinationChroma:
        return DestinationChroma()

    def client(self) -> Any:
        import chromadb

        return chromadb.HttpClient(host="127.0.0.1", port=self.port)

    def chunks(self, table: str) -> list[dict[str, Any]]:
        name = f"{self.prefix}_{table}"
        if name not in self.collections():
            return []
        found = self.client().get_collection(name, embedding_function=None).get(include=["documents", "metadatas"])
        return _ordered(
            [
                {"id": i, "text": t, "metadata": m}
                for i, t, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
            ]
        )

    def collections(self) -> list[str]:
        listed = self.client().list_collections()
        names = [c if isinstance(c, str) else c.name for c in listed]
        return sorted(n for n in names if n.startswith(self.prefix + "_"))

    def cleanup(self) -> None:
        client = self.client()
        for name in self.collections():
            client.delete_collection(name)
