"""The ``Source`` base: ``spec`` / ``check`` / ``discover`` / ``read`` on the shared command line.

A source is a folder with ``spec.json`` and a ``main.py`` like::

    class SourceShop(Source):
        def streams(self, config):
            client = HttpClient(config["base_url"], auth=BearerTokenAuth(config["api_key"]), events=self.events)
            return [Customers(client), Orders(client)]

    if __name__ == "__main__":
        sys.exit(launch(SourceShop()))

``check`` builds the streams (override :meth:`Source.check_connection` to try a request); ``discover`` lists
them; ``read`` runs :class:`~airbyte_dest_kit.sources.reader.Reader`. Every error the source reports, in
logs, TRACE ERROR messages and the CONNECTION_STATUS of ``check``, has the config's ``airbyte_secret``
values (and secrets obtained during the run, such as refreshed tokens) replaced by ``****``.
"""

from __future__ import annotations

import abc
import argparse
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteCatalog
from airbyte_dest_kit.protocol.stream_keys import StreamKey
from airbyte_dest_kit.runtime.config import load_catalog, read_json_file
from airbyte_dest_kit.runtime.connector import Connector
from airbyte_dest_kit.sources.concurrent import DEFAULT_CONCURRENCY, check_concurrency
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.output import BufferedOutput
from airbyte_dest_kit.sources.reader import Reader, ReadOptions, combined_failure
from airbyte_dest_kit.sources.state import SavedState, parse_state
from airbyte_dest_kit.sources.stream import Stream


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class Source(Connector):
    """A source: implement :meth:`streams`; optionally :meth:`check_connection`."""

    state_type: ClassVar[Literal["STREAM", "GLOBAL"]] = "STREAM"
    """Which kind of STATE ``read`` emits; both kinds (and legacy) are accepted on input."""

    def __init__(self) -> None:
        super().__init__()
        self.events = SourceEvents()

    @abc.abstractmethod
    def streams(self, config: Mapping[str, Any]) -> Sequence[Stream]:
        """Every stream this source offers for ``config``."""

    def check_connection(self, config: Mapping[str, Any]) -> None:
        """Raise a :class:`~airbyte_dest_kit.errors.ConnectorError` saying what to fix. Builds the streams."""
        self.streams(config)

    def shared_state(self, saved: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """The ``shared_state`` of GLOBAL checkpoints; by default the one the read resumed from."""
        return saved

    def concurrency_level(self, config: Mapping[str, Any]) -> int:
        """Workers per stream for the streams whose slices can be read at once (``concurrent_slices``), at
        most :data:`~airbyte_dest_kit.sources.concurrent.MAX_CONCURRENCY`; 1 reads every stream sequentially.
        Override it to read the level from the config (and put the key in the spec)."""
        return DEFAULT_CONCURRENCY

    def emitted_at(self, config: Mapping[str, Any]) -> int | None:
        """A fixed ``emitted_at`` for every record (reproducible output), or ``None`` for the wall clock."""
        return None

    # -- the command line ------------------------------------------------------------------------------

    def add_commands(self, commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        discover = commands.add_parser("discover", help="list the streams this source offers")
        discover.add_argument("--config", required=True, help="path to the config JSON file")
        read = commands.add_parser("read", help="read the configured streams as messages on stdout")
        read.add_argument("--config", required=True, help="path to the config JSON file")
        read.add_argument("--catalog", required=True, help="path to the configured catalog JSON file")
        read.add_argument("--state", help="path to the state JSON file to resume from")

    def check(self, config: Mapping[str, Any]) -> None:
        if self.out is not None:  # a token refreshed during check is persisted too (CONTROL message)
            self.events.bind(self.out.write, self.add_secret)
        self.check_connection(config)

    def run_command(self, args: argparse.Namespace, out: MessageWriter) -> None:
        config = self.load_config(args.config)
        if args.command == "discover":
            self.events.bind(out.write, self.add_secret)
            catalog = [stream.as_airbyte_stream() for stream in self._streams_by_key(config).values()]
            out.write({"type": "CATALOG", "catalog": {"streams": catalog}})
        else:
            self._read(config, args, out)

    def _read(self, config: dict[str, Any], args: argparse.Namespace, out: MessageWriter) -> None:
        catalog = load_catalog(args.catalog)
        saved = parse_state(read_json_file(args.state, "state")) if args.state else SavedState()
        self.read_catalog(config, catalog, saved, out)

    def read_catalog(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, saved: SavedState, out: MessageWriter
    ) -> None:
        """What ``read`` does once its files are loaded: the catalog's streams, resumed from ``saved``, as
        messages to ``out``; raises once every stream had its turn if any failed."""
        streams = self._streams_by_key(config)
        output = BufferedOutput(out)
        self.events.bind(output.message, self.add_secret)
        fixed_emitted_at = self.emitted_at(config)
        options = ReadOptions(
            global_state=self.state_type == "GLOBAL",
            shared_state=self.shared_state,
            emitted_at=wall_clock_ms if fixed_emitted_at is None else lambda: fixed_emitted_at,
            secrets=lambda: self.secrets,
            concurrency=check_concurrency(self.concurrency_level(config), "the source's concurrency level"),
        )
        failures = Reader(output, saved, self.events, options).read_all(catalog.streams, streams)
        output.flush()
        if failures:
            raise combined_failure(failures)

    def _streams_by_key(self, config: Mapping[str, Any]) -> dict[StreamKey, Stream]:
        by_key: dict[StreamKey, Stream] = {}
        for stream in self.streams(config):
            key = (stream.namespace, stream.name)
            if key in by_key:
                raise ConfigError(f"the source defines stream {stream.name!r} twice")
            by_key[key] = stream
        return by_key
