"""destination-duckdb-vector: records as chunks and vectors in a DuckDB file, no server needed.

python main.py write --config sample_files/config.json --catalog sample_files/configured_catalog.json
python main.py query --config sample_files/config.json --text "duck" -k 3
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_dest_kit.connectors.vector_destination import VectorDestination
from airbyte_dest_kit.writers.vector.duckdb_store import DuckDBVectorStore


class DestinationDuckDBVector(VectorDestination):
    default_schema = "main"

    def create_store(self, config: Mapping[str, Any], dimensions: int) -> DuckDBVectorStore:
        return DuckDBVectorStore(config["destination_path"], dimensions)
