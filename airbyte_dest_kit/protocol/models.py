"""Typed protocol models for the cold path (spec, catalogs, config, hand-written ``write()``).

We use the published pydantic-v2 models (``airbyte-protocol-models-pdv2``) rather than typing the protocol
by hand: they track the newest protocol (0.18: generation_id, minimum_generation_id, sync_id, the
``update`` / ``soft_delete`` destination modes) and keep unknown keys (``extra="allow"``), so a parsed
STATE re-serialises with the platform's ``id`` intact. RECORD lines on the hot path never become models:
see :mod:`airbyte_dest_kit.protocol.codec`.
"""

from __future__ import annotations

from airbyte_protocol.models import (
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
