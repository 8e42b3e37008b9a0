"""DuckDB, the embedded default: a database file the user can open with any DuckDB client.

A store (:mod:`airbyte_dest_kit.store` applies the modes): each operation is plain DuckDB SQL, batches are
Arrow tables scanned in place. ``swap`` drops the final table and renames the staging one in the same
transaction; ``merge`` deletes the rows that lose against the batch by the winner rule
(:func:`~airbyte_dest_kit.streams.winner.existing_wins_sql`), then inserts the batch rows whose key is left
with no row, live ones into the table and deletions into the tombstones. Schema evolution adds columns and widens types
(:func:`~airbyte_dest_kit.streams.schema.plan_evolution`), never drops.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import ConfigError, ConnectorError, TransientError
from airbyte_dest_kit.store import MergeTarget, StoreWriter, SwapPair
from airbyte_dest_kit.streams.schema import ColumnType, plan_evolution
from airbyte_dest_kit.streams.spec import GENERATION_ID, StreamSpec
from airbyte_dest_kit.streams.sql_text import literal, quote
from airbyte_dest_kit.streams.winner import existing_wins_sql

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
# DuckDB caches the database file up to 80% of RAM by default: bounded, so the process stays under 512 MiB
# (256 MB, with two batches typed ahead, measured up to a tenth faster and 60–100 MiB larger:
# docs/performance.md).
MEMORY_LIMIT = "128MB"
CHECKPOINT_THRESHOLD = "64MB"
# DuckDB writes a transaction's rows straight into the database file, compressed, once they fill a row group
# ("optimistic writes"); smaller commits go through the WAL and are compressed again at the next checkpoint.
# Our batches (24 MiB of JSON) hold 20,000–100,000 rows, under DuckDB's 122,880-row groups: at 30,720 rows
# (15 vectors) they skip the WAL, a quarter to a third less CPU in the writer for a fifth larger file. A
# commit's last row group, when at most half full, is merged with its neighbours and compressed again at the
# checkpoint (its vacuum): the pipeline leaves such a group's rows for the next batch (``rows_per_block``),
# which took source-faker's output from 5.2 to 3.7 s (docs/performance.md). Row groups already in the file
# keep their size.
ROW_GROUP_SIZE = 30_720
# Our connection's name for the database file (a name of the file's own could clash with DuckDB's, like
# "memory"). Names are qualified with it: a schema named like the catalog would otherwise be ambiguous.
_CATALOG = "destination"
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


class DuckDBWriter(StoreWriter):
    naming = Capabilities(case_sensitive_identifiers=False, rows_per_block=ROW_GROUP_SIZE)

    def __init__(self, path: str, *, threads: int | None = None) -> None:
        self.path = path
        self.threads = threads
        self._con: duckdb.DuckDBPyConnection | None = None

    def qualified(self, schema: str, table: str) -> str:
        return f"{_CATALOG}.{quote(schema)}.{quote(table)}"

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            try:
                if self.path != ":memory:":
                    Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
                self._con = self._attached()
            except (duckdb.Error, OSError) as exc:
                if isinstance(exc, OSError):
                    raise ConfigError(f"cannot create the folder for 'destination_path' {self.path!r}: {exc}") from exc
                raise _error_for(self.path, exc) from exc
            self._con.execute("SET TimeZone = 'UTC'")
            self._con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            # A checkpoint after every 16 MiB of WAL (DuckDB's default) followed nearly every batch (and, as we
            # read it, compresses the table's partly filled last row group again each time): 64 MiB measured
            # up to a fifth faster on source-faker's output, for no more memory (docs/performance.md).
            self._con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
            if self.threads:
                self._con.execute(f"SET threads = {int(self.threads)}")
        return self._con

    def _attached(self) -> duckdb.DuckDBPyConnection:
        """A connection with the database file attached as our catalog; on failure nothing is left open."""
        con = duckdb.connect()
        try:
            path = literal(os.path.expanduser(self.path))
            con.execute(f"ATTACH {path} AS {_CATALOG} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
            con.execute(f"USE {_CATALOG}")
        except duckdb.Error:
            con.close()
            raise
        return con

    def check(self) -> None:
        probe = self.qualified("main", f"_airbyte_connection_check_{uuid.uuid4().hex[:8]}")  # never a stream's table
        self.con.execute(f"CREATE OR REPLACE TABLE {probe} (id INTEGER)")
        self.con.execute(f"INSERT INTO {probe} VALUES (1)")
        self.con.execute(f"DROP TABLE {probe}")

    # -- the store -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction. A failed ROLLBACK (the connection may be unusable after a disk-full error) is
        logged, never raised: the error that caused it is the one to report."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield
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

    def create_schema(self, schema: str) -> None:
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {_CATALOG}.{quote(schema)}")

    def columns(self, stream: StreamSpec, table: str) -> dict[str, ColumnType | None] | None:
        return self.columns_of(stream.schema_name, table)

    def columns_of(self, schema: str, table: str) -> dict[str, ColumnType | None] | None:
        """The columns of ``schema.table`` (types the kit does not write: None), or None without such a table."""
        rows = self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [_CATALOG, schema, table],
        ).fetchall()
        return {name: _REFLECTED.get(kind) for name, kind in rows} if rows else None

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        existing = self.columns(stream, table)
        target = self.qualified(stream.schema_name, table)
        if existing is None:
            listed = ", ".join(f"{quote(name)} {SQL_TYPES[kind]}" for name, kind in columns)
            self.con.execute(f"CREATE TABLE {target} ({listed})")
            return
        adds, retypes = plan_evolution(
            existing, list(columns), case_sensitive=self.capabilities.case_sensitive_identifiers
        )
        for name, kind in adds:
            self.con.execute(f"ALTER TABLE {target} ADD COLUMN {quote(name)} {SQL_TYPES[kind]}")
        for name, kind in retypes:
            self.con.execute(f"ALTER TABLE {target} ALTER COLUMN {quote(name)} TYPE {SQL_TYPES[kind]}")

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        with self._registered(stream, rows) as batch:
            self.con.execute(f"INSERT INTO {self.qualified(stream.schema_name, table)} BY NAME SELECT * FROM {batch}")

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        common = [
            quote(name) for name in self.columns(stream, source) or {} if name in (self.columns(stream, target) or {})
        ]
        into, source_table = (self.qualified(stream.schema_name, t) for t in (target, source))
        listed = ", ".join(common)
        self.con.execute(f"INSERT INTO {into} ({listed}) SELECT {listed} FROM {source_table}")

    def drop(self, stream: StreamSpec, table: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {self.qualified(stream.schema_name, table)}")

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        target = self.qualified(stream.schema_name, table)
        rows = self.con.execute(
            f"SELECT count(*) FROM {target} WHERE {GENERATION_ID} IS DISTINCT FROM ?",
            [generation],
        ).fetchall()
        return bool(rows[0][0] == 0)

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        target = self.qualified(stream.schema_name, table)
        self.con.execute(f"DELETE FROM {target} WHERE coalesce({GENERATION_ID}, -1) < ?", [minimum])

    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        for pair in pairs:  # one transaction (the modes open it): DuckDB's DDL is transactional
            self.drop(stream, pair.final)
            staging = self.qualified(stream.schema_name, pair.staging)
            self.con.execute(f"ALTER TABLE {staging} RENAME TO {quote(pair.final)}")

    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        if isinstance(source, str):
            self._merge(stream, target, self.qualified(stream.schema_name, source))
            return
        with self._registered(stream, source) as batch:
            self._merge(stream, target, batch)

    def _merge(self, stream: StreamSpec, target: MergeTarget, batch: str) -> None:
        schema = stream.schema_name
        tables = [self.qualified(schema, t) for t in (target.live, target.tombstones) if t is not None]
        same_key = " AND ".join(f"t.{quote(k)} IS NOT DISTINCT FROM b.{quote(k)}" for k in stream.primary_key)
        for table in tables:
            self.con.execute(
                f"DELETE FROM {table} AS t USING {batch} AS b "
                f"WHERE {same_key} AND NOT {existing_wins_sql(stream, quote)}"
            )
        # What is left for a key in either table won against the batch; only keys with nothing left land.
        unclaimed = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {same_key})" for table in tables)
        deleted = f"b.{quote(stream.cdc_deleted_column)} IS NOT NULL" if stream.cdc_deleted_column else "FALSE"
        self.con.execute(
            f"INSERT INTO {tables[0]} BY NAME SELECT * FROM {batch} AS b WHERE {unclaimed} AND NOT ({deleted})"
        )
        if len(tables) > 1:
            self.con.execute(
                f"INSERT INTO {tables[1]} BY NAME SELECT * FROM {batch} AS b WHERE {unclaimed} AND {deleted}"
            )

    @contextlib.contextmanager
    def _registered(self, stream: StreamSpec, rows: pa.Table) -> Iterator[str]:
        """``rows`` as a view DuckDB scans in place, under the layout's scratch name (never a stream's)."""
        self.con.register(stream.scratch_table_name, rows)
        try:
            yield quote(stream.scratch_table_name)
        finally:
            self.con.unregister(stream.scratch_table_name)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
