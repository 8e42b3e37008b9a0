"""What a connector printed on stdout, parsed, with the lookups tests make on it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from airbyte_dest_kit.protocol.codec import loads_lenient


def parse_message(line: bytes | str) -> dict[str, Any]:
    """One stdout line as a message: no NaN / Infinity, big integers exact, and a lone surrogate escape kept
    (valid JSON text, which a destination echoes in a STATE as it came)."""
    message = loads_lenient(line)
    if not isinstance(message, dict):
        raise ValueError(f"not a message object: {line!r}")
    return message


class ConnectorOutput:
    """The messages of a connector's stdout, one JSON object a line; a line that is not one fails at once."""

    def __init__(self, lines: Iterable[bytes | str]) -> None:
        self.lines = list(lines)
        self.messages = [parse_message(line) for line in self.lines]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """The whole messages of ``kind`` (RECORD, STATE, TRACE, LOG, SPEC, …)."""
        return [m for m in self.messages if m["type"] == kind]

    def records(self, stream: str | None = None) -> list[dict[str, Any]]:
        """The ``data`` of the RECORD messages, of ``stream`` only when given."""
        return [
            m["record"]["data"] for m in self.of_type("RECORD") if stream is None or m["record"]["stream"] == stream
        ]

    def states(self, stream: str | None = None) -> list[dict[str, Any]]:
        """The ``state`` objects of the STATE messages, of STREAM states of ``stream`` only when given."""
        return [
            m["state"]
            for m in self.of_type("STATE")
            if stream is None or m["state"]["stream"]["stream_descriptor"]["name"] == stream
        ]

    def statuses(self, stream: str) -> list[str]:
        """The STREAM_STATUS values traced for ``stream``, in order."""
        return [
            m["trace"]["stream_status"]["status"]
            for m in self.of_type("TRACE")
            if m["trace"]["type"] == "STREAM_STATUS"
            and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
        ]

    def errors(self) -> list[dict[str, Any]]:
        """The ``error`` objects of the TRACE ERROR messages."""
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    def logs(self) -> list[str]:
        """The texts of the LOG messages."""
        return [m["log"]["message"] for m in self.of_type("LOG")]

    def status(self) -> dict[str, Any]:
        """The ``connectionStatus`` of a ``check`` (``{"status": "SUCCEEDED"}``, or FAILED with a ``message``);
        fails unless exactly one was printed."""
        statuses = self.of_type("CONNECTION_STATUS")
        assert len(statuses) == 1, f"{len(statuses)} CONNECTION_STATUS messages, not one: {self.messages}"
        return dict(statuses[0]["connectionStatus"])

    def batches(self, stream: str) -> int:
        """How many batches a Writer-based destination committed for ``stream``, from its summary LOG."""
        summary = re.compile(rf"stream {re.escape(stream)}: [\d,]+ records committed in ([\d,]+) batch")
        for text in self.logs():
            found = summary.match(text)
            if found:
                return int(found.group(1).replace(",", ""))
        raise AssertionError(f"no summary LOG for stream {stream!r} in {self.logs()}")
