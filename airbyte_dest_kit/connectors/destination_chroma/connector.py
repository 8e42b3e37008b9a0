"""destination-chroma: records as chunks and vectors in Chroma, a server or a folder on disk, with the config
shape of Airbyte's destination-chroma (``indexing.auth_method``, ``indexing.collection_name``).

    python main.py check --config sample_files/config.json
    python main.py write --config sample_files/config.json --catalog sample_files/configured_catalog.json
    python main.py query --config sample_files/config.json --text "duck" -k 3
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_dest_kit.connectors.vector_destination import VectorDestination
from airbyte_dest_kit.writers.vector.chroma_store import ChromaStore


class DestinationChroma(VectorDestination):
    default_schema = "main"

    def create_store(self, config: Mapping[str, Any], dimensions: int) -> ChromaStore:
        return ChromaStore(config.get("indexing") or {}, dimensions, self.resolve_schema(config))
