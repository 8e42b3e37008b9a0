"""The shared part of the vector-store destinations: a :class:`VectorWriter` from the config's ``processing``
and ``embedding`` objects over the store a subclass makes, and the ``query`` command::

    destination-duckdb-vector query --config config.json --text "how do I reset my password" -k 5

prints the ``k`` nearest chunks, as JSON lines (``distance``, ``text``, ``metadata``, ``collection``), the
text embedded with the configured embedder.
"""

from __future__ import annotations

import abc
import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airbyte_dest_kit.destination.writer_destination import WriterDestination
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.writers.vector import VectorStore, VectorWriter, make_embedder
from airbyte_dest_kit.writers.vector.embeddings import Embedder

# The spec of ``processing`` and ``embedding``, the same in every vector destination's spec.
SHARED_SPEC = Path(__file__).with_name("vector_spec.json")


# A batch's text becomes many times its size in vectors (a float per dimension, a Python object until stored):
# smaller batches than other destinations' 24 MiB, unless the config's ``buffering`` says otherwise.
BATCH_BYTES = 4 * 2**20


class VectorDestination(WriterDestination):
    buffering_defaults = {"max_bytes": BATCH_BYTES, "max_total_bytes": 4 * BATCH_BYTES}

    def spec(self) -> dict[str, Any]:
        spec = super().spec()
        connection = spec["connectionSpecification"]
        connection["properties"].update(json.loads(SHARED_SPEC.read_text()))
        return spec

    @abc.abstractmethod
    def create_store(self, config: Mapping[str, Any], dimensions: int) -> VectorStore:
        """The store for this config (connect lazily: ``check`` and the writer's ``open`` connect)."""

    def _embedder(self, config: Mapping[str, Any]) -> Embedder:
        embedding = config.get("embedding")
        if not isinstance(embedding, Mapping):
            raise ConfigError("the config needs an 'embedding' object with a 'mode' (fake, openai, ...)")
        return make_embedder(embedding)

    def create_writer(self, config: Mapping[str, Any]) -> VectorWriter:
        embedder = self._embedder(config)
        writer = VectorWriter(self.create_store(config, embedder.dimensions), embedder, config.get("processing") or {})
        out = getattr(self, "out", None)
        if out is not None:
            writer.emit = out.write
        return writer

    def add_commands(self, commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        super().add_commands(commands)
        query = commands.add_parser("query", help="print the chunks nearest to a text")
        query.add_argument("--config", required=True, help="path to the config JSON file")
        query.add_argument("--text", required=True, help="the text to search for")
        query.add_argument("-k", type=int, default=5, help="how many chunks (default 5)")

    def run_command(self, args: argparse.Namespace, out: MessageWriter) -> None:
        if args.command != "query":
            super().run_command(args, out)
            return
        config = self.load_config(args.config)
        embedder = self._embedder(config)
        store = self.create_store(config, embedder.dimensions)
        try:
            [vector] = embedder.embed([args.text])
            for hit in store.query(vector, args.k):
                row = {"distance": round(hit.distance, 6), "text": hit.text, "metadata": hit.metadata}
                out.write({**row, "collection": hit.collection})
        finally:
            embedder.close()
            store.close()
