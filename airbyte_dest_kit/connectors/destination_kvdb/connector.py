"""destination-kvdb: land Airbyte messages in a KvDB-style HTTP key-value bucket (the Airbyte guide's example).

python main.py check --config sample_files/config.json
cat messages.jsonl | python main.py write --config sample_files/config.json --catalog catalog.json

Keys, values and modes: see ``airbyte_dest_kit/writers/kvdb/writer.py``; a local server to run it against is
``destinations/destination-kvdb/server.py`` in the checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_dest_kit.destination.writer_destination import WriterDestination
from airbyte_dest_kit.runtime.http import RetryPolicy
from airbyte_dest_kit.writers.http import RequestLimits
from airbyte_dest_kit.writers.kvdb import DEFAULT_RETRY, KvdbClient, KvdbWriter


class DestinationKvdb(WriterDestination):
    # Keys of a stream without a namespace start with the stream's name alone.
    default_schema = ""

    def create_writer(self, config: Mapping[str, Any]) -> KvdbWriter:
        retries = config.get("retries") or {}
        retry = RetryPolicy(
            max_retries=retries.get("max_retries", DEFAULT_RETRY.max_retries),
            min_wait=retries.get("min_wait_seconds", DEFAULT_RETRY.min_wait),
            max_wait=retries.get("max_wait_seconds", DEFAULT_RETRY.max_wait),
            jitter=DEFAULT_RETRY.jitter,
        )
        limits = RequestLimits(config["request_max_entries"], config["request_max_bytes"])
        client = KvdbClient(
            config["base_url"],
            config["bucket_id"],
            config.get("secret_key"),
            limits=limits,
            concurrency=config["concurrent_requests"],
            retry=retry,
        )
        return KvdbWriter(client)
