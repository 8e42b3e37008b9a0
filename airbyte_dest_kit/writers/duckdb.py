"""DuckDB, the embedded default: a database file the user can open with any DuckDB client.

- append: each batch is one ``INSERT … BY NAME`` transaction.
- overwrite / truncate refresh: rows go to ``<table>_airbyte_tmp`` during the sync; when the stream
  completes, one transaction drops the old table and renames the staging table in its place. A failed sync
  leaves the old table as it was and keeps the staging table; the next attempt of the same generation
  (``generation_id > 0``) continues it, any other sync starts it afresh.
- append_dedup: the batch (already one row per key, see the record typer) is merged in one transaction:
  an existing row loses to an incoming one unless its cursor is greater, or the incoming cursor is NULL
  and its is not, or cursors tie and it was extracted later. Keys compare NULL-safely. A winning row
  with a non-null ``_ab_cdc_deleted_at`` deletes its key, and is kept in ``<table>_airbyte_deletes`` (a
  tombstone) so that an older version of the row arriving in a later batch or sync does not bring the key
  back; a newer version does. A key is in at most one of the two tables.
- schema evolution: new properties add columns, changed types widen (``schema.widen``), nothing is dropped.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from airbyte_dest_kit.errors import ConfigError, ConnectorError, TransientError
from airbyte_dest_kit.naming import fit_name
from airbyte_dest_kit.pipeline.record_typer import LINE_NUMBER, quote
from airbyte_dest_kit.schema import ColumnType, plan_evolution
from airbyte_dest_kit.writer import (
    EXTRACTED_AT,
    GENERATION_ID,
    TOMBSTONE_SUFFIX,
    Capabilities,
    StreamSpec,
    Writer,
)

SQL_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.NUMBER: "DOUBLE",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP_TZ: "TIMESTAMP WITH TIME ZONE",
    ColumnType.TIMESTAMP: "TIMESTAMP",
    ColumnType.TIME_TZ: "TIME WITH TIME ZONE",
    ColumnType.TIME: "TIME",
    ColumnType.JSON: "JSON",
}
# DuckDB caches the database file up to 80% of RAM by default: bounded, so the process stays under 1 GiB.
MEMORY_LIMIT = "256MB"
_REFLECTED = {sql: kind for kind, sql in SQL_TYPES.items()}
_DISK_FULL = ("no space left", "file too large", "disk full", "could not write")

log = logging.getLogger("airbyte.writers.duckdb")


def _error_for(path: str, exc: duckdb.Error) -> Exception:
    text = str(exc)
    if "lock" in text.lower():
        return TransientError(
            f"DuckDB file {path!r} is locked by another process; close other connections to it and retry",
            internal_message=text,
        )
    return ConfigError(f"cannot open DuckDB file {path!r} (config key 'destination_path'): {text}")


def _write_failure(path: str, exc: duckdb.Error) -> ConnectorError | None:
    """The error to report for a failed write the user can act on (the disk is full), else None."""
    text = str(exc)
    if not any(marker in text.lower() for marker in _DISK_FULL):
        return None
    return TransientError(
        f"DuckDB could not write to {path!r} (config key 'destination_path'): the disk is full or the file hit a "
        "size limit. Free space (or point destination_path at a larger disk) and retry: every echoed state's "
        "records are committed, and a retry resumes from the last one",
        internal_message=text,
    )


class DuckDBWriter(Writer):
    capabilities = Capabilities(supports_dedup=True, supports_truncate=True, case_sensitive_identifiers=False)

    def __init__(self, path: str, *, threads: int | None = None) -> None:
        self.path = path
        self.threads = threads
        self._con: duckdb.DuckDBPyConnection | None = None
        self._catalog = ""

    def qualified(self, schema: str, table: str) -> str:
        _ = self.con  # connects, which reads the catalog name
        return f"{quote(self._catalog)}.{quote(schema)}.{quote(table)}"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction. A failed ROLLBACK (the connection may be unusable after a disk-full error) is
        logged, never raised: the error that caused it is the one to report."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error as rollback_error:
                log.warning("ROLLBACK after %r failed too: %s", exc, rollback_error)
            if isinstance(exc, duckdb.Error):
                failure = _write_failure(self.path, exc)
                if failure is not None:
                    raise failure from exc
            raise

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            try:
                if self.path != ":memory:":
                    Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
                self._con = duckdb.connect(os.path.expanduser(self.path))
            except (duckdb.Error, OSError) as exc:
                if isinstance(exc, OSError):
                    raise ConfigError(f"cannot create the folder for 'destination_path' {self.path!r}: {exc}") from exc
                raise _error_for(self.path, exc) from exc
            self._con.execute("SET TimeZone = 'UTC'")
            self._con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            # Names are qualified with the database (catalog) name: a schema named like the file (schema
            # "airbyte" in airbyte.duckdb) would otherwise be an ambiguous reference.
            self._catalog = self._con.execute("SELECT current_database()").fetchall()[0][0]
            if self.threads:
                self._con.execute(f"SET threads = {int(self.threads)}")
        return self._con

    def check(self) -> None:
        probe = self.qualified("main", "_airbyte_connection_check")
        self.con.execute(f"CREATE OR REPLACE TABLE {probe} (id INTEGER)")
        self.con.execute(f"INSERT INTO {probe} VALUES (1)")
        self.con.execute(f"DROP TABLE {probe}")

    # -- layout -----------------------------------------------------------------------------------

    def _columns(self, schema: str, table: str) -> dict[str, ColumnType | None] | None:
        rows = self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [self._catalog, schema, table],
        ).fetchall()
        return {name: _REFLECTED.get(kind) for name, kind in rows} if rows else None

    def _ensure_table(self, stream: StreamSpec, table: str) -> None:
        self._evolve(stream.schema_name, table, [(c.name, c.type) for c in stream.all_columns])

    def _evolve(self, schema: str, table: str, wanted: list[tuple[str, ColumnType]]) -> None:
        """Create ``table`` with ``wanted`` columns, or add and widen its columns to hold them."""
        existing = self._columns(schema, table)
        target = self.qualified(schema, table)
        if existing is None:
            columns = ", ".join(f"{quote(name)} {SQL_TYPES[kind]}" for name, kind in wanted)
            self.con.execute(f"CREATE TABLE {target} ({columns})")
            return
        adds, retypes = plan_evolution(existing, wanted, case_sensitive=self.capabilities.case_sensitive_identifiers)
        for name, kind in adds:
            self.con.execute(f"ALTER TABLE {target} ADD COLUMN {quote(name)} {SQL_TYPES[kind]}")
        for name, kind in retypes:
            self.con.execute(f"ALTER TABLE {target} ALTER COLUMN {quote(name)} TYPE {SQL_TYPES[kind]}")

    @staticmethod
    def _tables(stream: StreamSpec, table: str) -> list[str]:
        """``table`` and, for streams that keep tombstones, its deletes table."""
        return [table, _tombstones(table)] if stream.keeps_tombstones else [table]

    def _staging_is_resumable(self, stream: StreamSpec) -> bool:
        """A staging table left by a failed attempt of this same generation holds rows worth keeping."""
        if stream.generation_id <= 0:
            return False
        target = self.qualified(stream.schema_name, stream.staging_table_name)
        rows = self.con.execute(
            f"SELECT count(*) FROM {target} WHERE {GENERATION_ID} IS DISTINCT FROM ?", [stream.generation_id]
        ).fetchall()
        return bool(rows[0][0] == 0)

    def open(self, streams: Sequence[StreamSpec]) -> None:
        for stream in streams:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self._catalog)}.{quote(stream.schema_name)}")
            tables = self._tables(stream, self._target_table(stream))
            if stream.truncate:
                staging = self._columns(stream.schema_name, tables[0])
                if staging is not None and not self._staging_is_resumable(stream):
                    for table in tables:
                        self.con.execute(f"DROP TABLE IF EXISTS {self.qualified(stream.schema_name, table)}")
            for table in tables:
                self._ensure_table(stream, table)
            if not stream.truncate:
                self._adopt_staged_rows(stream)

    def _adopt_staged_rows(self, stream: StreamSpec) -> None:
        """A truncate refresh that failed and was then given up leaves its rows staged; a normal sync makes
        them visible, by the stream's own mode, and drops the staging tables, in one transaction: nothing a
        refresh wrote is lost (protocol: a cancelled truncate keeps the rows of every sync)."""
        schema = stream.schema_name
        pairs = zip(
            self._tables(stream, stream.staging_table_name), self._tables(stream, stream.table_name), strict=True
        )
        staged = [(staging, final) for staging, final in pairs if self._columns(schema, staging) is not None]
        for staging, final in staged:  # the final tables learn any column only the staged rows have
            columns = self._columns(schema, staging) or {}
            self._evolve(schema, final, [(name, kind or ColumnType.STRING) for name, kind in columns.items()])
        if not staged:
            return
        with self.transaction() as con:
            for staging, final in staged:
                source = self.qualified(schema, staging)
                if stream.dedup:  # merged like one batch (staged rows are one per key already)
                    con.execute(f"CREATE TEMP VIEW _airbyte_batch AS SELECT *, 0 AS {LINE_NUMBER} FROM {source}")
                    self._merge(stream)
                    con.execute("DROP VIEW _airbyte_batch")
                else:
                    con.execute(f"INSERT INTO {self.qualified(schema, final)} BY NAME SELECT * FROM {source}")
                con.execute(f"DROP TABLE {source}")

    # -- writing ----------------------------------------------------------------------------------

    @staticmethod
    def _target_table(stream: StreamSpec) -> str:
        return stream.staging_table_name if stream.truncate else stream.table_name

    def _target(self, stream: StreamSpec) -> str:
        return self.qualified(stream.schema_name, self._target_table(stream))

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        self.con.register("_airbyte_batch", batch)
        try:
            with self.transaction() as con:
                if stream.dedup:
                    self._merge(stream)
                else:
                    con.execute(
                        f"INSERT INTO {self._target(stream)} BY NAME "
                        f"SELECT * EXCLUDE ({LINE_NUMBER}) FROM _airbyte_batch"
                    )
        finally:
            self.con.unregister("_airbyte_batch")

    def _merge(self, stream: StreamSpec) -> None:
        tables = [self.qualified(stream.schema_name, t) for t in self._tables(stream, self._target_table(stream))]
        same_key = " AND ".join(f"t.{quote(k)} IS NOT DISTINCT FROM b.{quote(k)}" for k in stream.primary_key)
        extracted_later = f"t.{EXTRACTED_AT} > b.{EXTRACTED_AT}"
        if stream.cursor:
            c = quote(stream.cursor)
            existing_wins = (
                f"(t.{c} > b.{c}) OR (t.{c} IS NOT NULL AND b.{c} IS NULL) "
                f"OR (t.{c} IS NOT DISTINCT FROM b.{c} AND {extracted_later})"
            )
        else:
            existing_wins = extracted_later
        for table in tables:
            # coalesce: with NULL cursors the comparison is NULL, which must read as "existing does not win"
            self.con.execute(
                f"DELETE FROM {table} AS t USING _airbyte_batch AS b "
                f"WHERE {same_key} AND NOT coalesce({existing_wins}, FALSE)"
            )
        # What is left for a key in either table won against the batch; only keys with nothing left land.
        unclaimed = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {same_key})" for table in tables)
        deleted = f"b.{quote(stream.cdc_deleted_column)} IS NOT NULL" if stream.cdc_deleted_column else "FALSE"
        self.con.execute(
            f"INSERT INTO {tables[0]} BY NAME SELECT * EXCLUDE ({LINE_NUMBER}) FROM _airbyte_batch AS b "
            f"WHERE {unclaimed} AND NOT ({deleted})"
        )
        if stream.keeps_tombstones:
            self.con.execute(
                f"INSERT INTO {tables[1]} BY NAME SELECT * EXCLUDE ({LINE_NUMBER}) FROM _airbyte_batch AS b "
                f"WHERE {unclaimed} AND {deleted}"
            )

    def finish(self, stream: StreamSpec) -> None:
        pairs = zip(
            self._tables(stream, stream.staging_table_name), self._tables(stream, stream.table_name), strict=True
        )
        with self.transaction() as con:
            for staging, final in pairs:
                if stream.truncate:
                    con.execute(f"DROP TABLE IF EXISTS {self.qualified(stream.schema_name, final)}")
                    con.execute(f"ALTER TABLE {self.qualified(stream.schema_name, staging)} RENAME TO {quote(final)}")
                elif stream.minimum_generation_id > 0:
                    con.execute(
                        f"DELETE FROM {self.qualified(stream.schema_name, final)} "
                        f"WHERE coalesce({GENERATION_ID}, -1) < {int(stream.minimum_generation_id)}"
                    )

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _tombstones(table: str) -> str:
    return fit_name(table + TOMBSTONE_SUFFIX, DuckDBWriter.capabilities.max_identifier_bytes)
