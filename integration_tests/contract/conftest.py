"""One ``target`` fixture, parametrised over every writer, so each scenario runs against each of them
(the file destination once per format: Parquet partitioned by day, gzipped JSON lines, CSV).

A target gives a config, the destination's main.py, and ``read_table(schema, table)`` → rows as dicts
in one comparable form (see ``sqltargets.plain``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sql"))

from sqltargets import (
    MARIADB_URL,
    POSTGRES_URL,
    REPO,
    Target,
    fresh_mariadb_database,
    fresh_postgres_schema,
    random_name,
    sql_rows,
)

DESTINATIONS = REPO / "destinations"


def _duckdb(tmp: Path) -> Iterator[Target]:
    path = tmp / "contract.duckdb"
    schema = random_name("dd")

    def read(schema: str, table: str) -> list[dict[str, object]]:
        with duckdb.connect(str(path), read_only=True) as con:
            cursor = con.execute(f'SELECT * FROM "{schema}"."{table}"')
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    yield Target(
        "duckdb",
        DESTINATIONS / "destination-duckdb/main.py",
        {"destination_path": str(path), "schema": schema},
        schema,
        read,
        tmp,
    )


def _postgres(tmp: Path) -> Iterator[Target]:
    with fresh_postgres_schema() as (engine, schema):
        url = sa.make_url(POSTGRES_URL)
        config = {
            "host": url.host,
            "port": url.port,
            "database": url.database,
            "username": url.username,
            "schema": schema,
        }
        yield Target(
            "postgres",
            DESTINATIONS / "destination-postgres/main.py",
            config,
            schema,
            lambda s, t: sql_rows(engine, f'"{s}"."{t}"'),
            tmp,
            {"engine": engine},
        )


def _mariadb(tmp: Path) -> Iterator[Target]:
    with fresh_mariadb_database() as (engine, database):
        yield Target(
            "mariadb",
            DESTINATIONS / "destination-sql/main.py",
            {"url": MARIADB_URL, "schema": database},
            database,
            lambda s, t: sql_rows(engine, f"`{s}`.`{t}`"),
            tmp,
            {"engine": engine},
        )


def _sqlite(tmp: Path) -> Iterator[Target]:
    path = tmp / "contract.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    yield Target(
        "sqlite",
        DESTINATIONS / "destination-sql/main.py",
        {"url": f"sqlite:///{path}"},
        "main",
        lambda s, t: sql_rows(engine, f'"{s}"."{t}"'),
        tmp,
    )
    engine.dispose()


# How each file format is read back: every nested value as JSON text (one form for every target).
FILE_READERS = {
    "parquet": "read_parquet('{glob}.parquet', union_by_name = true, hive_partitioning = false)",
    "jsonl": "read_json('{glob}.jsonl.gz', format = 'newline_delimited', maximum_depth = 1, union_by_name = true)",
    "csv": "read_csv('{glob}.csv', header = true, allow_quoted_nulls = false, union_by_name = true)",
}
FILE_CONFIGS = {  # partitioning and gzip ride along, so every scenario covers them too
    "parquet": {"format": "parquet", "partitioning": {"granularity": "day"}},
    "jsonl": {"format": "jsonl", "gzip": True},
    "csv": {"format": "csv"},
}


def _files(file_format: str) -> Callable[[Path], Iterator[Target]]:
    def factory(tmp: Path) -> Iterator[Target]:
        root = tmp / "files"

        def read(schema: str, table: str) -> list[dict[str, object]]:
            folder = root / schema / table
            if not any(folder.rglob("part-*")):
                return []
            reader = FILE_READERS[file_format].format(glob=f"{folder}/**/*")
            with duckdb.connect() as con:
                con.execute("SET TimeZone = 'UTC'")
                cursor = con.execute(f"SELECT * FROM {reader}")
                names = [d[0] for d in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            if file_format == "jsonl":  # every value was read as its JSON text
                rows = [{k: None if v is None else json.loads(v) for k, v in row.items()} for row in rows]
            return rows

        config = {"destination_path": str(root), "schema": "main", **FILE_CONFIGS[file_format]}
        yield Target(f"files-{file_format}", DESTINATIONS / "destination-local-file/main.py", config, "main", read, tmp)

    return factory


FACTORIES = {
    "duckdb": _duckdb,
    "postgres": _postgres,
    "mariadb": _mariadb,
    "sqlite": _sqlite,
    **{f"files-{f}": _files(f) for f in FILE_READERS},
}


@pytest.fixture(params=list(FACTORIES))
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    yield from FACTORIES[request.param](tmp_path)
