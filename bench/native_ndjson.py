"""The native ceiling of `make bench`: DuckDB's own JSON reader loads the messages file into tables.

    python bench/native_ndjson.py MESSAGES DATABASE_PATH

One pass parses every line (``read_ndjson``) into a temporary table of records; then each stream becomes a
table of its data's columns (structure inferred from a record) plus ``emitted_at``.
"""

from __future__ import annotations

import sys

import duckdb


def main() -> None:
    messages, database = sys.argv[1], sys.argv[2]
    db = duckdb.connect(database)
    db.execute(
        "CREATE TEMP TABLE records AS SELECT record.stream AS stream, record.emitted_at AS emitted_at, "
        "record.data AS data FROM read_ndjson(?, columns = {'type': 'VARCHAR', "
        "'record': 'STRUCT(stream VARCHAR, emitted_at BIGINT, data JSON)'}) WHERE type = 'RECORD'",
        [messages],
    )
    for (stream,) in db.execute("SELECT DISTINCT stream FROM records").fetchall():
        (structure,) = db.execute(
            "SELECT json_structure(data) FROM records WHERE stream = ? LIMIT 1", [stream]
        ).fetchall()[0]
        db.execute(
            f"CREATE TABLE \"{stream}\" AS SELECT unnest(json_transform(data, '{structure}')), emitted_at "
            "FROM records WHERE stream = ?",
            [stream],
        )


if __name__ == "__main__":
    main()
