"""The stdin/stdout codec: JSON Lines in, compact JSON Lines out, with line numbers.

Outgoing messages are plain dicts (or pydantic models) serialised by orjson. Incoming lines are decoded on
demand: the destination pipeline reads RECORD lines as raw bytes and leaves parsing to a native engine, so
this module only decodes what the caller asks for.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

import orjson
from pydantic import BaseModel

from airbyte_dest_kit.errors import InputError

READ_SIZE = 1 << 20


def decode_line(line: bytes | str, line_number: int) -> dict[str, Any]:
    """Parse one message line; a line that is not a JSON object raises :class:`InputError`.

    orjson first; what it refuses is tried with Python's parser, which takes a lone surrogate escape
    (``"\ud800"``: valid JSON text that some sources produce), so such a STATE can still be echoed.
    """
    try:
        message = loads(line)
    except ValueError as exc:
        raise InputError(
            f"not valid JSON ({exc}); every stdin line must be one AirbyteMessage", line=line_number
        ) from None
    if not isinstance(message, dict):
        raise InputError("a message must be a JSON object", line=line_number)
    return message


def loads(text: bytes | str) -> Any:
    """orjson, and Python's parser for what orjson refuses (:func:`loads_lenient`); ValueError names
    orjson's complaint when neither takes the text."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        try:
            return loads_lenient(text)
        except ValueError:
            raise ValueError(str(exc)) from None


def loads_lenient(text: bytes | str) -> Any:
    """Python's parser: the last of duplicate keys wins (as with orjson), a lone surrogate escape is kept as a
    surrogate code point; NaN and Infinity are still refused (they are not JSON)."""
    return json.loads(text, parse_constant=_not_json)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def dumps(message: Any) -> bytes:
    """Compact JSON; a string holding a lone surrogate (decoded by Python's parser) goes out escaped as it
    came in, where orjson refuses it."""
    try:
        return orjson.dumps(message)
    except orjson.JSONEncodeError:
        return json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode()


def iter_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line)`` for every non-blank line, line numbers 1-based."""
    for number, line in enumerate(stream, start=1):
        line = line.strip()
        if line:
            yield number, line


class ChunkReader:
    """Reads a binary stream on a background thread and hands out chunks of whole lines.

    The thread lets the consumer wake up on a timeout while the source is quiet (so age-based flushes and
    progress logs happen even when no input arrives), and 1 MiB reads are far cheaper than a readline per
    message. Every chunk ends with a newline (one is added to a last line that lacks it).
    """

    _END = object()

    def __init__(self, stream: IO[bytes], read_size: int = READ_SIZE) -> None:
        self._stream = stream
        self._read_size = read_size
        self._queue: queue.Queue[object] = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._pump, name="stdin-reader", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        read = getattr(self._stream, "read1", self._stream.read)
        # The unfinished line's pieces, joined once it ends: adding each read to it copied a line longer
        # than a read again at every read.
        carried: list[bytes] = []
        try:
            while True:
                data = read(self._read_size)
                if not data:
                    break
                cut = data.rfind(b"\n") + 1
                if not cut:  # still inside a line
                    carried.append(data)
                    continue
                # One copy: the line carried over, then this read up to its last newline (none for a read
                # of whole lines).
                whole_lines = not carried and cut == len(data)
                self._queue.put(data if whole_lines else b"".join((*carried, memoryview(data)[:cut])))
                carried = [data[cut:]] if cut < len(data) else []
            if carried:
                self._queue.put(b"".join((*carried, b"\n")))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which reports it
            self._queue.put(exc)
        self._queue.put(self._END)

    def get(self, timeout: float | None) -> bytes | None:
        """The next chunk; ``b""`` when nothing arrived within ``timeout``; ``None`` at end of input."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return b""
        if item is self._END:
            self._queue.put(item)  # later calls keep seeing the end
            return None
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, bytes)
        return item


class MessageWriter:
    """Writes AirbyteMessages to a binary stream, one compact JSON object per line."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def write(self, message: dict[str, Any] | BaseModel, *, flush: bool = False) -> None:
        if isinstance(message, BaseModel):
            message = message.model_dump(mode="json", exclude_unset=True, by_alias=True)
        self._stream.write(dumps(message) + b"\n")
        if flush:
            self._stream.flush()

    def write_lines(self, block: bytes) -> None:
        """Write already-serialised message lines (each ending in a newline) as they are."""
        self._stream.write(block)

    def flush(self) -> None:
        self._stream.flush()


def now_ms() -> float:
    return time.time() * 1000.0


def log_message(level: str, message: str) -> dict[str, Any]:
    return {"type": "LOG", "log": {"level": level, "message": message}}


def connection_status_message(succeeded: bool, message: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"status": "SUCCEEDED" if succeeded else "FAILED"}
    if message is not None:
        status["message"] = message
    return {"type": "CONNECTION_STATUS", "connectionStatus": status}


def stream_descriptor(name: str, namespace: str | None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": name}
    if namespace is not None:
        descriptor["namespace"] = namespace
    return descriptor


def stream_status_message(
    name: str, namespace: str | None, status: str, reasons: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"stream_descriptor": stream_descriptor(name, namespace), "status": status}
    if reasons:
        payload["reasons"] = reasons
    return {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": now_ms(), "stream_status": payload}}


def rate_limited_message(name: str, namespace: str | None, wait_seconds: float) -> dict[str, Any]:
    """STREAM_STATUS RUNNING with a RATE_LIMITED reason: the stream waits ``wait_seconds`` for an API's quota."""
    quota_reset = int((time.time() + wait_seconds) * 1000)
    reason = {"type": "RATE_LIMITED", "rate_limited": {"quota_reset": quota_reset}}
    return stream_status_message(name, namespace, "RUNNING", [reason])
