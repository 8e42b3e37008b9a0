"""The class a destination author subclasses: :class:`WriterDestination`, a destination made of a Writer.

    class DestinationDuckDB(WriterDestination):
        default_schema = "main"

        def create_writer(self, config):
            return DuckDBWriter(config["destination_path"])

    if __name__ == "__main__":
        sys.exit(launch(DestinationDuckDB()))

The pipeline (:mod:`airbyte_dest_kit.destination.pipeline.runner`) does batching, typing, modes and the state ledger.
The schema of streams without a namespace is decided here and only here (:meth:`WriterDestination.resolve_schema`):
the config key ``schema``, else :meth:`WriterDestination.default_schema_for`; writers read it from
``config["schema"]``, which is always set when :meth:`create_writer` is called.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import IO, Any, ClassVar

from airbyte_dest_kit.destination.destination import Destination
from airbyte_dest_kit.destination.pipeline.flush import FlushPolicy
from airbyte_dest_kit.destination.pipeline.runner import Pipeline
from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.destination.writer import Writer
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteCatalog


class WriterDestination(Destination):
    """A destination made of a :class:`Writer` (see the module docstring). The optional config object
    ``buffering`` tunes the :class:`FlushPolicy`."""

    default_schema = "main"
    # Defaults of the ``buffering`` object where this destination's differ from FlushPolicy's (spec and sync).
    buffering_defaults: ClassVar[Mapping[str, float]] = {}

    @abc.abstractmethod
    def create_writer(self, config: Mapping[str, Any]) -> Writer:
        """A writer for this config (do not connect yet: ``check`` / ``open`` do); ``config["schema"]`` is set."""

    def default_schema_for(self, config: Mapping[str, Any]) -> str:
        """The schema when the config names none: ``default_schema`` unless the target needs another."""
        return self.default_schema

    def resolve_schema(self, config: Mapping[str, Any]) -> str:
        return str(config.get("schema") or self.default_schema_for(config))

    def _with_schema(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {**config, "schema": self.resolve_schema(config)}

    def spec(self) -> dict[str, Any]:
        spec = super().spec()
        properties = spec["connectionSpecification"].setdefault("properties", {})
        properties.setdefault("buffering", FlushPolicy.json_schema(self.buffering_defaults))
        return spec

    def check(self, config: Mapping[str, Any]) -> None:
        writer = self.create_writer(self._with_schema(config))
        try:
            writer.check()
        finally:
            writer.close()

    def run_write(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, stdin: IO[bytes], out: MessageWriter
    ) -> None:
        config = self._with_schema(config)
        policy = FlushPolicy.from_config({"buffering": {**self.buffering_defaults, **(config.get("buffering") or {})}})
        writer = self.create_writer(config)
        specs = build_stream_specs(catalog.streams, config["schema"], writer.capabilities)
        Pipeline(writer, specs, out, policy).run(stdin)
