"""The PostgreSQL ceiling of `make bench`: the typed columns of each stream, already in a CSV file, loaded with
one server-side ``COPY ... FROM`` per stream, timed end to end.

    python bench/postgres_copy.py prepare MESSAGES CATALOG FOLDER   # once per data set, not timed
    python bench/postgres_copy.py load URL SCHEMA FOLDER            # the timed run

``prepare`` writes FOLDER/<stream>.csv (DuckDB types each property as bench/typed_columns.py says) and
FOLDER/tables.json; the folder must be readable by the server's user (the server reads the files itself).
``load`` creates SCHEMA and one table per stream with destination-postgres's column types and copies each file
in; the caller drops the schema.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

_POSTGRES_TYPES = {
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "TIMESTAMPTZ": "timestamptz",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "TIME": "time",
    "VARCHAR": "text",
    "JSON": "jsonb",
}


def prepare(messages: str, catalog: Path, folder: Path) -> None:
    import duckdb
    from typed_columns import quoted, records_table_sql, stream_columns

    columns = stream_columns(catalog)
    folder.mkdir(parents=True, exist_ok=True)
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute(records_table_sql(columns), [messages])
    for stream, properties in columns.items():
        selected = ", ".join(f"data.{quoted(name)}" for name in properties)
        target = str((folder / f"{stream}.csv").resolve()).replace("'", "''")
        db.execute(
            f"COPY (SELECT {selected} FROM records WHERE stream = ?) TO '{target}' (FORMAT csv, HEADER false)", [stream]
        )
    tables = {s: [[name, _POSTGRES_TYPES[kind]] for name, kind in p.items()] for s, p in columns.items()}
    (folder / "tables.json").write_text(json.dumps(tables))


def load(url: str, schema: str, folder: Path) -> None:
    import psycopg
    from psycopg import sql

    tables = json.loads((folder / "tables.json").read_text())
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for stream, columns in tables.items():
            table = sql.Identifier(schema, stream)
            definition = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in columns
            )
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(table, definition))
            source = str((folder / f"{stream}.csv").resolve())
            conn.execute(sql.SQL("COPY {} FROM {} WITH (FORMAT csv)").format(table, sql.Literal(source)))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        load(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
