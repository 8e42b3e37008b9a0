"""``airbyte_cdk.models``: the Airbyte protocol models (the kit's pydantic ones, which keep unknown keys) and
their serializers.

The kit's own list is re-exported; any other model of ``airbyte_protocol.models`` is found on first use.
"""

from __future__ import annotations

from airbyte_dest_kit.cdk.models.airbyte_protocol import *  # noqa: F403 - the models, by their __all__
from airbyte_dest_kit.cdk.models.airbyte_protocol import __all__ as _models
from airbyte_dest_kit.cdk.models.airbyte_protocol import __getattr__ as __getattr__
from airbyte_dest_kit.cdk.models.airbyte_protocol_serializers import (
    AirbyteCatalogSerializer,
    AirbyteMessageSerializer,
    AirbyteStateMessageSerializer,
    AirbyteStreamSerializer,
    AirbyteStreamStateSerializer,
    ConfiguredAirbyteCatalogSerializer,
    ConfiguredAirbyteStreamSerializer,
    ConnectorSpecificationSerializer,
)

__all__ = [
    *_models,
    "AirbyteCatalogSerializer",
    "AirbyteMessageSerializer",
    "AirbyteStateMessageSerializer",
    "AirbyteStreamSerializer",
    "AirbyteStreamStateSerializer",
    "ConfiguredAirbyteCatalogSerializer",
    "ConfiguredAirbyteStreamSerializer",
    "ConnectorSpecificationSerializer",
]
