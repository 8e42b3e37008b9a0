import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.destinations import Destination
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    DestinationSyncMode,
    Status,
    Type,
)

from .client import KeyValueClient

BATCH_SIZE = 500


class DestinationKeyValue(Destination):
    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Write a key and delete it again: proves the bucket exists and the key may write."""
        logger.info(f"Checking bucket {config['bucket_id']}")
        try:
            client = KeyValueClient.from_config(config)
            probe = f"_airbyte_check_{uuid.uuid4().hex}"
            client.apply([{"set": probe, "value": {"check": True}}])
            client.delete([probe])
            return AirbyteConnectionStatus(status=Status.SUCCEEDED)
        except Exception as error:  # noqa: BLE001 - the check reports any failure as FAILED
            return AirbyteConnectionStatus(status=Status.FAILED, message=f"Cannot write to the bucket: {error!r}")

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        """Each record becomes a key "<stream>__<random id>" holding its data; states are echoed after a flush."""
        client = KeyValueClient.from_config(config)
        for configured_stream in configured_catalog.streams:
            if configured_stream.destination_sync_mode == DestinationSyncMode.overwrite:
                client.delete(client.list_keys(prefix=f"{configured_stream.stream.name}__"))

        pending: list[Mapping[str, Any]] = []
        for message in input_messages:
            if message.type == Type.RECORD:
                record = message.record
                pending.append({"set": f"{record.stream}__{uuid.uuid4().hex}", "value": record.data})
                if len(pending) >= BATCH_SIZE:
                    client.apply(pending)
                    pending = []
            elif message.type == Type.STATE:
                client.apply(pending)  # everything before the state is stored before it is echoed
                pending = []
                yield message
        client.apply(pending)
