"""Builders for catalogs and message lines, so tests read like the scenario they describe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson


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
    data: Mapping[str, Any],
    *,
    emitted_at: int = 1_700_000_000_000,
    namespace: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"stream": stream}
    if namespace is not None:
        body["namespace"] = namespace
    body["emitted_at"] = emitted_at
    body["data"] = dict(data)
    if meta is not None:
        body["meta"] = dict(meta)
    return {"type": "RECORD", "record": body}


def stream_state(
    stream: str, state: Mapping[str, Any], *, namespace: str | None = None, **extra: Any
) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": stream}
    if namespace is not None:
        descriptor["namespace"] = namespace
    return {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": descriptor, "stream_state": dict(state)}, **extra},
    }


def global_state(shared: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {"type": "GLOBAL", "global": {"shared_state": dict(shared), "stream_states": []}, **extra},
    }


def legacy_state(data: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "STATE", "state": {"data": dict(data)}}


def stream_status(stream: str, status: str, *, namespace: str | None = None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": stream}
    if namespace is not None:
        descriptor["namespace"] = namespace
    return {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": 1.0,
            "stream_status": {"stream_descriptor": descriptor, "status": status},
        },
    }


def jsonl(messages: Iterable[Mapping[str, Any] | bytes]) -> bytes:
    """Messages as stdin bytes; a ``bytes`` item is taken as a raw line (for malformed-input tests)."""
    return b"".join((m if isinstance(m, bytes) else orjson.dumps(m)) + b"\n" for m in messages)
