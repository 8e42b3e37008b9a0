"""The SQL targets of `make bench` (bench/run.py): where each destination writes, and how to clean up.

Each run writes into a fresh schema (a database on MariaDB, a file on SQLite) that is dropped afterwards.
``postgres-executemany`` is the reference point: the same typed batches through SQLAlchemy ``insert()``
executemany (destination-sql with ``load_method: insert``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
POSTGRES = sa.make_url(os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
MARIADB = os.environ.get("BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
TARGETS = ("postgres", "postgres-executemany", "mariadb", "sqlite")


def fresh_name() -> str:
    return f"bench_{uuid.uuid4().hex[:8]}"


def drop_postgres_schema(name: str) -> None:
    with sa.create_engine(POSTGRES).begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def setup(target: str, folder: Path) -> tuple[Path, dict[str, Any], Callable[[], None]]:
    """``(main.py, config, cleanup)`` for a fresh place to write into."""
    name = fresh_name()
    if target.startswith("postgres"):

        def drop() -> None:
            drop_postgres_schema(name)

        if target == "postgres":
            config = {
                "host": POSTGRES.host,
                "port": POSTGRES.port,
                "database": POSTGRES.database,
                "username": POSTGRES.username,
                "password": POSTGRES.password or "",
                "schema": name,
            }
            return REPO / "destinations/destination-postgres/main.py", config, drop
        url = POSTGRES.render_as_string(hide_password=False)
        return (
            REPO / "destinations/destination-sql/main.py",
            {"url": url, "schema": name, "load_method": "insert"},
            drop,
        )
    if target == "mariadb":
        engine = sa.create_engine(MARIADB)

        def drop_database() -> None:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")

        return REPO / "destinations/destination-sql/main.py", {"url": MARIADB, "schema": name}, drop_database
    path = folder / f"{name}.db"
    return (
        REPO / "destinations/destination-sql/main.py",
        {"url": f"sqlite:///{path}"},
        lambda: path.unlink(missing_ok=True),
    )
