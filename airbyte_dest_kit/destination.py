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
        sys.exit(launch(MyDestination()))

Destinations that hand the kit a :class:`~airbyte_dest_kit.writer.Writer` instead subclass
:class:`~airbyte_dest_kit.writer_destination.WriterDestination` and get batching, modes and the state ledger.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import pydantic

from airbyte_dest_kit.connector import Connector, load_catalog
from airbyte_dest_kit.errors import InputError
from airbyte_dest_kit.protocol.codec import MessageWriter, decode_line, iter_lines
from airbyte_dest_kit.protocol.models import AirbyteMessage, ConfiguredAirbyteCatalog, Type

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

    def run_command(self, args: argparse.Namespace, out: MessageWriter) -> None:
        config = self.load_config(args.config)
        catalog = load_catalog(args.catalog)
        self.run_write(config, catalog, sys.stdin.buffer, out)

    def run_write(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, stdin: IO[bytes], out: MessageWriter
    ) -> None:
        """Feed typed messages to :meth:`write` and print what it yields, flushing after each STATE."""
        skipped: dict[str, int] = {}
        for message in self.write(config, catalog, typed_messages(stdin, skipped)):
            out.write(message, flush=_is_state(message))
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
