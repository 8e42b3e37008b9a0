"""``airbyte_cdk.models``: the Airbyte protocol models (the kit's pydantic ones, which keep unknown keys).

The names guides use are listed; any other model of ``airbyte_protocol.models`` is found on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from airbyte_dest_kit.protocol.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteControlMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamStatus,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    ConnectorSpecification,
    DestinationSyncMode,
    FailureType,
    Level,
    Status,
    StreamDescriptor,
    SyncMode,
    TraceType,
    Type,
)

__all__ = [
    "AirbyteCatalog",
    "AirbyteConnectionStatus",
    "AirbyteControlMessage",
    "AirbyteLogMessage",
    "AirbyteMessage",
    "AirbyteRecordMessage",
    "AirbyteStateMessage",
    "AirbyteStateType",
    "AirbyteStream",
    "AirbyteStreamStatus",
    "AirbyteTraceMessage",
    "ConfiguredAirbyteCatalog",
    "ConfiguredAirbyteStream",
    "ConnectorSpecification",
    "DestinationSyncMode",
    "FailureType",
    "Level",
    "Status",
    "StreamDescriptor",
    "SyncMode",
    "TraceType",
    "Type",
]


def __getattr__(name: str) -> Any:
    models = importlib.import_module("airbyte_protocol.models")
    if name.startswith("_") or not hasattr(models, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(models, name)
