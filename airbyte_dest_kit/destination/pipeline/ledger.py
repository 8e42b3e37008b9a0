"""The StateLedger: which STATE messages may be echoed, and when.

A STATE is held with a *watermark*: for a STREAM state, how many records of its stream had arrived before
it; for a GLOBAL or LEGACY state, that count for every stream. It is released once every stream it
covers has committed at least that many records.

Order follows what the platform persists (protocol §3.3): STREAM states are merged per stream, so a
STREAM state only keeps the order of its own stream's states, and one stream never waits for another
stream's records or states; a GLOBAL or LEGACY state replaces the whole state, so it is released only
after every state that came before it, and every state after it waits for it.

Each released state is the received message, verbatim (unknown keys such as the platform's ``id`` kept),
plus ``destinationStats.recordCount``: records of its scope since that scope's previous state, as a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airbyte_dest_kit.protocol.stream_keys import StreamKey, state_scope


@dataclass
class HeldState:
    line_number: int
    message: dict[str, Any]
    scope: StreamKey | None  # the stream of a STREAM state; None for GLOBAL / LEGACY
    watermark: dict[StreamKey, int]
    held_at: float


class StateLedger:
    def __init__(self) -> None:
        self._held: list[HeldState] = []
        self._committed: dict[StreamKey, int] = {}
        self._counted_at_stream_state: dict[StreamKey, int] = {}
        self._counted_at_global_state = 0
        self.released = 0

    def hold(self, message: dict[str, Any], line_number: int, seen: Mapping[StreamKey, int], now: float) -> None:
        """Hold a STATE message; ``seen`` is the number of records of each stream that came before it,
        ``now`` the monotonic time it arrived. Stream keys are ``(namespace or None, name)``."""
        state = message["state"]
        scope = state_scope(state)
        if scope is None:
            watermark = {key: count for key, count in seen.items() if count}
            total = sum(seen.values())
            count = total - self._counted_at_global_state
            self._counted_at_global_state = total
        else:
            current = seen.get(scope, 0)
            watermark = {scope: current} if current else {}
            count = current - self._counted_at_stream_state.get(scope, 0)
            self._counted_at_stream_state[scope] = current
        stats = dict(state.get("destinationStats") or {})
        stats["recordCount"] = float(count)
        message["state"] = {**state, "destinationStats": stats}
        self._held.append(HeldState(line_number, message, scope, watermark, now))

    def committed(self, key: StreamKey, count: int) -> None:
        """``count`` records of stream ``key`` (in arrival order) are now durable."""
        self._committed[key] = count

    def _covered(self, held: HeldState) -> bool:
        return all(self._committed.get(key, 0) >= needed for key, needed in held.watermark.items())

    def release(self) -> list[dict[str, Any]]:
        """Every held state that is covered and not behind an earlier state it must follow, in arrival order."""
        out: list[dict[str, Any]] = []
        kept: list[HeldState] = []
        blocked_streams: set[StreamKey] = set()
        everything_blocked = False  # an earlier GLOBAL / LEGACY state waits: every later state waits too
        for held in self._held:
            if held.scope is None:
                must_wait = everything_blocked or bool(kept)
            else:
                must_wait = everything_blocked or held.scope in blocked_streams
            if not must_wait and self._covered(held):
                out.append(held.message)
                continue
            kept.append(held)
            if held.scope is None:
                everything_blocked = True
            else:
                blocked_streams.add(held.scope)
        self._held = kept
        self.released += len(out)
        return out

    def oldest_waits(self) -> dict[StreamKey, tuple[float, int]]:
        """Per stream that a held state still waits for: ``(when the oldest such state arrived, how many of
        the stream's records it needs)``. The pipeline flushes a stream whose buffer holds needed records once
        a state has waited long for them, so no state waits long."""
        oldest: dict[StreamKey, tuple[float, int]] = {}
        for held in self._held:
            for key, needed in held.watermark.items():
                if self._committed.get(key, 0) < needed and key not in oldest:
                    oldest[key] = (held.held_at, needed)
        return oldest

    def discard_after(self, line_number: int) -> None:
        """Drop states that arrived after ``line_number``: input from there on is not being committed."""
        self._held = [h for h in self._held if h.line_number < line_number]

    @property
    def pending(self) -> int:
        return len(self._held)
