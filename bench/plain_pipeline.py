"""The baseline of `make bench`: the plain pipeline a Python destination usually starts as.

orjson per line, lists of dicts per stream, ``pa.Table.from_pylist`` every 50,000 records, a DuckDB insert,
and the STATE messages echoed after each flush. No casting, no meta columns: it does less than
destination-duckdb, which makes it a generous baseline.

    cat messages.jsonl | python bench/plain_pipeline.py DATABASE_PATH > /dev/null
"""

from __future__ import annotations

import sys

import duckdb
import orjson
import pyarrow as pa

BATCH = 50_000


def main() -> None:
    db = duckdb.connect(sys.argv[1])
    out = sys.stdout.buffer
    buffers: dict[str, list[dict[str, object]]] = {}
    pending_states: list[bytes] = []
    created: set[str] = set()
    buffered = 0

    def flush() -> None:
        nonlocal buffered
        for stream, rows in buffers.items():
            if not rows:
                continue
            batch = pa.Table.from_pylist(rows)
            db.register("batch", batch)
            if stream in created:
                db.execute(f'INSERT INTO "{stream}" BY NAME SELECT * FROM batch')
            else:
                db.execute(f'CREATE TABLE "{stream}" AS SELECT * FROM batch')
                created.add(stream)
            db.unregister("batch")
            rows.clear()
        buffered = 0
        for line in pending_states:
            out.write(line)
        out.flush()
        pending_states.clear()

    for line in sys.stdin.buffer:
        message = orjson.loads(line)
        kind = message.get("type")
        if kind == "RECORD":
            record = message["record"]
            row = dict(record["data"])
            row["_emitted_at"] = record["emitted_at"]
            buffers.setdefault(record["stream"], []).append(row)
            buffered += 1
            if buffered >= BATCH:
                flush()
        elif kind == "STATE":
            pending_states.append(line)
    flush()


if __name__ == "__main__":
    main()
