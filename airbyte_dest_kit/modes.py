"""The sync modes, written once, over a small storage interface (:class:`Store`) that each target implements.

A store writer is a :class:`StoreWriter`: it implements the storage operations below and inherits
``open`` / ``write`` / ``finish`` from here, which apply every mode the same way on every target:

- append: each batch is appended to the stream's table.
- overwrite / truncate refresh: batches go to the staging table (``spec.staging_table_name``); when the
  stream completes, the staging tables replace the final ones (:meth:`Swaps.swap`). A failed sync leaves
  the final table as it was and keeps the staging table; the next attempt of the same generation
  (``generation_id > 0``) continues it, any other truncating sync starts it afresh, and a normal sync
  adopts its rows (protocol: a cancelled truncate keeps the rows of every sync).
- append_dedup: one row per primary key by :mod:`airbyte_dest_kit.merge_rule`; a winner with
  ``_ab_cdc_deleted_at`` set deletes its key and stays in the tombstone table, so an older version that
  arrives later loses. Either the store merges each batch itself (:class:`Merges`, SQL stores), or it
  can scan its tables (:class:`Rewrites`, files): batches are then staged, and when the stream completes
  the final and staged rows are reduced on disk (:func:`merge_rule.reduce_on_disk`, memory stays flat
  however long the stream), appended to the layout's merged tables and swapped in. A crash before the
  swap leaves the staged rows for the next sync to merge again (merging a row twice changes nothing).
- a refresh that keeps older generations until the end (``minimum_generation_id > 0`` without truncate)
  deletes rows of generations below the minimum when the stream completes.

The store interface. Operations name a table by the stream (its ``schema_name``) and a table name from
the stream's layout (:mod:`airbyte_dest_kit.layout`: every name, staging and tombstones included, is
reserved there); a store maps them to whatever it has (a database schema and table, a folder, a key
prefix). Rows are Arrow tables with ``stream.arrow_schema``'s columns, never ``_ab_line``.

Required (:class:`Store`):
  ``create_schema``, ``columns`` (the table's columns, None if there is no table), ``evolve`` (create or
  widen a table), ``append`` (durable when it returns), ``copy_rows`` (append one table's rows to
  another), ``drop``, ``holds_only_generation``, ``delete_generations_below``; ``transaction`` groups
  operations where the target has transactions (default: none), ``opened`` is a hook after a stream's
  tables exist.
Optional, and what the writer can do follows from them (:meth:`StoreWriter.derive_capabilities`):
  ``swap`` (:class:`Swaps`) → overwrite and truncate refreshes;
  ``merge`` (:class:`Merges`) or ``scan`` (:class:`Rewrites`, with ``swap``) → append_dedup.
A mode whose operations are missing is refused before any data is read.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import pyarrow as pa

from airbyte_dest_kit.layout import Capabilities, StreamSpec
from airbyte_dest_kit.merge_rule import reduce_on_disk
from airbyte_dest_kit.schema import ColumnType
from airbyte_dest_kit.writer import Writer

ColumnTypes = Mapping[str, ColumnType | None]  # a table's columns; None: a type the kit does not write


@dataclass(frozen=True)
class SwapPair:
    staging: str  # replaces ``final``
    final: str
    previous: str  # a free name ``final`` may be parked under during the swap (reserved by the layout)


@dataclass(frozen=True)
class MergeTarget:
    live: str  # the table holding one row per key
    tombstones: str | None  # deleted keys' winners; None: the stream has no CDC deletes


class Store(abc.ABC):
    """The operations every store implements (see the module docstring)."""

    def create_schema(self, schema: str) -> None:
        """Make ``schema`` exist (a database schema, a folder); nothing when the target has none."""

    @abc.abstractmethod
    def columns(self, stream: StreamSpec, table: str) -> ColumnTypes | None:
        """The table's columns in order, or None when the table does not exist."""

    @abc.abstractmethod
    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        """Create ``table`` (in ``stream.schema_name``) with ``columns``, or add and widen its columns to
        hold them (``schema.plan_evolution``); never drop one."""

    @abc.abstractmethod
    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        """Add ``rows`` to ``table``; durable when this returns (the states covering them get echoed)."""

    @abc.abstractmethod
    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        """Append every row of ``source`` to ``target``: the columns both have, by name."""

    @abc.abstractmethod
    def drop(self, stream: StreamSpec, table: str) -> None:
        """Remove ``table`` if it exists."""

    @abc.abstractmethod
    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        """Whether every row of ``table`` has ``_airbyte_generation_id == generation``."""

    @abc.abstractmethod
    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        """Delete rows whose ``_airbyte_generation_id`` is NULL or below ``minimum``."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Operations inside happen together or not at all, as far as the target can; the modes never
        nest transactions. Default: no transactions (each operation stands alone)."""
        yield

    def opened(self, stream: StreamSpec) -> None:
        """Called once per stream after its tables exist and staged rows were adopted."""


@runtime_checkable
class Swaps(Protocol):
    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        """Replace each ``final`` by its ``staging`` (which then no longer exists), all pairs together as
        far as the target can: readers see the old tables or the new ones, and a failure midway must leave
        something the next :meth:`StoreWriter.open` can finish or undo. A target without a transactional
        swap takes one from :mod:`airbyte_dest_kit.swaps` (by renames, or by a journal)."""


@runtime_checkable
class Merges(Protocol):
    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        """Merge ``source`` (a batch with one row per key, or a staged table of the same schema) into
        ``target`` by the winner rule, tombstones included (see :mod:`airbyte_dest_kit.merge_rule`)."""


@runtime_checkable
class Rewrites(Protocol):
    def scan(self, stream: StreamSpec, table: str) -> Iterator[pa.RecordBatch] | None:
        """Every row of ``table`` in arrival order, a bounded batch at a time (columns by name, any subset
        of ``stream.arrow_schema``'s, in types that cast to it), or None when the table does not exist."""


class StoreWriter(Writer, Store):
    """A :class:`Writer` whose modes come from this module; subclasses implement the store operations."""

    # How the target spells names; the mode flags are derived (see derive_capabilities).
    naming: ClassVar[Capabilities] = Capabilities()
    # Where a rewriting store's dedup merge keeps its database (reduce_on_disk); None: the system's temp folder.
    temp_directory: str | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.capabilities = cls.derive_capabilities(cls.naming)

    @classmethod
    def derive_capabilities(cls, naming: Capabilities) -> Capabilities:
        """``naming`` with the mode flags this store's operations allow."""
        swaps = callable(getattr(cls, "swap", None))
        merges = callable(getattr(cls, "merge", None))
        rewrites = callable(getattr(cls, "scan", None))
        return dataclasses.replace(naming, supports_truncate=swaps, supports_dedup=merges or (rewrites and swaps))

    # -- which tables a stream uses ----------------------------------------------------------------

    def _stages(self, stream: StreamSpec) -> bool:
        """Batches go to staging: a truncate, or a dedup stream merged only when it completes."""
        return stream.truncate or (stream.dedup and not isinstance(self, Merges))

    @staticmethod
    def _tables(stream: StreamSpec, *, staging: bool) -> list[str]:
        """The live table and, for streams that keep tombstones, the tombstone table."""
        if staging:
            return [stream.staging_table_name] + ([stream.staging_tombstone_table_name] * stream.keeps_tombstones)
        return [stream.table_name] + ([stream.tombstone_table_name] * stream.keeps_tombstones)

    @staticmethod
    def _merged_tables(stream: StreamSpec) -> list[str]:
        """Where a rewriting store's merge result is written before it is swapped in."""
        return [stream.merged_table_name] + ([stream.merged_tombstone_table_name] * stream.keeps_tombstones)

    @staticmethod
    def _merge_target(tables: Sequence[str]) -> MergeTarget:
        return MergeTarget(tables[0], tables[1] if len(tables) > 1 else None)

    # -- the Writer contract -----------------------------------------------------------------------

    def open(self, streams: Sequence[StreamSpec]) -> None:
        with self.transaction():
            for schema in sorted({s.schema_name for s in streams}):
                self.create_schema(schema)
        for stream in streams:
            with self.transaction():
                self._open_stream(stream)
            self.opened(stream)

    def _open_stream(self, stream: StreamSpec) -> None:
        wanted = [(c.name, c.type) for c in stream.all_columns]
        staging = self._tables(stream, staging=True)
        if stream.truncate and self.columns(stream, staging[0]) is not None:
            generation = stream.generation_id
            if not (generation > 0 and self.holds_only_generation(stream, staging[0], generation)):
                for table in staging:
                    self.drop(stream, table)
        if isinstance(self, Rewrites) and stream.dedup:  # an interrupted merge's output: staging still holds its rows
            for table in self._merged_tables(stream):
                self.drop(stream, table)
        for table in self._tables(stream, staging=self._stages(stream)):
            self.evolve(stream, table, wanted)
        if not self._stages(stream):
            self._adopt_staged_rows(stream)

    def _adopt_staged_rows(self, stream: StreamSpec) -> None:
        """A truncate refresh that failed and was then given up leaves its rows staged; a normal sync makes
        them visible by the stream's own mode and drops the staging tables."""
        finals = self._tables(stream, staging=False)
        for staging, final in zip(self._tables(stream, staging=True), finals, strict=True):
            staged = self.columns(stream, staging)
            if staged is None:
                continue
            # the final table learns any column only the staged rows have (of a type the kit writes)
            self.evolve(stream, final, [(name, kind) for name, kind in staged.items() if kind is not None])
            if isinstance(self, Merges) and stream.dedup:  # merged like one batch: staged rows are one per key
                self.merge(stream, self._merge_target(finals), staging)
            else:
                self.copy_rows(stream, staging, final)
            self.drop(stream, staging)

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        rows = batch.select(stream.arrow_schema.names)  # without _ab_line, in the table's column order
        tables = self._tables(stream, staging=self._stages(stream))
        with self.transaction():
            if isinstance(self, Merges) and stream.dedup:
                self.merge(stream, self._merge_target(tables), rows)
            else:
                self.append(stream, tables[0], rows)

    def finish(self, stream: StreamSpec) -> None:
        staging, finals = self._tables(stream, staging=True), self._tables(stream, staging=False)
        if stream.dedup and isinstance(self, Rewrites) and not isinstance(self, Merges):
            self._merge_staged_on_disk(stream, self, staging, finals)
            return
        with self.transaction():
            if stream.truncate:
                self._swap(stream, staging, finals)
            elif stream.minimum_generation_id > 0:
                for table in finals:
                    self.delete_generations_below(stream, table, stream.minimum_generation_id)

    def _swap(self, stream: StreamSpec, sources: Sequence[str], finals: Sequence[str]) -> None:
        assert isinstance(self, Swaps), "build_stream_specs refuses truncation and rewriting dedup without swap"
        previous = [stream.previous_table_name, stream.previous_tombstone_table_name]
        self.swap(stream, [SwapPair(*names) for names in zip(sources, finals, previous, strict=False)])

    def _merge_staged_on_disk(
        self, stream: StreamSpec, store: Rewrites, staging: Sequence[str], finals: Sequence[str]
    ) -> None:
        """Dedup on a store without merge: the final tables' rows (unless truncating), then everything staged
        since the last completion, reduced by the winner rule into the merged tables, which are swapped in
        (by a journal, a copy: :mod:`airbyte_dest_kit.swaps` says why the result is not written in place)."""
        scans = [store.scan(stream, table) for table in [*([] if stream.truncate else finals), staging[0]]]
        minimum = 0 if stream.truncate else stream.minimum_generation_id
        merged = self._merged_tables(stream)
        sources = [s for s in scans if s is not None]
        with reduce_on_disk(stream, sources, minimum_generation=minimum, temp_directory=self.temp_directory) as outputs:
            for table, batches in zip(merged, outputs, strict=False):
                self.evolve(stream, table, [(c.name, c.type) for c in stream.all_columns])
                for batch in batches:
                    self.append(stream, table, pa.Table.from_batches([batch]))
        with self.transaction():
            self._swap(stream, merged, finals)
        for table in staging:
            self.drop(stream, table)
