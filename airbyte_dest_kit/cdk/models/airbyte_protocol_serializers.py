"""``airbyte_cdk.models.airbyte_protocol_serializers``: ``AirbyteMessageSerializer.dump(message)`` → a JSON
object, ``.load(obj)`` → the model, and the same pair for the other top-level models.

``dump`` leaves out the fields that are ``None``, as airbyte-cdk's serializers do, but keeps ``null`` values
inside record data and state blobs (a state ``{"seed": null}`` stays as it is).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, RootModel
from pydantic_core import to_jsonable_python

from airbyte_dest_kit.cdk.models.airbyte_protocol import (
    AirbyteCatalog,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStream,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    ConnectorSpecification,
)
from airbyte_dest_kit.cdk.models.airbyte_protocol import __getattr__ as _protocol_model

ModelT = TypeVar("ModelT", bound=BaseModel)


def plain(value: Any) -> Any:
    """``value`` as JSON: models without their ``None`` fields, enums as their values."""
    if isinstance(value, RootModel):
        return plain(value.root)
    if isinstance(value, BaseModel):
        dumped = {
            field.alias or name: plain(item)
            for name, field in type(value).model_fields.items()
            if (item := getattr(value, name)) is not None
        }
        dumped.update((key, plain(item)) for key, item in (value.__pydantic_extra__ or {}).items())
        return dumped
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return to_jsonable_python(value)  # a URL, a datetime: as pydantic writes them in JSON


class Serializer(Generic[ModelT]):
    def __init__(self, model: type[ModelT]) -> None:
        self.model = model

    def dump(self, value: ModelT) -> dict[str, Any]:
        dumped: dict[str, Any] = plain(value)
        return dumped

    def load(self, data: Mapping[str, Any]) -> ModelT:
        return self.model.model_validate(data)


AirbyteCatalogSerializer = Serializer(AirbyteCatalog)
AirbyteStreamSerializer = Serializer(AirbyteStream)
AirbyteStreamStateSerializer = Serializer(_protocol_model("AirbyteStreamState"))
AirbyteStateMessageSerializer = Serializer(AirbyteStateMessage)
AirbyteMessageSerializer = Serializer(AirbyteMessage)
ConfiguredAirbyteCatalogSerializer = Serializer(ConfiguredAirbyteCatalog)
ConfiguredAirbyteStreamSerializer = Serializer(ConfiguredAirbyteStream)
ConnectorSpecificationSerializer = Serializer(ConnectorSpecification)
