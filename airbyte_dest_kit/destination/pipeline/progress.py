"""Progress LOG lines during a sync and the per-stream summary at the end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from airbyte_dest_kit.destination.pipeline.buffer import StreamBuffer

MB = 1_000_000


class Progress:
    def __init__(self, log: Callable[[str], None], interval_seconds: float = 5.0) -> None:
        self._log = log
        self._interval = interval_seconds
        self._started = time.monotonic()
        self._last = self._started

    def maybe_log(self, buffers: Iterable[StreamBuffer], states_echoed: int, now: float) -> None:
        if now - self._last < self._interval:
            return
        self._last = now
        buffers = list(buffers)
        records = sum(b.seen for b in buffers)
        rate = records / max(now - self._started, 1e-9)
        buffered = sum(b.bytes for b in buffers) / MB
        self._log(
            f"progress: {records:,} records ({rate:,.0f}/s), {buffered:.1f} MB buffered, "
            f"{states_echoed:,} states echoed"
        )

    def summary(
        self, buffers: Iterable[StreamBuffer], states_in: int, states_echoed: int, skipped: dict[str, int]
    ) -> list[str]:
        elapsed = time.monotonic() - self._started
        lines = []
        total = 0
        for buffer in buffers:
            total += buffer.committed
            spec = buffer.spec  # a target without schemas (a key-value bucket) has an empty schema name
            where = f"{spec.schema_name}.{spec.table_name}" if spec.schema_name else spec.table_name
            lines.append(
                f"stream {spec.label}: {buffer.committed:,} records committed in {buffer.batches} batches into {where}"
            )
        lines.append(
            f"sync summary: {total:,} records in {elapsed:.1f}s ({total / max(elapsed, 1e-9):,.0f}/s), "
            f"{states_echoed}/{states_in} states echoed"
            + (f", skipped messages: {dict(sorted(skipped.items()))}" if skipped else "")
        )
        return lines
