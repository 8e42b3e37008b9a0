"""How messages name a stream: :data:`StreamKey`, and the stream a STATE message belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

StreamKey = tuple[str | None, str]
"""``(namespace, name)`` of a stream; a null and an empty namespace are one stream (``None``)."""


def state_scope(state: Mapping[str, Any]) -> StreamKey | None:
    """The stream a STREAM state belongs to, or ``None`` for GLOBAL / LEGACY (type absent ⇒ LEGACY).

    ``state`` has passed the codec's shape checks (:func:`~airbyte_dest_kit.protocol.codec.check_state`).
    """
    if state.get("type") != "STREAM":
        return None
    return stream_key(state["stream"]["stream_descriptor"])


def stream_key(descriptor: Mapping[str, Any]) -> StreamKey:
    """The key of a stream descriptor. The platform treats a null and an empty namespace as the same stream;
    so do stream keys here."""
    return (descriptor.get("namespace") or None, str(descriptor.get("name", "")))
