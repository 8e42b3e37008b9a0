"""destination-iceberg: land Airbyte messages as Apache Iceberg tables (a SQL or REST catalog, a local or S3
warehouse), readable by Spark, Trino, DuckDB, pandas and the rest.

python main.py spec
python main.py check --config sample_files/config.json
cat messages.jsonl | python main.py write --config sample_files/config.json --catalog catalog.json
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_dest_kit.destination.writer_destination import WriterDestination
from airbyte_dest_kit.writers.iceberg import CatalogConfig, IcebergWriter, Partitioning


class DestinationIceberg(WriterDestination):
    default_schema = "default"
    # Each commit is a snapshot and a data file per table: rows are committed when a STATE has waited this long
    # for them (and when a stream ends), not at every batch the flush policy cuts for memory's sake.
    buffering_defaults = {"max_state_wait_seconds": 60.0}

    def spec(self) -> dict[str, Any]:
        spec = super().spec()
        buffering = spec["connectionSpecification"]["properties"]["buffering"]["properties"]
        buffering["max_state_wait_seconds"]["description"] = (
            "Commit a stream's rows once a STATE has waited this long (seconds) for them. Each commit is an Iceberg "
            "snapshot with a data file per table; the batches written in between go to that one file."
        )
        return spec

    def resolve_schema(self, config: Mapping[str, Any]) -> str:
        """The namespace of streams without one: config key ``namespace``."""
        return str(config.get("namespace") or config.get("schema") or self.default_schema)

    def create_writer(self, config: Mapping[str, Any]) -> IcebergWriter:
        size = config.get("target_file_size_mb")
        return IcebergWriter(
            CatalogConfig.from_config(config),
            namespace=config["schema"],
            partitioning=Partitioning.parse(config.get("partitioning")),
            target_file_bytes=int(size * 1024 * 1024) if size else None,
            compact=config.get("compact_small_files", True),
        )
