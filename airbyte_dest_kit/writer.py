"""The one abstraction a new destination implements: :class:`Writer`.

A writer receives typed Arrow batches per stream and makes them durable. Everything else (reading stdin,
typing records, batching, the state ledger, progress, error reporting) is the pipeline's job::

    class ListWriter(Writer):
        capabilities = Capabilities(supports_dedup=False, supports_truncate=False)

        def __init__(self):
            self.rows = []

        def write(self, stream, batch):              # durable when it returns
            self.rows.extend(batch.to_pylist())

A writer with only ``write`` applies modes itself and declares which in its :class:`Capabilities`. A
writer that is a store (:class:`airbyte_dest_kit.modes.StoreWriter`) gets every mode from
:mod:`airbyte_dest_kit.modes` instead, and its capabilities from the operations it implements.

Modes are resolved once (:func:`resolve_mode`, in :mod:`airbyte_dest_kit.layout`): ``append``,
``overwrite`` (= append + truncate), ``append_dedup``, and the refresh encoding
``minimum_generation_id == generation_id > 0`` (truncate on top of the requested mode). A mode a writer
cannot do is a :class:`ConfigError` before any data is read, never a silent fallback.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import pyarrow as pa

# The layout names are part of the writer contract; they live in layout.py with the naming rule.
from airbyte_dest_kit.layout import (
    ADDITIONAL_PROPERTIES,
    CDC_DELETED_AT,
    EXTRACTED_AT,
    GENERATION_ID,
    LINE_NUMBER,
    META,
    META_COLUMNS,
    RAW_ID,
    Capabilities,
    Column,
    StreamSpec,
    build_stream_specs,
    resolve_mode,
)

__all__ = [
    "ADDITIONAL_PROPERTIES",
    "CDC_DELETED_AT",
    "EXTRACTED_AT",
    "GENERATION_ID",
    "LINE_NUMBER",
    "META",
    "META_COLUMNS",
    "RAW_ID",
    "Capabilities",
    "Column",
    "StreamSpec",
    "Writer",
    "build_stream_specs",
    "resolve_mode",
]


class Writer(abc.ABC):
    """Lands typed batches in a target system. Only :meth:`write` is required.

    Call order: ``check`` (for the ``check`` command) or ``open`` → ``write``* → ``finish`` for each
    stream that completed → ``close`` (always, also after a failure).

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
        """Apply the stream's mode to ``batch``; the rows must be durable when this returns."""

    def finish(self, stream: StreamSpec) -> None:
        """The stream completed: swap in staged data, drop older generations."""

    def close(self) -> None:
        """Release connections. Called after success and after failure."""
