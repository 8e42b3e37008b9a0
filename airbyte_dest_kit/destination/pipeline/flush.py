"""When buffered records become a batch: rows, bytes, age, and a memory cap across all streams."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from airbyte_dest_kit.destination.pipeline.buffer import StreamBuffer
from airbyte_dest_kit.errors import ConfigError

MiB = 1 << 20


@dataclass(frozen=True)
class FlushPolicy:
    """Flush a stream's buffer when it holds ``max_rows`` records or ``max_bytes`` of raw JSON, or when its
    oldest record has waited ``max_age_seconds``; and while all buffers together exceed ``max_total_bytes``,
    flush the largest first. The pipeline adds two triggers of its own: a stream that reported its end, and
    a stream whose buffered records a STATE has waited on for ``max_state_wait_seconds``.

    The defaults keep peak memory under 512 MiB (docs/performance.md): raw lines are typed a batch at a time.
    """

    max_rows: int = 250_000
    # Measured (docs/performance.md): 16 MiB batches cost a third more CPU (a commit and its fsync each);
    # 32 MiB ones were up to a tenth faster, and took the process over 512 MiB.
    max_bytes: int = 24 * MiB
    max_age_seconds: float = 30.0
    max_total_bytes: int = 96 * MiB  # raw lines of all streams: four streams' full buffers
    # A STATE waiting on buffered records of its stream gets them written after this long (the pipeline
    # applies it: the ledger knows which states wait on what), so acknowledgements follow the input closely.
    max_state_wait_seconds: float = 1.0

    @classmethod
    def json_schema(cls, defaults: Mapping[str, float] | None = None) -> dict[str, Any]:
        """The optional ``buffering`` object of a destination's spec (``WriterDestination`` adds it), with the
        destination's own ``defaults`` where they differ from the policy's."""
        descriptions = {
            "max_rows": "Write a stream's buffer once it holds this many records.",
            "max_bytes": "Write a stream's buffer once its raw JSON reaches this many bytes.",
            "max_age_seconds": "Write a stream's buffer once its oldest record waited this long (seconds).",
            "max_total_bytes": "While all buffers together hold more raw JSON than this, write the largest first.",
            "max_state_wait_seconds": "Write a stream's buffer once a STATE has waited this long (seconds) for records "
            "in it.",
        }
        properties: dict[str, Any] = {}
        for f in fields(cls):
            kind = "number" if f.type in ("float", float) else "integer"
            properties[f.name] = {
                "type": kind,
                "exclusiveMinimum": 0,
                "default": (defaults or {}).get(f.name, f.default),
                "description": descriptions[f.name],
            }
        return {
            "type": "object",
            "title": "Buffering",
            "description": "When buffered records are written. Defaults keep peak memory under 512 MiB.",
            "additionalProperties": False,
            "properties": properties,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FlushPolicy:
        """Read the optional ``buffering`` object of a destination config (keys are the field names)."""
        options = config.get("buffering") or {}
        known = {f.name for f in fields(cls)}
        unknown = set(options) - known
        if unknown:
            raise ConfigError(f"config key 'buffering' has unknown keys {sorted(unknown)}; known: {sorted(known)}")
        policy = cls(**options)
        for name in known:
            if getattr(policy, name) <= 0:
                raise ConfigError(f"config key 'buffering.{name}' must be positive")
        return policy

    def due(
        self, buffers: Iterable[StreamBuffer], now: float, rows_per_block: int | None = None
    ) -> list[tuple[StreamBuffer, int | None]]:
        """Buffers to flush now, in the order to flush them, each with how many of its lines go (None: all).

        For a writer that stores rows in blocks (``Capabilities.rows_per_block``), a buffer whose last block
        would be at most half full goes without that block: its lines wait for the next batch. (DuckDB merges
        such small row groups of consecutive commits again at its checkpoint; a fuller one stays as it is.)
        An aged buffer goes whole.
        """
        pending = [b for b in buffers if b.rows]
        chosen: dict[StreamBuffer, int | None] = {}
        for b in pending:
            if b.oldest is not None and now - b.oldest >= self.max_age_seconds:
                chosen[b] = None
            elif b.rows >= self.max_rows or b.bytes >= self.max_bytes:
                chosen[b] = _whole_blocks(b.rows, rows_per_block)
        remaining = sum(b.bytes for b in pending if b not in chosen)
        for buffer in sorted((b for b in pending if b not in chosen), key=lambda b: b.bytes, reverse=True):
            if remaining <= self.max_total_bytes:
                break
            chosen[buffer] = _whole_blocks(buffer.rows, rows_per_block)
            remaining -= buffer.bytes
        return list(chosen.items())


def _whole_blocks(rows: int, rows_per_block: int | None) -> int | None:
    """The lines of a batch of ``rows`` that fill whole blocks, when the rest would fill at most half of one
    (else None: all of them)."""
    if not rows_per_block or rows < rows_per_block or rows % rows_per_block > rows_per_block // 2:
        return None
    return rows - rows % rows_per_block
