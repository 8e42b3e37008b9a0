"""``airbyte_cdk.models.airbyte_protocol``: every protocol model, as ``airbyte_cdk.models`` has them.

The models are the kit's pydantic ones; ``AirbyteStateBlob`` also takes a mapping positionally, as
airbyte-cdk's dataclass does (``AirbyteStateBlob({"updated_at": "…"})``), and compares by content with any
state blob.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from airbyte_protocol.models import AirbyteStateBlob as ProtocolStateBlob

from airbyte_dest_kit.protocol.models import *  # noqa: F403 - exactly the kit's protocol models, by their __all__
from airbyte_dest_kit.protocol.models import __all__ as _kit_models

__all__ = [*_kit_models, "AirbyteStateBlob"]


class AirbyteStateBlob(ProtocolStateBlob):  # type: ignore[misc]  # airbyte_protocol is untyped
    def __init__(self, *mappings: Mapping[str, Any], **values: Any) -> None:
        merged: dict[str, Any] = {}
        for mapping in mappings:
            merged.update(mapping)
        super().__init__(**merged, **values)

    def __eq__(self, other: object) -> bool:
        # A blob read back from a message is the protocol's class; equal when the content is.
        if not isinstance(other, ProtocolStateBlob):
            return NotImplemented
        return (self.__pydantic_extra__ or {}) == (other.__pydantic_extra__ or {})


def __getattr__(name: str) -> Any:
    """Any other model of ``airbyte_protocol.models`` (``AirbyteEstimateTraceMessage``, ``EstimateType``…)."""
    models = importlib.import_module("airbyte_protocol.models")
    if name.startswith("_") or not hasattr(models, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(models, name)
