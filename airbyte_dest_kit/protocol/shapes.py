"""Shape checks for the messages a destination reads besides RECORD data: what it needs, or an InputError.

Every field the pipeline reads is checked before it is read, so a STATE whose ``stream`` is a string or a
STREAM_STATUS whose ``stream_status`` is a list is reported like a malformed RECORD (the line number, what
the protocol wants there), never as an unexpected error. Fields the kit only passes on (``stream_state``,
``shared_state``, unknown keys) are not checked: they are echoed as they came.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_dest_kit.errors import InputError

STATE_TYPES = ("STREAM", "GLOBAL", "LEGACY")
STREAM_STATUSES = ("STARTED", "RUNNING", "COMPLETE", "INCOMPLETE")


def _object(value: Any, where: str, line: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a JSON object, got {_json_kind(value)}", line=line)
    return value


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def check_descriptor(value: Any, where: str, line: int) -> Mapping[str, Any]:
    """A stream descriptor: ``name`` a string, ``namespace`` a string, null or absent."""
    descriptor = _object(value, where, line)
    if not isinstance(descriptor.get("name"), str):
        raise InputError(f"{where}.name must be a string", line=line)
    if not isinstance(descriptor.get("namespace"), (str, type(None))):
        raise InputError(f"{where}.namespace must be a string or null", line=line)
    return descriptor


def check_record(message: Mapping[str, Any], line: int) -> Mapping[str, Any]:
    """The stream descriptor of a RECORD read on the slow path (its data is checked when typed)."""
    record = _object(message.get("record"), "RECORD 'record'", line)
    if not isinstance(record.get("stream"), str):
        raise InputError("RECORD 'record.stream' must be a string", line=line)
    if not isinstance(record.get("namespace"), (str, type(None))):
        raise InputError("RECORD 'record.namespace' must be a string or null", line=line)
    return {"name": record["stream"], "namespace": record.get("namespace")}


def check_state(message: Mapping[str, Any], line: int) -> dict[str, Any]:
    """A STATE's ``state`` object, with what the ledger reads checked (type absent ⇒ LEGACY)."""
    state = _object(message.get("state"), "STATE 'state'", line)
    kind = state.get("type")
    if kind is not None and kind not in STATE_TYPES:
        raise InputError(f"STATE 'state.type' must be one of {', '.join(STATE_TYPES)}, got {kind!r}", line=line)
    if kind == "STREAM":
        stream = _object(state.get("stream"), "STATE 'state.stream'", line)
        check_descriptor(stream.get("stream_descriptor"), "STATE 'state.stream.stream_descriptor'", line)
    elif kind == "GLOBAL":
        _object(state.get("global"), "STATE 'state.global'", line)
    if "destinationStats" in state and state["destinationStats"] is not None:
        _object(state["destinationStats"], "STATE 'state.destinationStats'", line)
    return state


def check_stream_status(trace: Mapping[str, Any], line: int) -> tuple[Mapping[str, Any], str]:
    """``(stream descriptor, status)`` of a STREAM_STATUS trace."""
    payload = _object(trace.get("stream_status"), "TRACE 'trace.stream_status'", line)
    descriptor = check_descriptor(
        payload.get("stream_descriptor"), "TRACE 'trace.stream_status.stream_descriptor'", line
    )
    status = payload.get("status")
    if status not in STREAM_STATUSES:
        raise InputError(
            f"TRACE 'trace.stream_status.status' must be one of {', '.join(STREAM_STATUSES)}, got {status!r}",
            line=line,
        )
    return descriptor, str(status)
