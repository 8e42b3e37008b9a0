"""One ``target`` fixture, parametrised over every writer, so each scenario runs against each of them.

A target gives a config, the destination's main.py, and ``read_table(schema, table)`` → rows as dicts
in one comparable form (see ``sqltargets.plain``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
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


FACTORIES = {"duckdb": _duckdb, "postgres": _postgres, "mariadb": _mariadb, "sqlite": _sqlite}


@pytest.fixture(params=list(FACTORIES))
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    yield from FACTORIES[request.param](tmp_path)
