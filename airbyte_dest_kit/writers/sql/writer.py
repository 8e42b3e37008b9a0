"""The SQL writer: any database SQLAlchemy reaches, with PostgreSQL, MySQL/MariaDB and SQLite tuned.

A store (:mod:`airbyte_dest_kit.store` applies the modes, the same as on DuckDB); what differs between
databases is data in :mod:`.dialects`. The store operations:

- ``append``: a bulk load (:mod:`.bulk`, or Arrow ingest on PostgreSQL when the table's types allow it).
- ``swap``: the staging table replaces the final one in one step (:attr:`.SQLDialect.swap`).
- ``merge``: the batch (one row per key already) is loaded into a temporary table and merged in the same
  transaction: existing rows that lose by the winner rule
  (:func:`~airbyte_dest_kit.streams.winner.existing_wins_sql`) are deleted, then batch rows whose key has no
  row left are inserted, live ones into the table, deletions into the tombstones. The table gets a
  (non-unique) index on the key, and keys are compared with plain ``=`` unless the batch holds a NULL key:
  NULL-safe comparisons (``IS NOT DISTINCT FROM``) cannot use an index or a hash join. Why delete + insert
  rather than ``INSERT … ON CONFLICT`` / ``ON DUPLICATE KEY``: keys compare NULL-safely (a NULL key is a key),
  the winner rule looks at cursor and extraction time, CDC deletes remove rows, and tables written in append
  mode earlier may hold duplicates — an upsert needs a unique index none of this allows.

MySQL commits DDL implicitly, so there the adoption of a given-up refresh's rows is not atomic: a crash
between the insert and the drop adopts the rows twice (a dedup stream absorbs that, an append one does
not). One engine per sync, ``pool_pre_ping`` on.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import pyarrow as pa
import sqlalchemy as sa

from airbyte_dest_kit.errors import ConfigError, ConnectorError
from airbyte_dest_kit.store import MergeTarget, StoreWriter, SwapPair
from airbyte_dest_kit.streams.naming import fit_name
from airbyte_dest_kit.streams.schema import ColumnType, plan_evolution
from airbyte_dest_kit.streams.spec import GENERATION_ID, StreamSpec
from airbyte_dest_kit.streams.winner import existing_wins_sql
from airbyte_dest_kit.writers.sql.arrow_ingest import PostgresArrowIngest
from airbyte_dest_kit.writers.sql.bulk import LoadTarget, execute_sql, insert_executemany
from airbyte_dest_kit.writers.sql.dialects import SQLDialect, dialect_for
from airbyte_dest_kit.writers.sql.errors import ConfigKeys, translate

log = logging.getLogger("airbyte.writers.sql")

PROBE_TABLE = "_airbyte_connection_check"
LoadMethod = Literal["bulk", "insert"]
Layout = tuple[str, ColumnType]  # a column's name and type


class SQLWriter(StoreWriter):
    """Writes streams into one database; :func:`create_sql_writer` picks the dialect from the URL."""

    def __init__(
        self,
        url: str | sa.URL,
        dialect: SQLDialect,
        *,
        schema: str,
        connect_args: Mapping[str, Any] | None = None,
        config_keys: ConfigKeys | None = None,
        load_method: LoadMethod = "bulk",
    ) -> None:
        self.url = sa.make_url(url)
        self.dialect = dialect
        self.capabilities = self.derive_capabilities(dialect.capabilities)
        self.default_schema = schema
        self.connect_args = {**dialect.connect_args, **(connect_args or {})}
        self.config_keys = config_keys or ConfigKeys()
        self.load = dialect.bulk_loader if load_method == "bulk" else insert_executemany
        self._arrow_ingest = dialect.arrow_ingest if load_method == "bulk" else None
        self._ingest: PostgresArrowIngest | None = None
        self._ingested: set[tuple[str | None, str]] = set()  # streams whose batches go through _ingest
        self._schemas: set[str] = {schema}
        self._engine: sa.Engine | None = None
        self._conn: sa.Connection | None = None  # the open transaction's connection

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.url, pool_pre_ping=True, connect_args=self.connect_args)
            if self.dialect.setup_engine is not None:
                self.dialect.setup_engine(self._engine, self._schemas)
        return self._engine

    # -- names and types ---------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        return self.engine.dialect.identifier_preparer.quote_identifier(name)

    def qualified(self, schema: str, table: str) -> str:
        return f"{self.quote(schema)}.{self.quote(table)}"

    def _sql_type(self, kind: ColumnType) -> str:
        return self.dialect.types[kind].compile(dialect=self.engine.dialect)

    def _sql_name(self, kind: sa.types.TypeEngine[Any]) -> str:
        compiled = kind.compile(dialect=self.engine.dialect)
        return re.sub(r" (CHARACTER SET|COLLATE) .*", "", compiled).upper()

    def _sa_table(
        self, schema: str | None, table: str, columns: Sequence[tuple[str, ColumnType]], **kw: Any
    ) -> sa.Table:
        return sa.Table(
            table,
            sa.MetaData(),
            *(sa.Column(name, self.dialect.types[kind], quote=True) for name, kind in columns),
            schema=schema,
            quote=True,
            quote_schema=True,
            **kw,
        )

    def _reflect(self, conn: sa.Connection, schema: str, table: str) -> dict[str, str] | None:
        """The table's columns and their SQL type names, or None when there is no such table."""
        inspector = sa.inspect(conn)
        if not inspector.has_table(table, schema=schema):
            return None
        return {c["name"]: self._sql_name(c["type"]) for c in inspector.get_columns(table, schema=schema)}

    def _classify(
        self, existing: Mapping[str, str], wanted: Sequence[tuple[str, ColumnType]]
    ) -> dict[str, ColumnType | None]:
        """Existing columns as column types. A column whose SQL type is what the wanted type maps to *is*
        that type, even where several types share one SQL type (MySQL DATETIME holds both timestamps)."""
        fold = (lambda n: n) if self.capabilities.case_sensitive_identifiers else str.casefold
        wanted_sql = {fold(name): (kind, self._sql_name(self.dialect.types[kind])) for name, kind in wanted}
        by_sql = {self._sql_name(t): k for k, t in self.dialect.types.items()} | dict(self.dialect.reflected_aliases)
        result: dict[str, ColumnType | None] = {}
        for name, sql in existing.items():
            match = wanted_sql.get(fold(name))
            result[name] = match[0] if match and match[1] == sql else by_sql.get(sql)
        return result

    # -- check and open ----------------------------------------------------------------------------

    def _translated(self, exc: sa.exc.DBAPIError) -> ConnectorError | None:
        return translate(exc, self.config_keys, user=self.url.username, schema=self.default_schema)

    def _ensure_schema(self, conn: sa.Connection, schema: str) -> None:
        if self.dialect.setup_engine is not None:
            return  # schemas are attached files (SQLite): they exist once connected
        if schema not in sa.inspect(conn).get_schema_names():
            conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))

    def check(self) -> None:
        # a random part: the check must never drop a table a stream of that name owns
        probe = self.qualified(self.default_schema, f"{PROBE_TABLE}_{uuid.uuid4().hex[:8]}")
        try:
            with self.engine.begin() as conn:
                self._ensure_schema(conn, self.default_schema)
                execute_sql(conn, f"DROP TABLE IF EXISTS {probe}")
                execute_sql(conn, f"CREATE TABLE {probe} (id INTEGER)")
                execute_sql(conn, f"INSERT INTO {probe} (id) VALUES (1)")
                execute_sql(conn, f"DROP TABLE {probe}")
        except sa.exc.DBAPIError as exc:
            text = str(exc.orig or exc).strip()
            raise self._translated(exc) or ConfigError(f"the connection check failed: {text}") from exc

    def open(self, streams: Sequence[StreamSpec]) -> None:
        self._schemas.update(s.schema_name for s in streams)
        if self._engine is not None:
            self._engine.dispose()  # connections made before knew fewer schemas (SQLite attaches them)
        super().open(streams)

    # -- the store --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self.engine.begin() as conn:
                self._conn = conn
                yield
        except sa.exc.DBAPIError as exc:
            translated = self._translated(exc)
            if translated is None:
                raise
            raise translated from exc
        finally:
            self._conn = None

    @property
    def conn(self) -> sa.Connection:
        assert self._conn is not None, "store operations run inside transaction()"
        return self._conn

    def create_schema(self, schema: str) -> None:
        self._ensure_schema(self.conn, schema)

    def columns(self, stream: StreamSpec, table: str) -> dict[str, ColumnType | None] | None:
        reflected = self._reflect(self.conn, stream.schema_name, table)
        if reflected is None:
            return None
        return self._classify(reflected, [(c.name, c.type) for c in stream.all_columns])

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        conn, schema = self.conn, stream.schema_name
        existing = self._reflect(conn, schema, table)
        if existing is None:
            conn.execute(sa.schema.CreateTable(self._sa_table(schema, table, columns)))
        else:
            self._widen(conn, schema, table, self._classify(existing, columns), columns)
        if stream.dedup:
            self._ensure_key_index(conn, stream, table)

    def _widen(
        self,
        conn: sa.Connection,
        schema: str,
        table: str,
        existing: Mapping[str, ColumnType | None],
        wanted: Sequence[tuple[str, ColumnType]],
    ) -> None:
        adds, retypes = plan_evolution(
            existing, list(wanted), case_sensitive=self.capabilities.case_sensitive_identifiers
        )
        target = self.qualified(schema, table)
        for name, kind in adds:
            execute_sql(conn, f"ALTER TABLE {target} ADD COLUMN {self.quote(name)} {self._sql_type(kind)}")
        if self.dialect.alter_type is None:
            return
        for name, kind in retypes:
            statement = self.dialect.alter_type.format(table=target, column=self.quote(name), type=self._sql_type(kind))
            execute_sql(conn, statement)

    def opened(self, stream: StreamSpec) -> None:
        with self.engine.begin() as conn:
            if self._can_ingest(conn, stream):
                self._ingested.add(stream.key)

    def _can_ingest(self, conn: sa.Connection, stream: StreamSpec) -> bool:
        """Arrow ingest for this stream: its batches are their own transaction, and the table's columns have
        exactly the types the batch carries (binary COPY converts nothing; a widened column would refuse).
        The choice is logged, with the reason when it is the text path."""
        if self._arrow_ingest is None or stream.dedup:
            return False
        table = stream.staging_table_name if stream.truncate else stream.table_name
        existing = self._reflect(conn, stream.schema_name, table) or {}
        differing = [
            c.name for c in stream.all_columns if existing.get(c.name) != self._sql_name(self.dialect.types[c.type])
        ]
        if self._ingest is None:
            self._ingest = self._arrow_ingest(self.url, self.connect_args)
        if self._ingest is None:
            reason = "the ADBC driver is not installed"
        elif differing:
            reason = f"the table holds columns {differing} in other types than the batch"
        elif not self._ingest.supports(stream):
            reason = "a column type has no binary encoding"
        else:
            log.info("stream %s: loading with Arrow ingest (binary COPY)", stream.label)
            return True
        log.info("stream %s: loading with CSV COPY: %s", stream.label, reason)
        return False

    def _ensure_key_index(self, conn: sa.Connection, stream: StreamSpec, table: str) -> None:
        types = {c.name: c.type for c in stream.all_columns}
        if any(types[k] in self.dialect.unindexable for k in stream.primary_key):
            return
        indexes = sa.inspect(conn).get_indexes(table, schema=stream.schema_name)
        if any(list(index["column_names"]) == list(stream.primary_key) for index in indexes):
            return
        # A random part: a staging table renamed into place keeps its index name, and index names
        # are unique per schema on PostgreSQL and SQLite.
        name = fit_name(f"{table}_pk_{uuid.uuid4().hex[:8]}", self.capabilities.max_identifier_bytes)
        parts = []
        for key in stream.primary_key:
            prefix = self.dialect.index_prefix.get(types[key])
            parts.append(self.quote(key) + (f"({prefix})" if prefix else ""))
        statement = self.dialect.create_index.format(
            name=self.quote(name),
            schema=self.quote(stream.schema_name),
            table=self.quote(table),
            columns=", ".join(parts),
        )
        execute_sql(conn, statement)

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        if stream.key in self._ingested:
            assert self._ingest is not None
            self._ingest.ingest(stream, stream.schema_name, table, rows)  # its own transaction
            return
        columns = [(c.name, c.type) for c in stream.all_columns]
        sa_table = self._sa_table(stream.schema_name, table, columns)
        target = LoadTarget(self.qualified(stream.schema_name, table), [self.quote(n) for n, _ in columns], sa_table)
        self.load(self.conn, target, rows)

    def _common_columns(self, stream: StreamSpec, source: str, target: str) -> list[str]:
        into = self._reflect(self.conn, stream.schema_name, target) or {}
        return [self.quote(name) for name in self._reflect(self.conn, stream.schema_name, source) or {} if name in into]

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        listed = ", ".join(self._common_columns(stream, source, target))
        into, source_name = self.qualified(stream.schema_name, target), self.qualified(stream.schema_name, source)
        execute_sql(self.conn, f"INSERT INTO {into} ({listed}) SELECT {listed} FROM {source_name}")

    def drop(self, stream: StreamSpec, table: str) -> None:
        execute_sql(self.conn, f"DROP TABLE IF EXISTS {self.qualified(stream.schema_name, table)}")

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        column = self.quote(GENERATION_ID)
        other = execute_sql(
            self.conn,
            f"SELECT count(*) FROM {self.qualified(stream.schema_name, table)} "
            f"WHERE {column} IS NULL OR {column} <> {int(generation)}",
        ).scalar_one()
        return int(other) == 0

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        execute_sql(
            self.conn,
            f"DELETE FROM {self.qualified(stream.schema_name, table)} "
            f"WHERE COALESCE({self.quote(GENERATION_ID)}, -1) < {int(minimum)}",
        )

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        schema = stream.schema_name
        for pair in pairs:
            final_exists = self._reflect(self.conn, schema, pair.final) is not None
            for statement in self.dialect.swap(
                self.qualified(schema, pair.final),
                self.qualified(schema, pair.staging),
                self.quote(pair.final),
                self.qualified(schema, pair.previous),
                final_exists,
            ):
                execute_sql(self.conn, statement)

    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        conn = self.conn
        if isinstance(source, str):  # a staged table: its columns that the table has, keys compared NULL-safely
            columns = self._common_columns(stream, source, target.live)
            self._merge(conn, stream, target, self.qualified(stream.schema_name, source), columns, null_safe_keys=True)
            return
        columns = [self.quote(c.name) for c in stream.all_columns]
        temp_schema = self.dialect.temporary_schema or stream.schema_name
        wanted = [(c.name, c.type) for c in stream.all_columns]
        sa_batch = self._sa_table(temp_schema, stream.scratch_table_name, wanted, prefixes=["TEMPORARY"])
        batch_name = self.qualified(temp_schema, stream.scratch_table_name)
        conn.execute(sa.schema.CreateTable(sa_batch))
        self.load(conn, LoadTarget(batch_name, columns, sa_batch), source)
        if self.dialect.analyze_batch:
            execute_sql(conn, self.dialect.analyze_batch.format(table=batch_name))
        null_key = any(source.column(k).null_count for k in stream.primary_key)
        self._merge(conn, stream, target, batch_name, columns, null_safe_keys=null_key)
        execute_sql(conn, self.dialect.drop_temporary.format(table=batch_name))

    def _merge(
        self,
        conn: sa.Connection,
        stream: StreamSpec,
        target: MergeTarget,
        batch: str,
        columns: Sequence[str],
        *,
        null_safe_keys: bool,
    ) -> None:
        def same(column: str) -> str:
            return self.dialect.null_safe_equal.format(a=f"t.{self.quote(column)}", b=f"b.{self.quote(column)}")

        def equal(column: str) -> str:
            return f"t.{self.quote(column)} = b.{self.quote(column)}"

        same_key = " AND ".join((same if null_safe_keys else equal)(k) for k in stream.primary_key)
        existing_wins = existing_wins_sql(stream, self.quote, self.dialect.null_safe_equal)
        tables = [self.qualified(stream.schema_name, t) for t in (target.live, target.tombstones) if t is not None]
        for table in tables:
            condition = f"{same_key} AND NOT {existing_wins}"
            execute_sql(conn, self.dialect.delete_matching.format(target=table, batch=batch, condition=condition))
        # What is left for a key in either table won against the batch; only keys with nothing left land.
        unclaimed = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {same_key})" for table in tables)
        deleted = f"b.{self.quote(stream.cdc_deleted_column)} IS NOT NULL" if stream.cdc_deleted_column else "1 = 0"
        listed = ", ".join(columns)
        selected = f"SELECT {', '.join(f'b.{c}' for c in columns)} FROM {batch} AS b WHERE {unclaimed}"
        execute_sql(conn, f"INSERT INTO {tables[0]} ({listed}) {selected} AND NOT ({deleted})")
        if len(tables) > 1:
            execute_sql(conn, f"INSERT INTO {tables[1]} ({listed}) {selected} AND {deleted}")

    def close(self) -> None:
        if self._ingest is not None:
            self._ingest.close()
            self._ingest = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def create_sql_writer(
    url: str | sa.URL,
    *,
    schema: str,
    connect_args: Mapping[str, Any] | None = None,
    config_keys: ConfigKeys | None = None,
    load_method: LoadMethod = "bulk",
) -> SQLWriter:
    """A writer for ``url`` (not connected yet), with the dialect (and capabilities) the URL names."""
    dialect = dialect_for(sa.make_url(url).get_dialect()())
    return SQLWriter(
        url, dialect, schema=schema, connect_args=connect_args, config_keys=config_keys, load_method=load_method
    )
