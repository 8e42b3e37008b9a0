"""Swaps for stores whose target has no transactional one, written once: a store's :meth:`Swaps.swap
<airbyte_dest_kit.store.Swaps.swap>` calls one of them, and its ``open`` calls the matching ``resume_*``
first, which finishes a swap a crash interrupted. (The key-value store of destination-kvdb keeps its own,
copying before it deletes: :mod:`airbyte_dest_kit.writers.kvdb` says why.)

- :func:`swap_by_renames`, for a target that renames a table in one step (a folder on a local disk):
  final → the layout's previous name, staging → final, then previous dropped. Readers see the old table
  or the new one, never a mix, though for the instant between the two renames no table at all.
- :func:`swap_by_journal`, for a target without a rename, whose tables are sets of named objects (object
  storage): once every new object is staged, a journal is written, the commit point. It lists, for each
  pair, the old objects and the new ones (names inside the table). Then the old objects are deleted, the
  new ones copied in from staging, the staging tables dropped, and the journal deleted last. A reader
  listing a table sees a part of the old objects or of the new ones, never both, and all of one set
  whenever no journal exists; while one does, it names the new set, each object in the final table or
  else still in its staging table. A crash before the journal leaves the old objects as they were (the
  staged ones wait, as after any failure); after it, :func:`resume_journal` completes the same steps
  (each may have happened already).

  The new objects are therefore written twice: uploaded into a staging table (an overwrite's batches, a
  dedup merge's result in ``<table>_airbyte_merged``), then copied into the final table, though the copy
  is server-side (pyarrow's S3 ``copy_file`` is a ``CopyObject``: no byte passes through the connector
  again). A merge result uploaded straight into the final table would break a guarantee at some crash
  point, whichever the order: uploaded before the old objects go, a reader lists both sets; the old
  objects deleted first (after a journal), a crash midway leaves the old rows partly gone and the new set
  unfinished, with the merge's inputs and result lost with the connector's temporary database, so the
  next sync could neither finish the swap nor undo it. Setting the old objects aside instead copies the
  old set rather than the new one. Writing once would take an upload that stays invisible until a later
  step publishes it (an S3 multipart upload completed after the journal), which pyarrow.fs does not offer
  (its upload completes when the stream closes, and cannot be resumed from another process): a second S3
  client, for S3 alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from airbyte_dest_kit.store.store import ColumnTypes, SwapPair
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import StreamSpec


class RenamingStore(Protocol):
    def columns(self, stream: StreamSpec, table: str) -> ColumnTypes | None: ...

    def drop(self, stream: StreamSpec, table: str) -> None: ...

    def rename(self, stream: StreamSpec, table: str, new_name: str) -> None:
        """Give ``table`` the free name ``new_name`` in one step, durable when this returns."""


class ObjectStore(Protocol):
    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None: ...

    def drop(self, stream: StreamSpec, table: str) -> None: ...

    def objects(self, stream: StreamSpec, table: str) -> list[str]:
        """The names of the table's objects (relative to the table), in arrival order."""

    def copy_object(self, stream: StreamSpec, source: str, target: str, name: str) -> None:
        """Copy object ``name`` of table ``source`` to the same name in table ``target``, replacing it."""

    def delete_object(self, stream: StreamSpec, table: str, name: str) -> None: ...

    def journal(self, stream: StreamSpec) -> str | None:
        """The stream's swap journal, None when there is none."""

    def set_journal(self, stream: StreamSpec, text: str | None) -> None:
        """Write the stream's swap journal durably in one step (readers see all of it or nothing); None
        deletes it."""


def swap_by_renames(store: RenamingStore, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
    for pair in pairs:
        store.drop(stream, pair.previous)
        if store.columns(stream, pair.final) is not None:
            store.rename(stream, pair.final, pair.previous)
        store.rename(stream, pair.staging, pair.final)
        store.drop(stream, pair.previous)


def resume_renames(store: RenamingStore, stream: StreamSpec) -> None:
    """A previous table left behind means a swap stopped between its renames: the new table (a merge
    result or an overwrite's staging) moves in if it has not yet, else the old one goes back."""
    tables = [
        (stream.table_name, stream.previous_table_name, stream.merged_table_name, stream.staging_table_name),
        (
            stream.tombstone_table_name,
            stream.previous_tombstone_table_name,
            stream.merged_tombstone_table_name,
            stream.staging_tombstone_table_name,
        ),
    ]
    for final, previous, *sources in tables:
        if store.columns(stream, previous) is None:
            continue
        if store.columns(stream, final) is None:
            store.rename(stream, next((s for s in sources if store.columns(stream, s) is not None), previous), final)
        store.drop(stream, previous)


def swap_by_journal(store: ObjectStore, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
    journal = [
        {
            "staging": p.staging,
            "final": p.final,
            "old": store.objects(stream, p.final),
            "new": store.objects(stream, p.staging),
        }
        for p in pairs
    ]
    store.set_journal(stream, json.dumps(journal))  # the commit point: from here on the new objects win
    _complete(store, stream, journal)


def resume_journal(store: ObjectStore, stream: StreamSpec) -> None:
    text = store.journal(stream)
    if text is not None:
        _complete(store, stream, json.loads(text))


def _complete(store: ObjectStore, stream: StreamSpec, journal: list[dict[str, Any]]) -> None:
    for pair in journal:  # every old object goes before any new one arrives: readers never see both
        present = set(store.objects(stream, pair["final"]))
        for name in pair["old"]:
            if name in present:
                store.delete_object(stream, pair["final"], name)
    for pair in journal:
        staged = set(store.objects(stream, pair["staging"]))  # a new object not staged was copied already
        store.evolve(stream, pair["final"], [(c.name, c.type) for c in stream.all_columns])
        for name in pair["new"]:
            if name in staged:
                store.copy_object(stream, pair["staging"], pair["final"], name)
    for pair in journal:
        store.drop(stream, pair["staging"])
    store.set_journal(stream, None)
