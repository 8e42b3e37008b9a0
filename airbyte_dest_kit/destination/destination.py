"""The ``Destination`` base: ``spec`` / ``check`` / ``write`` on the shared command line.

Hand-written destinations implement :meth:`Destination.write` the way the Airbyte CDK tutorial does::

    class MyDestination(Destination):
        def check(self, config):
            MyClient(config).ping()                 # raise ConfigError("...") with what to fix

        def write(self, config, catalog, input_messages):
            for message in input_messages:          # typed AirbyteMessage objects
                if message.type == Type.RECORD:
                    buffer.append(message.record)
                elif message.type == Type.STATE:
                    flush(buffer)                   # commit first...
                    yield message                   # ...then echo the state (unknown keys are kept)

    if __name__ == "__main__":
        launch(MyDestination())

Each STATE ``write`` yields goes out as it came in plus ``destinationStats.recordCount`` (the records of its
scope handed to ``write`` since that scope's previous state), as the protocol asks; a ``check`` may raise or
return an ``AirbyteConnectionStatus``.

Destinations that hand the kit a :class:`~airbyte_dest_kit.destination.writer.Writer` instead subclass
:class:`~airbyte_dest_kit.destination.writer_destination.WriterDestination` and get batching, modes and the
state ledger.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

import pydantic

from airbyte_dest_kit.errors import InputError
from airbyte_dest_kit.protocol.codec import MessageWriter, decode_line, iter_lines
from airbyte_dest_kit.protocol.models import AirbyteMessage, ConfiguredAirbyteCatalog, Type
from airbyte_dest_kit.protocol.stream_keys import StreamKey, state_scope, stream_key
from airbyte_dest_kit.runtime.config import load_catalog
from airbyte_dest_kit.runtime.connector import Connector
from airbyte_dest_kit.runtime.entrypoint import launch

log = logging.getLogger("airbyte.destination")

KNOWN_TYPES = {t.value for t in Type}


def typed_messages(stdin: IO[bytes], skipped: dict[str, int]) -> Iterator[AirbyteMessage]:
    """Parse stdin into AirbyteMessage models for hand-written ``write()``; unknown types are counted."""
    for number, line in iter_lines(stdin):
        raw = decode_line(line, number)
        kind = raw.get("type")
        if kind not in KNOWN_TYPES:
            skipped[str(kind)] = skipped.get(str(kind), 0) + 1
            continue
        try:
            yield AirbyteMessage.model_validate(raw)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(f"{kind} message is invalid at {where}: {first['msg']}", line=number) from None


class Destination(Connector):
    """A destination: implement :meth:`write` by hand, or use ``WriterDestination``."""

    def add_commands(self, commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        write = commands.add_parser("write", help="read messages on stdin and write them")
        write.add_argument("--config", required=True, help="path to the config JSON file")
        write.add_argument("--catalog", required=True, help="path to the configured catalog JSON file")

    def run(self, args: Sequence[str]) -> None:
        """``MyDestination().run(sys.argv[1:])``, as airbyte-cdk's destinations start: :func:`launch` it."""
        launch(self, args)

    def run_command(self, args: argparse.Namespace, out: MessageWriter) -> None:
        config = self.load_config(args.config)
        catalog = load_catalog(args.catalog)
        self.run_write(config, catalog, sys.stdin.buffer, out)

    def run_write(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, stdin: IO[bytes], out: MessageWriter
    ) -> None:
        """Feed typed messages to :meth:`write` and print what it yields, flushing after each STATE."""
        skipped: dict[str, int] = {}
        counts = StateRecordCounts()
        for message in self.write(config, catalog, counts.track(typed_messages(stdin, skipped))):
            if _is_state(message):
                out.write(counts.stamp(message), flush=True)
            else:
                out.write(message)
        if skipped:
            log.info("skipped messages of unknown type: %s", skipped)

    def write(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, input_messages: Iterator[AirbyteMessage]
    ) -> Iterable[AirbyteMessage | dict[str, Any]]:
        """Write records and yield each STATE once everything before it is committed."""
        raise NotImplementedError(f"{type(self).__name__} must implement write() or subclass WriterDestination")


def _is_state(message: AirbyteMessage | dict[str, Any]) -> bool:
    kind = message.get("type") if isinstance(message, dict) else message.type
    return kind in ("STATE", Type.STATE)


def _as_dict(message: AirbyteMessage | dict[str, Any]) -> dict[str, Any]:
    if isinstance(message, dict):
        return message
    dumped: dict[str, Any] = message.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return dumped


class StateRecordCounts:
    """``destinationStats.recordCount`` for states a hand-written ``write`` yields.

    :meth:`track` counts the records handed to ``write`` and notes each incoming STATE with its count: for a
    STREAM state the records of its stream since that stream's previous state, for GLOBAL / LEGACY all records
    since the previous GLOBAL / LEGACY state. :meth:`stamp` finds the yielded state among the noted ones (by
    content: ``write`` may yield the object it received or an equal copy) and returns the received message
    plus the count. Noted states that ``write`` skipped add their count to the next echoed state of their
    scope, so the counts still sum up to the records written.
    """

    def __init__(self) -> None:
        self._seen: dict[StreamKey, int] = {}
        self._counted_at_stream_state: dict[StreamKey, int] = {}
        self._counted_at_global_state = 0
        self._noted: deque[tuple[dict[str, Any], StreamKey | None, int]] = deque()
        self._skipped: dict[StreamKey | None, int] = {}

    def track(self, messages: Iterable[AirbyteMessage]) -> Iterator[AirbyteMessage]:
        for message in messages:
            if message.type == Type.RECORD and message.record is not None:
                key = stream_key({"name": message.record.stream, "namespace": message.record.namespace})
                self._seen[key] = self._seen.get(key, 0) + 1
            elif message.type == Type.STATE:
                self._note(_as_dict(message))
            yield message

    def _note(self, message: dict[str, Any]) -> None:
        scope = state_scope(message["state"])
        if scope is None:
            total = sum(self._seen.values())
            count, self._counted_at_global_state = total - self._counted_at_global_state, total
        else:
            current = self._seen.get(scope, 0)
            count = current - self._counted_at_stream_state.get(scope, 0)
            self._counted_at_stream_state[scope] = current
        self._noted.append((message, scope, count))

    def stamp(self, message: AirbyteMessage | dict[str, Any]) -> dict[str, Any]:
        """The yielded state as received plus ``destinationStats``; unchanged if it was never received."""
        yielded = _as_dict(message)
        position = next((i for i, (received, _, _) in enumerate(self._noted) if received == yielded), None)
        if position is None:
            return yielded
        for _ in range(position):  # states write() chose not to echo
            _, scope, count = self._noted.popleft()
            self._skipped[scope] = self._skipped.get(scope, 0) + count
        received, scope, count = self._noted.popleft()
        count += self._skipped.pop(scope, 0)
        state = received["state"]
        stats = {**(state.get("destinationStats") or {}), "recordCount": float(count)}
        return {**received, "state": {**state, "destinationStats": stats}}
