"""The SQL writer: any database SQLAlchemy reaches, with PostgreSQL, MySQL/MariaDB and SQLite tuned.

Same table layout and semantics as the DuckDB writer:

- append: each batch is bulk loaded (:mod:`.bulk`) in one transaction.
- overwrite / truncate refresh: rows go to ``<table>_airbyte_tmp``; when the stream completes the staging
  table replaces the final one in one step (:attr:`.SQLDialect.swap`). A failed sync leaves the final
  table as it was and keeps the staging table; the next attempt of the same generation (> 0) continues
  it, any other sync starts it afresh.
- append_dedup: the batch (one row per key already) is loaded into a temporary table and merged in the
  same transaction: existing rows that lose are deleted, then batch rows whose key is no longer present
  are inserted, unless their ``_ab_cdc_deleted_at`` is set: those go to ``<table>_airbyte_deletes`` (the
  tombstones), so that an older version arriving later does not bring the key back. The table gets a
  (non-unique) index on the key, and keys are compared with plain ``=`` unless the batch holds a NULL
  key: NULL-safe comparisons (``IS NOT DISTINCT FROM``) cannot use an index or a hash join. Why delete
  + insert rather than ``INSERT … ON CONFLICT`` / ``ON DUPLICATE KEY``: keys compare NULL-safely (a NULL
  key is a key), the winner rule looks at cursor and extraction time, CDC deletes remove rows, and tables
  written in append mode earlier may hold duplicates — an upsert needs a unique index none of this allows.
- a truncate refresh without staging (append + ``minimum_generation_id``) deletes older generations at
  the end; schema evolution adds columns and widens types (``schema.plan_evolution``), never drops.

All DDL happens in :meth:`SQLWriter.open`, before any batch. One engine per sync, ``pool_pre_ping`` on.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pyarrow as pa
import sqlalchemy as sa

from airbyte_dest_kit.errors import ConfigError, ConnectorError
from airbyte_dest_kit.naming import fit_name
from airbyte_dest_kit.schema import ColumnType, plan_evolution
from airbyte_dest_kit.writer import EXTRACTED_AT, GENERATION_ID, TOMBSTONE_SUFFIX, StreamSpec, Writer
from airbyte_dest_kit.writers.sql.arrow_ingest import PostgresArrowIngest
from airbyte_dest_kit.writers.sql.bulk import LoadTarget, execute_sql, insert_executemany
from airbyte_dest_kit.writers.sql.dialects import SQLDialect, dialect_for
from airbyte_dest_kit.writers.sql.errors import ConfigKeys, translate

__all__ = ["ConfigKeys", "SQLWriter", "create_sql_writer"]

log = logging.getLogger("airbyte.writers.sql")

PROBE_TABLE = "_airbyte_connection_check"
BATCH_TABLE = "_airbyte_batch"
OLD_SUFFIX = "_airbyte_old"
LoadMethod = Literal["bulk", "insert"]
Layout = tuple[str, ColumnType]  # a column's name and type


class SQLWriter(Writer):
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
        self.capabilities = dialect.capabilities
        self.default_schema = schema
        self.connect_args = {**dialect.connect_args, **(connect_args or {})}
        self.config_keys = config_keys or ConfigKeys()
        self.load = dialect.bulk_loader if load_method == "bulk" else insert_executemany
        self._arrow_ingest = dialect.arrow_ingest if load_method == "bulk" else None
        self._ingest: PostgresArrowIngest | None = None
        self._ingested: set[tuple[str | None, str]] = set()  # streams whose batches go through _ingest
        self._schemas: set[str] = {schema}
        self._engine: sa.Engine | None = None

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
        probe = self.qualified(self.default_schema, PROBE_TABLE)
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
        try:
            with self.engine.begin() as conn:
                for schema in sorted({s.schema_name for s in streams}):
                    self._ensure_schema(conn, schema)
            for stream in streams:
                with self.engine.begin() as conn:
                    self._open_stream(conn, stream)
                    if self._can_ingest(conn, stream):
                        self._ingested.add(stream.key)
        except sa.exc.DBAPIError as exc:
            translated = self._translated(exc)
            if translated is None:
                raise
            raise translated from exc

    def _open_stream(self, conn: sa.Connection, stream: StreamSpec) -> None:
        tables = self._tables(stream, self._target_table(stream))
        if stream.truncate and self._reflect(conn, stream.schema_name, tables[0]) is not None:
            staging = self.qualified(stream.schema_name, tables[0])
            if not self._staging_is_resumable(conn, stream, staging):
                for table in tables:
                    execute_sql(conn, f"DROP TABLE IF EXISTS {self.qualified(stream.schema_name, table)}")
        for table in tables:
            self._ensure_table(conn, stream, table)
            if stream.dedup:
                self._ensure_key_index(conn, stream, table)
        if not stream.truncate:
            self._adopt_staged_rows(conn, stream)

    def _adopt_staged_rows(self, conn: sa.Connection, stream: StreamSpec) -> None:
        """A truncate refresh that failed and was then given up leaves its rows staged; a normal sync makes
        them visible, by the stream's own mode, and drops the staging tables (protocol: a cancelled truncate
        keeps the rows of every sync). One transaction where DDL is transactional; on MySQL a crash between
        the insert and the drop adopts the rows twice (a dedup stream absorbs that, an append one does not)."""
        schema = stream.schema_name
        wanted = [(c.name, c.type) for c in stream.all_columns]
        stagings = self._tables(stream, stream.staging_table_name)
        for staging, final in zip(stagings, self._tables(stream, stream.table_name), strict=True):
            staged = self._reflect(conn, schema, staging)
            if staged is None:
                continue
            known = [(name, kind) for name, kind in self._classify(staged, wanted).items() if kind is not None]
            self._evolve(conn, schema, final, known)  # the final table learns any column only staged rows have
            final_columns = self._reflect(conn, schema, final) or {}
            columns = [self.quote(name) for name in staged if name in final_columns]
            source = self.qualified(schema, staging)
            if stream.dedup:  # merged like one batch (staged rows are one per key already)
                self._merge(conn, stream, source, columns, null_safe_keys=True)
            else:
                listed = ", ".join(columns)
                execute_sql(
                    conn, f"INSERT INTO {self.qualified(schema, final)} ({listed}) SELECT {listed} FROM {source}"
                )
            execute_sql(conn, f"DROP TABLE {source}")

    def _can_ingest(self, conn: sa.Connection, stream: StreamSpec) -> bool:
        """Arrow ingest for this stream: its batches are their own transaction, and the table's columns have
        exactly the types the batch carries (binary COPY converts nothing; a widened column would refuse).
        The choice is logged, with the reason when it is the text path."""
        if self._arrow_ingest is None or stream.dedup:
            return False
        existing = self._reflect(conn, stream.schema_name, self._target_table(stream)) or {}
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

    def _tables(self, stream: StreamSpec, table: str) -> list[str]:
        """``table`` and, for streams that keep tombstones, its deletes table."""
        if not stream.keeps_tombstones:
            return [table]
        return [table, fit_name(table + TOMBSTONE_SUFFIX, self.capabilities.max_identifier_bytes)]

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

    def _staging_is_resumable(self, conn: sa.Connection, stream: StreamSpec, staging: str) -> bool:
        """A staging table left by a failed attempt of this same generation holds rows worth keeping."""
        if stream.generation_id <= 0:
            return False
        generation = self.quote(GENERATION_ID)
        other = execute_sql(
            conn,
            f"SELECT count(*) FROM {staging} WHERE {generation} IS NULL OR {generation} <> {int(stream.generation_id)}",
        ).scalar_one()
        return int(other) == 0

    def _ensure_table(self, conn: sa.Connection, stream: StreamSpec, table: str) -> None:
        self._evolve(conn, stream.schema_name, table, [(c.name, c.type) for c in stream.all_columns])

    def _evolve(self, conn: sa.Connection, schema: str, table: str, wanted: Sequence[tuple[str, ColumnType]]) -> None:
        """Create ``table`` with ``wanted`` columns, or add and widen its columns to hold them."""
        existing = self._reflect(conn, schema, table)
        if existing is None:
            conn.execute(sa.schema.CreateTable(self._sa_table(schema, table, wanted)))
            return
        adds, retypes = plan_evolution(
            self._classify(existing, wanted), list(wanted), case_sensitive=self.capabilities.case_sensitive_identifiers
        )
        target = self.qualified(schema, table)
        for name, kind in adds:
            execute_sql(conn, f"ALTER TABLE {target} ADD COLUMN {self.quote(name)} {self._sql_type(kind)}")
        if self.dialect.alter_type is None:
            return
        for name, kind in retypes:
            statement = self.dialect.alter_type.format(table=target, column=self.quote(name), type=self._sql_type(kind))
            execute_sql(conn, statement)

    # -- writing -----------------------------------------------------------------------------------

    def _target_table(self, stream: StreamSpec) -> str:
        return stream.staging_table_name if stream.truncate else stream.table_name

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        names = [c.name for c in stream.all_columns]
        rows = batch.select(names)  # drops the pipeline's line numbers, keeps the table's column order
        if stream.key in self._ingested:
            assert self._ingest is not None
            self._ingest.ingest(stream, stream.schema_name, self._target_table(stream), rows)
            return
        columns = [self.quote(n) for n in names]
        with self.engine.begin() as conn:
            if not stream.dedup:
                table = self._target_table(stream)
                sa_table = self._sa_table(stream.schema_name, table, [(c.name, c.type) for c in stream.all_columns])
                self.load(conn, LoadTarget(self.qualified(stream.schema_name, table), columns, sa_table), rows)
                return
            temp_schema = self.dialect.temporary_schema or stream.schema_name
            wanted = [(c.name, c.type) for c in stream.all_columns]
            sa_batch = self._sa_table(temp_schema, BATCH_TABLE, wanted, prefixes=["TEMPORARY"])
            batch_name = self.qualified(temp_schema, BATCH_TABLE)
            conn.execute(sa.schema.CreateTable(sa_batch))
            self.load(conn, LoadTarget(batch_name, columns, sa_batch), rows)
            if self.dialect.analyze_batch:
                execute_sql(conn, self.dialect.analyze_batch.format(table=batch_name))
            null_key = any(rows.column(k).null_count for k in stream.primary_key)
            self._merge(conn, stream, batch_name, columns, null_safe_keys=null_key)
            execute_sql(conn, self.dialect.drop_temporary.format(table=batch_name))

    def _merge(
        self, conn: sa.Connection, stream: StreamSpec, batch: str, columns: Sequence[str], *, null_safe_keys: bool
    ) -> None:
        target = self.qualified(stream.schema_name, self._target_table(stream))

        def same(column: str) -> str:
            return self.dialect.null_safe_equal.format(a=f"t.{self.quote(column)}", b=f"b.{self.quote(column)}")

        def equal(column: str) -> str:
            return f"t.{self.quote(column)} = b.{self.quote(column)}"

        same_key = " AND ".join((same if null_safe_keys else equal)(k) for k in stream.primary_key)
        extracted = self.quote(EXTRACTED_AT)
        extracted_later = f"t.{extracted} > b.{extracted}"
        if stream.cursor:
            c = self.quote(stream.cursor)
            # COALESCE: a comparison with a NULL cursor is unknown, and NOT unknown would keep a loser.
            existing_wins = (
                f"COALESCE(t.{c} > b.{c}, 1 = 0) OR (t.{c} IS NOT NULL AND b.{c} IS NULL) "
                f"OR ({same(stream.cursor)} AND {extracted_later})"
            )
        else:
            existing_wins = extracted_later
        tables = [self.qualified(stream.schema_name, t) for t in self._tables(stream, self._target_table(stream))]
        for table in tables:
            condition = f"{same_key} AND NOT ({existing_wins})"
            execute_sql(conn, self.dialect.delete_matching.format(target=table, batch=batch, condition=condition))
        # What is left for a key in either table won against the batch; only keys with nothing left land.
        unclaimed = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {same_key})" for table in tables)
        deleted = f"b.{self.quote(stream.cdc_deleted_column)} IS NOT NULL" if stream.cdc_deleted_column else "1 = 0"
        listed = ", ".join(columns)
        selected = f"SELECT {', '.join(f'b.{c}' for c in columns)} FROM {batch} AS b WHERE {unclaimed}"
        execute_sql(conn, f"INSERT INTO {target} ({listed}) {selected} AND NOT ({deleted})")
        if stream.keeps_tombstones:
            execute_sql(conn, f"INSERT INTO {tables[1]} ({listed}) {selected} AND {deleted}")

    def finish(self, stream: StreamSpec) -> None:
        pairs = zip(
            self._tables(stream, stream.staging_table_name), self._tables(stream, stream.table_name), strict=True
        )
        with self.engine.begin() as conn:
            for staging, final in pairs:
                if stream.truncate:
                    final_exists = self._reflect(conn, stream.schema_name, final) is not None
                    old = fit_name(final + OLD_SUFFIX, self.capabilities.max_identifier_bytes)
                    for statement in self.dialect.swap(
                        self.qualified(stream.schema_name, final),
                        self.qualified(stream.schema_name, staging),
                        self.quote(final),
                        self.qualified(stream.schema_name, old),
                        final_exists,
                    ):
                        execute_sql(conn, statement)
                elif stream.minimum_generation_id > 0:
                    execute_sql(
                        conn,
                        f"DELETE FROM {self.qualified(stream.schema_name, final)} "
                        f"WHERE COALESCE({self.quote(GENERATION_ID)}, -1) < {int(stream.minimum_generation_id)}",
                    )

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
