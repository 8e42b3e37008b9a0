"""The StateLedger: which STATE messages may be echoed, and when.

A STATE is held with a *watermark*: for a STREAM state, how many records of its stream had arrived before
it; for a GLOBAL or LEGACY state, that count for every stream. It is released once every stream it
covers has committed at least that many records. Releases keep arrival order: a state never overtakes an
earlier one, even when it is covered first (the platform treats each echo as "everything before this is
safe").

Each released state is the received message, verbatim (unknown keys such as the platform's ``id`` kept),
plus ``destinationStats.recordCount``: records of its scope since that scope's previous state, as a float.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

StreamKey = tuple[str | None, str]


@dataclass
class HeldState:
    line_number: int
    message: dict[str, Any]
    watermark: dict[StreamKey, int]


def state_scope(state: Mapping[str, Any]) -> StreamKey | None:
    """The stream a STREAM state belongs to, or ``None`` for GLOBAL / LEGACY (type absent ⇒ LEGACY)."""
    if state.get("type") != "STREAM":
        return None
    return stream_key((state.get("stream") or {}).get("stream_descriptor") or {})


def stream_key(descriptor: Mapping[str, Any]) -> StreamKey:
    """The key of a stream descriptor. The platform treats a null and an empty namespace as the same stream;
    so do stream keys here."""
    return (descriptor.get("namespace") or None, str(descriptor.get("name", "")))


class StateLedger:
    def __init__(self) -> None:
        self._held: deque[HeldState] = deque()
        self._committed: dict[StreamKey, int] = {}
        self._counted_at_stream_state: dict[StreamKey, int] = {}
        self._counted_at_global_state = 0
        self.released = 0

    def hold(self, message: dict[str, Any], line_number: int, seen: Mapping[StreamKey, int]) -> None:
        """Hold a STATE message; ``seen`` is the number of records of each stream that came before it.

        Stream keys are ``(namespace or None, name)``.
        """
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
        self._held.append(HeldState(line_number, message, watermark))

    def committed(self, key: StreamKey, count: int) -> None:
        """``count`` records of stream ``key`` (in arrival order) are now durable."""
        self._committed[key] = count

    def release(self) -> list[dict[str, Any]]:
        """Pop, in arrival order, every held state whose records are all committed."""
        out = []
        while self._held and all(
            self._committed.get(key, 0) >= needed for key, needed in self._held[0].watermark.items()
        ):
            out.append(self._held.popleft().message)
        self.released += len(out)
        return out

    def discard_after(self, line_number: int) -> None:
        """Drop states that arrived after ``line_number``: input from there on is not being committed."""
        self._held = deque(h for h in self._held if h.line_number < line_number)

    @property
    def pending(self) -> int:
        return len(self._held)
