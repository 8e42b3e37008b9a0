"""airbyte-cdk's module paths, run by the kit: port a connector by changing ``airbyte_cdk`` to
``airbyte_dest_kit.cdk`` in its imports.

What guides and Airbyte's own connectors use is here: ``destinations.Destination``, ``sources.AbstractSource``,
``sources.streams.Stream`` / ``IncrementalMixin``, ``sources.streams.http.HttpStream``,
``…http.requests_native_auth.TokenAuthenticator``, ``entrypoint.launch``, ``models`` (and
``models.airbyte_protocol``, ``models.airbyte_protocol_serializers``), ``AirbyteLogger``,
``utils.AirbyteTracedException``, with ``spec.yaml`` or ``spec.json`` and ``schemas/<stream>.json`` in the
connector's package; and what their tests use, in ``test`` (``entrypoint_wrapper``, ``catalog_builder``,
``state_builder``, ``mock_http``). The connector then gets the
kit's behaviour (:mod:`airbyte_dest_kit.cdk.sources.runtime` for sources,
:class:`~airbyte_dest_kit.cdk.destinations.destination.DestinationRuntime` for destinations). HTTP names
are imported on first use (they need the ``http`` extra).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AirbyteLogger": "airbyte_dest_kit.cdk.logger",
    "Destination": "airbyte_dest_kit.cdk.destinations",
    "AbstractSource": "airbyte_dest_kit.cdk.sources",
    "Stream": "airbyte_dest_kit.cdk.sources.streams",
    "IncrementalMixin": "airbyte_dest_kit.cdk.sources.streams",
    "HttpStream": "airbyte_dest_kit.cdk.sources.streams.http",
    "TokenAuthenticator": "airbyte_dest_kit.cdk.sources.streams.http.requests_native_auth",
    "BasicHttpAuthenticator": "airbyte_dest_kit.cdk.sources.streams.http.requests_native_auth",
    "launch": "airbyte_dest_kit.cdk.entrypoint",
    "AirbyteTracedException": "airbyte_dest_kit.cdk.utils",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """The names above, and any protocol model (airbyte-cdk exports those at the top level too)."""
    module = _EXPORTS.get(name, "airbyte_dest_kit.cdk.models")
    return getattr(importlib.import_module(module), name)
