"""What differs between SQL databases, as data plus a few hooks; the SQL writer itself has one code path.

A :class:`SQLDialect` says how each column type is spelled, how long names may be, how keys compare
NULL-safely, how a batch is bulk loaded, and how a staged table is swapped in. PostgreSQL, MySQL/MariaDB
and SQLite have entries here; any other SQLAlchemy dialect gets :func:`generic_dialect`, which uses only
portable SQL and SQLAlchemy's ``insert()`` executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.writers.sql.arrow_ingest import PostgresArrowIngest, postgres_arrow_ingest
from airbyte_dest_kit.writers.sql.bulk import BulkLoader, copy_csv, executemany_strings, insert_executemany, load_mysql

# (quoted target, quoted staging, quoted final name without schema, quoted old-table name) → statements
SwapStatements = Callable[[str, str, str, str, bool], list[str]]


def _drop_and_rename(final: str, staging: str, final_name: str, old: str, final_exists: bool) -> list[str]:
    """For databases with transactional DDL: both statements commit together or not at all."""
    return [f"DROP TABLE IF EXISTS {final}", f"ALTER TABLE {staging} RENAME TO {final_name}"]


def _mysql_rename(final: str, staging: str, final_name: str, old: str, final_exists: bool) -> list[str]:
    """MySQL DDL commits implicitly, but one ``RENAME TABLE`` of several pairs is atomic: readers see the
    old table or the new one, never none. The old table is dropped afterwards."""
    if not final_exists:
        return [f"RENAME TABLE {staging} TO {final}"]
    return [
        f"DROP TABLE IF EXISTS {old}",  # left by a crash between the rename and the drop
        f"RENAME TABLE {final} TO {old}, {staging} TO {final}",
        f"DROP TABLE {old}",
    ]


def _sqlite_setup(engine: sa.Engine, schemas: MutableSet[str]) -> None:
    """SQLite has no schemas: ``main`` is the database file, any other schema is a sibling file
    (``<file stem>.<schema>.db``) attached under that name on every connection. And pysqlite's own
    transaction handling skips DDL, so the documented SQLAlchemy recipe makes every transaction a real
    ``BEGIN`` … ``COMMIT``, which keeps the overwrite swap atomic."""
    database = Path(engine.url.database or ":memory:")

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        for schema in sorted(schemas - {"main", "temp"}):
            sibling = database.with_name(f"{database.stem}.{schema}.db")
            quoted = '"' + schema.replace('"', '""') + '"'
            dbapi_connection.execute(f"ATTACH DATABASE ? AS {quoted}", (str(sibling),))

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")


# SQLAlchemy's generic types: what any database gets without an entry of its own.
PORTABLE_TYPES: Mapping[ColumnType, sa.types.TypeEngine[Any]] = {
    ColumnType.STRING: sa.Text(),
    ColumnType.INTEGER: sa.BigInteger(),
    ColumnType.NUMBER: sa.Double(),
    ColumnType.BOOLEAN: sa.Boolean(),
    ColumnType.DATE: sa.Date(),
    ColumnType.TIMESTAMP_TZ: sa.DateTime(timezone=True),
    ColumnType.TIMESTAMP: sa.DateTime(),
    ColumnType.TIME_TZ: sa.Text(),
    ColumnType.TIME: sa.Time(),
    ColumnType.JSON: sa.Text(),
}


@dataclass(frozen=True)
class SQLDialect:
    name: str
    capabilities: Capabilities
    types: Mapping[ColumnType, sa.types.TypeEngine[Any]]
    bulk_loader: BulkLoader
    null_safe_equal: str = "{a} IS NOT DISTINCT FROM {b}"
    # DELETE … rows of {target} AS t that match a row of {batch} AS b where {condition}
    delete_matching: str = "DELETE FROM {target} AS t WHERE EXISTS (SELECT 1 FROM {batch} AS b WHERE {condition})"
    # ALTER TABLE … change a column's type; None: the database cannot (the column keeps its type)
    alter_type: str | None = "ALTER TABLE {table} ALTER COLUMN {column} TYPE {type}"
    swap: SwapStatements = _drop_and_rename
    # How reflected types that do not compile to one of ``types`` map back (e.g. MySQL's BOOL = TINYINT(1)).
    reflected_aliases: Mapping[str, ColumnType] = field(default_factory=dict)
    temporary_schema: str | None = None  # qualifier of temporary tables; None: the stream's schema
    drop_temporary: str = "DROP TABLE {table}"
    connect_args: Mapping[str, Any] = field(default_factory=dict)
    # Run on the loaded batch table before merging (PostgreSQL: statistics, so it plans a hash join).
    analyze_batch: str | None = None
    # Key columns of these types are indexed on a prefix of this many characters (MySQL cannot index
    # whole TEXT columns); a key column of a type in ``unindexable`` means no key index at all.
    index_prefix: Mapping[ColumnType, int] = field(default_factory=dict)
    unindexable: frozenset[ColumnType] = frozenset()
    create_index: str = "CREATE INDEX {name} ON {schema}.{table} ({columns})"
    # Called once with the new engine and the (growing) set of schemas the sync writes to.
    setup_engine: Callable[[sa.Engine, MutableSet[str]], None] | None = None
    # An Arrow-native loader on its own connection (see arrow_ingest.py), or None.
    arrow_ingest: Callable[[sa.URL, Mapping[str, Any]], PostgresArrowIngest | None] | None = None


POSTGRES = SQLDialect(
    name="postgresql",
    # NUL cannot be stored in text or jsonb: the record typer strips it, with a change entry.
    capabilities=Capabilities(max_identifier_bytes=63, case_sensitive_identifiers=True, strips_nul=True),
    types={
        ColumnType.STRING: sa.Text(),
        ColumnType.INTEGER: sa.BigInteger(),
        ColumnType.NUMBER: postgresql.DOUBLE_PRECISION(),
        ColumnType.BOOLEAN: sa.Boolean(),
        ColumnType.DATE: sa.Date(),
        ColumnType.TIMESTAMP_TZ: postgresql.TIMESTAMP(timezone=True),
        ColumnType.TIMESTAMP: postgresql.TIMESTAMP(timezone=False),
        ColumnType.TIME_TZ: postgresql.TIME(timezone=True),
        ColumnType.TIME: postgresql.TIME(timezone=False),
        ColumnType.JSON: postgresql.JSONB(),
    },
    bulk_loader=copy_csv,
    alter_type="ALTER TABLE {table} ALTER COLUMN {column} TYPE {type} USING {column}::{type}",
    reflected_aliases={"TIMESTAMP WITHOUT TIME ZONE": ColumnType.TIMESTAMP, "TIME WITHOUT TIME ZONE": ColumnType.TIME},
    temporary_schema="pg_temp",
    analyze_batch="ANALYZE {table}",
    arrow_ingest=postgres_arrow_ingest,
)

MYSQL = SQLDialect(
    name="mysql",
    # Column names compare case-insensitively; 64 is a character limit, so 64 bytes is always safe.
    capabilities=Capabilities(max_identifier_bytes=64, case_sensitive_identifiers=False),
    types={
        ColumnType.STRING: mysql.LONGTEXT(),
        ColumnType.INTEGER: mysql.BIGINT(),
        ColumnType.NUMBER: mysql.DOUBLE(),
        ColumnType.BOOLEAN: sa.Boolean(),
        ColumnType.DATE: sa.Date(),
        # No zone type: timestamps with zone arrive in UTC and are stored as UTC wall-clock time.
        ColumnType.TIMESTAMP_TZ: mysql.DATETIME(fsp=6),
        ColumnType.TIMESTAMP: mysql.DATETIME(fsp=6),
        ColumnType.TIME_TZ: mysql.VARCHAR(32),
        ColumnType.TIME: mysql.TIME(fsp=6),
        ColumnType.JSON: mysql.JSON(),
    },
    bulk_loader=load_mysql,
    null_safe_equal="{a} <=> {b}",
    delete_matching="DELETE t FROM {target} AS t JOIN {batch} AS b ON {condition}",
    alter_type="ALTER TABLE {table} MODIFY COLUMN {column} {type}",
    swap=_mysql_rename,
    reflected_aliases={
        "TINYINT(1)": ColumnType.BOOLEAN,
        "BIGINT(20)": ColumnType.INTEGER,
        "LONGTEXT": ColumnType.STRING,
    },
    # DROP TABLE without TEMPORARY would commit the open transaction.
    drop_temporary="DROP TEMPORARY TABLE {table}",
    index_prefix={ColumnType.STRING: 191},
    unindexable=frozenset({ColumnType.JSON}),
    connect_args={"local_infile": True, "init_command": "SET time_zone = '+00:00'"},
)

SQLITE = SQLDialect(
    name="sqlite",
    capabilities=Capabilities(case_sensitive_identifiers=False),
    # SQLite keeps datetimes as text; timestamps with zone arrive in UTC and are stored as UTC text.
    types={**PORTABLE_TYPES, ColumnType.TIMESTAMP_TZ: sa.DateTime()},
    bulk_loader=executemany_strings,
    null_safe_equal="{a} IS {b}",
    # Driven from the batch, so the key index on the target is used (a correlated EXISTS scans the batch
    # once per target row).
    delete_matching=(
        "DELETE FROM {target} WHERE rowid IN (SELECT t.rowid FROM {batch} AS b JOIN {target} AS t ON {condition})"
    ),
    # SQLite cannot change a column's type; it stores any value in any column, so nothing is lost.
    alter_type=None,
    temporary_schema="temp",
    create_index="CREATE INDEX {schema}.{name} ON {table} ({columns})",  # the schema qualifies the index
    setup_engine=_sqlite_setup,
)


def generic_dialect(engine_dialect: sa.engine.Dialect) -> SQLDialect:
    """Portable SQL for databases without an entry here; identifier limit from SQLAlchemy."""
    limit = engine_dialect.max_identifier_length
    return SQLDialect(
        name=engine_dialect.name,
        capabilities=Capabilities(max_identifier_bytes=limit if limit < 9999 else None),
        types=PORTABLE_TYPES,
        bulk_loader=insert_executemany,
        null_safe_equal="(({a} = {b}) OR ({a} IS NULL AND {b} IS NULL))",
    )


KNOWN = {d.name: d for d in (POSTGRES, MYSQL, SQLITE)} | {"mariadb": MYSQL}


def dialect_for(engine_dialect: sa.engine.Dialect) -> SQLDialect:
    return KNOWN.get(engine_dialect.name) or generic_dialect(engine_dialect)
