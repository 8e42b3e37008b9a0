"""Builders for catalogs and message lines, so tests read like the scenario they describe."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A message, or a raw line as it is (a str, or bytes that need not be UTF-8): for malformed-input tests.
Message = Mapping[str, Any] | str | bytes


def configured_stream(
    name: str,
    properties: Mapping[str, Any],
    *,
    mode: str = "append",
    namespace: str | None = None,
    primary_key: Sequence[str] = (),
    cursor: str | None = None,
    generation_id: int | None = None,
    minimum_generation_id: int | None = None,
    sync_id: int | None = None,
) -> dict[str, Any]:
    """A ConfiguredAirbyteStream as a dict (top-level key and cursor fields)."""
    stream: dict[str, Any] = {
        "name": name,
        "json_schema": {"type": "object", "properties": dict(properties)},
        "supported_sync_modes": ["full_refresh", "incremental"],
    }
    if namespace is not None:
        stream["namespace"] = namespace
    configured: dict[str, Any] = {
        "stream": stream,
        "sync_mode": "incremental" if mode != "overwrite" else "full_refresh",
        "destination_sync_mode": mode,
    }
    if primary_key:
        configured["primary_key"] = [[k] for k in primary_key]
    if cursor:
        configured["cursor_field"] = [cursor]
    for key, value in (
        ("generation_id", generation_id),
        ("minimum_generation_id", minimum_generation_id),
        ("sync_id", sync_id),
    ):
        if value is not None:
            configured[key] = value
    return configured


def catalog(*streams: dict[str, Any]) -> dict[str, Any]:
    return {"streams": list(streams)}


def record(
    stream: str,
    data: object,
    *,
    emitted_at: int = 1_700_000_000_000,
    namespace: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A RECORD message; ``data`` that is not a mapping (a list, None) is kept as is, for bad-input tests."""
    body: dict[str, Any] = {"stream": stream}
    if namespace is not None:
        body["namespace"] = namespace
    body["emitted_at"] = emitted_at
    body["data"] = _copied(data)
    if meta is not None:
        body["meta"] = dict(meta)
    return {"type": "RECORD", "record": body}


def _copied(value: object) -> Any:
    """A shallow copy of a mapping as a dict; any other value as is."""
    return dict(value) if isinstance(value, Mapping) else value


def _descriptor(stream: str, namespace: str | None) -> dict[str, Any]:
    return {"name": stream} if namespace is None else {"name": stream, "namespace": namespace}


def _stats(source_count: float | None) -> dict[str, Any]:
    return {} if source_count is None else {"sourceStats": {"recordCount": float(source_count)}}


def stream_state(
    stream: str,
    state: object,
    *,
    namespace: str | None = None,
    source_count: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A STREAM state; ``source_count`` sets sourceStats.recordCount, ``extra`` adds keys (``id=…``) to the state."""
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": _descriptor(stream, namespace), "stream_state": _copied(state)},
            **_stats(source_count),
            **extra,
        },
    }


def global_state(
    shared: object,
    *,
    streams: Mapping[str, Any] | None = None,
    source_count: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A GLOBAL state; ``streams`` maps stream names to their own states, ``extra`` adds keys to the state."""
    stream_states = [{"stream_descriptor": {"name": n}, "stream_state": v} for n, v in (streams or {}).items()]
    return {
        "type": "STATE",
        "state": {
            "type": "GLOBAL",
            "global": {
                "shared_state": _copied(shared),
                "stream_states": stream_states,
            },
            **_stats(source_count),
            **extra,
        },
    }


def legacy_state(data: object, **extra: Any) -> dict[str, Any]:
    """A LEGACY state (no ``type``, just ``data``); ``extra`` adds keys (``id=…``) to the state."""
    return {"type": "STATE", "state": {"data": _copied(data), **extra}}


def echoed(state_message: Mapping[str, Any], count: float) -> dict[str, Any]:
    """What a destination must print for ``state_message``: a copy of it plus destinationStats.recordCount."""
    out: dict[str, Any] = copy.deepcopy(dict(state_message))
    out["state"]["destinationStats"] = {"recordCount": float(count)}
    return out


def stream_status(stream: str, status: str, *, namespace: str | None = None, emitted_at: float = 1.0) -> dict[str, Any]:
    """A TRACE STREAM_STATUS message (STARTED, RUNNING, COMPLETE or INCOMPLETE)."""
    return {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": emitted_at,
            "stream_status": {"stream_descriptor": _descriptor(stream, namespace), "status": status},
        },
    }


def log(message: str, *, level: str = "INFO") -> dict[str, Any]:
    """A LOG message."""
    return {"type": "LOG", "log": {"level": level, "message": message}}


def message_line(message: Mapping[str, Any]) -> bytes:
    """``message`` as the platform writes it, without the newline: compact JSON, characters as UTF-8.

    An integer of any size goes out exact (``2**70`` too, which a destination must null or keep). A lone
    surrogate (a string decoded from a ``\\udc00`` escape) has no UTF-8 form: it goes out as that escape."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode(errors="backslashreplace")


def stdin_lines(messages: Iterable[Message]) -> bytes:
    """``messages`` as a connector's stdin, one line each (:func:`message_line`); a ``str`` or ``bytes`` item is
    sent as the raw line it is."""
    return b"".join(_line(m) + b"\n" for m in messages)


def _line(message: Message) -> bytes:
    if isinstance(message, bytes):
        return message
    if isinstance(message, str):
        return message.encode(errors="backslashreplace")
    return message_line(message)
