"""The one abstraction a new destination implements: :class:`Writer`.

A writer receives typed Arrow batches per stream and makes them durable. Everything else (reading stdin,
typing records, batching, the state ledger, progress, error reporting) is the pipeline's job::

    class ListWriter(Writer):
        capabilities = Capabilities(dedup=False, truncate=False)

        def __init__(self):
            self.rows = []

        def write(self, stream, batch):              # durable when it returns
            self.rows.extend(batch.to_pylist())

A writer with only ``write`` applies modes itself and declares which in its :class:`Capabilities`. A
writer that is a store (:class:`airbyte_dest_kit.store.StoreWriter`) gets every mode from
:mod:`airbyte_dest_kit.store` instead, and its capabilities from the operations it implements.

Modes are resolved once (:func:`~airbyte_dest_kit.destination.plan.resolve_mode`): ``append``,
``overwrite`` (= append + truncate), ``append_dedup``, and the refresh encoding
``minimum_generation_id == generation_id > 0`` (truncate on top of the requested mode). A mode a writer
cannot do is a :class:`ConfigError` before any data is read, never a silent fallback.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from airbyte_dest_kit.streams.spec import StreamSpec


@dataclass(frozen=True)
class Capabilities:
    """What a writer can do and how its target spells names: one vocabulary for the runtime, which refuses a
    mode the writer lacks before any data is read, and for the acceptance suite, whose scenarios name what
    they require by the same field names (:data:`ABILITIES`).

    A writer built on a store (:class:`airbyte_dest_kit.store.StoreWriter`) gets ``dedup`` and ``truncate``
    from the operations its store implements; a plain :class:`Writer` that applies modes itself declares them.
    """

    # append_dedup: one row per primary key by the winner rule, CDC deletes applied.
    dedup: bool = True
    # overwrite and truncate refreshes, by the protocol's rules: the new generation is staged and replaces the
    # old one when the stream completes; a retried attempt of the same generation keeps the rows staged
    # before it; a later sync that does not truncate adopts the rows a given-up refresh left staged.
    truncate: bool = True
    # a new property adds a column, a changed type widens the column; nothing is dropped.
    schema_evolution: bool = True
    max_identifier_bytes: int | None = None
    case_sensitive_identifiers: bool = False
    strips_nul: bool = False  # the target rejects NUL in text: strip it, with a change entry
    # The writer stores each record's data as the source wrote it (the ``_airbyte_data`` column), not the
    # typed columns: those still come, for keys and ordering, and ``_airbyte_meta`` then lists only the
    # source's own changes, as no value is changed on the way. Other writers never pay for the column.
    stores_source_json: bool = False
    # The target stores rows in blocks of this many, and a commit's last block, when at most half full, costs
    # it a second write (DuckDB's row groups): a full buffer is then written without that block, whose lines
    # wait for the next batch (FlushPolicy.due). Batches written for a waiting state, a stream's end or age
    # go whole.
    rows_per_block: int | None = None
    # ``write`` may leave rows staged, not yet committed, until :meth:`Writer.commit`: for a target where each
    # commit costs (an Iceberg snapshot and a file), batches the flush policy cuts for memory's sake become
    # one commit. The pipeline asks for a commit when a STATE has waited ``max_state_wait_seconds`` for the
    # stream's records, when the stream ends and at the end of input, and counts rows durable only then.
    defers_commits: bool = False

    def lacking(self) -> frozenset[str]:
        """The :data:`ABILITIES` this writer does not have."""
        return frozenset(name for name in ABILITIES if not getattr(self, name))


# The fields of Capabilities that say what a writer can do (the others say how its target spells names and
# stores rows).
ABILITIES = ("dedup", "truncate", "schema_evolution")


class Writer(abc.ABC):
    """Lands typed batches in a target system. Only :meth:`write` is required.

    Call order: ``check`` (for the ``check`` command) or ``open`` → ``write``* (and ``commit``) → ``finish`` for
    each stream that completed → ``close`` (always, also after a failure).

    Threads: ``open``, ``write``, ``commit``, ``finish`` and ``close`` all run on one thread, the pipeline's writing
    thread, which is not the thread that built the writer. Connect in :meth:`open` (or :meth:`check`), not
    in ``__init__``: a connection that belongs to its thread (sqlite3's, many drivers') fails when used from
    another one.

    Each batch passed to :meth:`write` has ``stream.arrow_schema`` plus a trailing ``_ab_line`` int64
    column (the input line number: arrival order, not to be stored). For dedup streams the pipeline has
    already reduced the batch to one row per primary key; the writer merges it with what the table holds.
    """

    # A class attribute for most writers; a writer whose abilities depend on its config sets its own.
    capabilities: Capabilities = Capabilities()

    def check(self) -> None:
        """Raise a ConfigError / TransientError saying what to fix when the target is not writable."""

    def open(self, streams: Sequence[StreamSpec]) -> None:
        """Create schemas and tables, evolve them, set up staging for truncating streams."""

    @abc.abstractmethod
    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        """Apply the stream's mode to ``batch``; the rows must be durable when this returns (or, with
        ``Capabilities.defers_commits``, when :meth:`commit` returns)."""

    def commit(self, stream: StreamSpec) -> None:
        """Make every row of ``stream`` that :meth:`write` staged durable (``Capabilities.defers_commits``)."""

    def finish(self, stream: StreamSpec) -> None:
        """The stream completed: swap in staged data, drop older generations."""

    def close(self) -> None:
        """Release connections. Called after success and after failure."""
