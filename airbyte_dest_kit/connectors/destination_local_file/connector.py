"""destination-local-file: land Airbyte messages as JSON lines, Parquet or CSV files in a folder or in S3.

python main.py spec
python main.py check --config sample_files/config.json
cat messages.jsonl | python main.py write --config sample_files/config.json --catalog catalog.json
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_dest_kit.destination.writer_destination import WriterDestination
from airbyte_dest_kit.writers.files import FileFormat, FileWriter, ObjectStorage, Partitioning


class DestinationLocalFile(WriterDestination):
    default_schema = "default"

    def create_writer(self, config: Mapping[str, Any]) -> FileWriter:
        partitioning = config.get("partitioning")
        size = config.get("target_file_size_mb")
        return FileWriter(
            config["destination_path"],
            FileFormat(config.get("format") or "parquet", gzip=bool(config.get("gzip"))),
            partitioning=Partitioning(**partitioning) if partitioning is not None else None,
            target_file_bytes=int(size * 1024 * 1024) if size else None,
            storage=ObjectStorage(
                endpoint=config.get("s3_endpoint"),
                region=config.get("s3_region"),
                access_key_id=config.get("aws_access_key_id"),
                secret_access_key=config.get("aws_secret_access_key"),
            ),
            temp_directory=config.get("temp_directory"),
        )
