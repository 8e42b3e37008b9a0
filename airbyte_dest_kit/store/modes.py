"""The sync modes, written once, over a small storage interface (:class:`Store`) that each target implements.

A store writer is a :class:`StoreWriter`: it implements the storage operations below and inherits
``open`` / ``write`` / ``finish`` from here, which apply every mode the same way on every target:

- append: each batch is appended to the stream's table.
- overwrite / truncate refresh: batches go to the staging table (``spec.staging_table_name``); when the
  stream completes, the staging tables replace the final ones (:meth:`Swaps.swap`). A failed sync leaves
  the final table as it was and keeps the staging table; the next attempt of the same generation
  (``generation_id > 0``) continues it, any other truncating sync starts it afresh, and a normal sync
  adopts its rows (protocol: a cancelled truncate keeps the rows of every sync).
- append_dedup: one row per primary key by :mod:`airbyte_dest_kit.streams.winner`; a winner with
  ``_ab_cdc_deleted_at`` set deletes its key and stays in the tombstone table, so an older version that
  arrives later loses. Either the store merges each batch itself (:class:`Merges`, SQL stores), or it
  can scan its tables (:class:`Rewrites`, files): batches are then staged, and when the stream completes
  the final and staged rows are reduced on disk (:func:`~airbyte_dest_kit.streams.winner.reduce_on_disk`,
  memory stays flat however long the stream), appended to the layout's merged tables and swapped in. A crash before the
  swap leaves the staged rows for the next sync to merge again (merging a row twice changes nothing).
- a refresh that keeps older generations until the end (``minimum_generation_id > 0`` without truncate)
  deletes rows of generations below the minimum when the stream completes.

The store interface the modes run on is :mod:`airbyte_dest_kit.store.store`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import pyarrow as pa

from airbyte_dest_kit.destination.writer import Capabilities, Writer
from airbyte_dest_kit.store.store import Merges, MergeTarget, Rewrites, Store, SwapPair, Swaps
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.streams.winner import reduce_on_disk


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
        return dataclasses.replace(naming, truncate=swaps, dedup=merges or (rewrites and swaps))

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
        (by a journal, a copy: :mod:`airbyte_dest_kit.store.swaps` says why the result is not written in place)."""
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
