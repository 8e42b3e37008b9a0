"""The storage interface each store implements; the modes (:mod:`airbyte_dest_kit.store.modes`) run on it.

Operations name a table by the stream (its ``schema_name``) and a table name from
the stream's spec (:mod:`airbyte_dest_kit.destination.plan`: every name, staging and tombstones included, is
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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pyarrow as pa

from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import StreamSpec

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
        hold them (:func:`~airbyte_dest_kit.streams.schema.plan_evolution`); never drop one."""

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
        swap takes one from :mod:`airbyte_dest_kit.store.swaps` (by renames, or by a journal)."""


@runtime_checkable
class Merges(Protocol):
    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        """Merge ``source`` (a batch with one row per key, or a staged table of the same schema) into
        ``target`` by the winner rule, tombstones included (see :mod:`airbyte_dest_kit.streams.winner`)."""


@runtime_checkable
class Rewrites(Protocol):
    def scan(self, stream: StreamSpec, table: str) -> Iterator[pa.RecordBatch] | None:
        """Every row of ``table`` in arrival order, a bounded batch at a time (columns by name, any subset
        of ``stream.arrow_schema``'s, in types that cast to it), or None when the table does not exist."""
