"""Saved state in (``--state``), checkpoints out.

Accepted ``--state`` shapes, all read into one :class:`SavedState`:

- a JSON array of STATE messages: per-stream (``"type": "STREAM"``), one ``GLOBAL``, or ``LEGACY``
  (``{"data": {...}}``, also when ``type`` is absent); each may be wrapped in its ``{"type": "STATE",
  "state": ...}`` envelope;
- a single such message;
- the legacy dict ``{"<stream name>": <stream state>, ...}``.

Legacy states carry no namespace, so they match a stream by name alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.codec import stream_descriptor
from airbyte_dest_kit.protocol.stream_keys import StreamKey

STATE_TYPES = ("STREAM", "GLOBAL", "LEGACY")


@dataclass(frozen=True)
class SavedState:
    """The state a read resumes from."""

    streams: Mapping[StreamKey, Mapping[str, Any] | None] = field(default_factory=dict)
    shared_state: Mapping[str, Any] | None = None
    legacy: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)

    def for_stream(self, name: str, namespace: str | None) -> Mapping[str, Any] | None:
        if (namespace, name) in self.streams:
            return self.streams[(namespace, name)]
        return self.legacy.get(name)


def _fail(where: str, problem: str) -> ConfigError:
    return ConfigError(f"state file: {where}: {problem}; fix the state file or drop it to read from the start")


def _stream_entry(raw: Any, where: str) -> tuple[StreamKey, Mapping[str, Any] | None]:
    if not isinstance(raw, dict) or not isinstance(raw.get("stream_descriptor"), dict):
        raise _fail(where, "a stream state needs a 'stream_descriptor' object")
    descriptor = raw["stream_descriptor"]
    name, namespace = descriptor.get("name"), descriptor.get("namespace")
    if not isinstance(name, str) or not (namespace is None or isinstance(namespace, str)):
        raise _fail(where, "'stream_descriptor' needs a string 'name' and a string or null 'namespace'")
    stream_state = raw.get("stream_state")
    if not (stream_state is None or isinstance(stream_state, dict)):
        raise _fail(where, "'stream_state' must be an object or null")
    return (namespace, name), stream_state


def _legacy_entries(data: Any, where: str) -> dict[str, Mapping[str, Any] | None]:
    if not isinstance(data, dict) or not all(v is None or isinstance(v, dict) for v in data.values()):
        raise _fail(where, "a legacy state must map stream names to state objects")
    return data


def parse_state(raw: Any) -> SavedState:
    """Read any accepted ``--state`` shape (see the module docstring); ``None`` means no state."""
    if raw is None or raw == {} or raw == []:
        return SavedState()
    if isinstance(raw, dict) and not _looks_like_state_message(raw):
        return SavedState(legacy=_legacy_entries(raw, "top level"))
    messages = raw if isinstance(raw, list) else [raw]
    streams: dict[StreamKey, Mapping[str, Any] | None] = {}
    legacy: dict[str, Mapping[str, Any] | None] = {}
    shared_state: Mapping[str, Any] | None = None
    for index, message in enumerate(messages):
        where = f"entry {index}"
        if isinstance(message, dict) and message.get("type") == "STATE" and "state" in message:
            message = message["state"]
        if not isinstance(message, dict):
            raise _fail(where, "each entry must be a STATE message object")
        kind = message.get("type", "LEGACY")
        if kind == "STREAM":
            key, stream_state = _stream_entry(message.get("stream"), where)
            streams[key] = stream_state
        elif kind == "GLOBAL":
            global_state = message.get("global")
            if not isinstance(global_state, dict) or not isinstance(global_state.get("stream_states"), list):
                raise _fail(where, "a GLOBAL state needs 'global.stream_states' (a list)")
            shared_state = global_state.get("shared_state")
            for position, entry in enumerate(global_state["stream_states"]):
                key, stream_state = _stream_entry(entry, f"{where}, global.stream_states[{position}]")
                streams[key] = stream_state
        elif kind == "LEGACY":
            legacy.update(_legacy_entries(message.get("data"), where))
        else:
            raise _fail(where, f"unknown state type {kind!r}; expected one of {', '.join(STATE_TYPES)}")
    return SavedState(streams=streams, shared_state=shared_state, legacy=legacy)


def _looks_like_state_message(raw: dict[str, Any]) -> bool:
    return raw.get("type") in (*STATE_TYPES, "STATE")


def stream_state_message(name: str, namespace: str | None, stream_state: Any, record_count: int) -> dict[str, Any]:
    """A STREAM checkpoint; ``record_count`` = records of this stream since its previous checkpoint."""
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": stream_descriptor(name, namespace), "stream_state": stream_state},
            "sourceStats": {"recordCount": float(record_count)},
        },
    }


def global_state_message(
    shared_state: Any, stream_states: Mapping[StreamKey, Any], record_count: int
) -> dict[str, Any]:
    """A GLOBAL checkpoint; ``record_count`` = records of all streams since the previous checkpoint."""
    entries = [
        {"stream_descriptor": stream_descriptor(name, namespace), "stream_state": stream_state}
        for (namespace, name), stream_state in stream_states.items()
    ]
    return {
        "type": "STATE",
        "state": {
            "type": "GLOBAL",
            "global": {"shared_state": shared_state, "stream_states": entries},
            "sourceStats": {"recordCount": float(record_count)},
        },
    }
