"""``airbyte_cdk.test.catalog_builder``: configured catalogs for tests, with airbyte-cdk's defaults (a stream
named ``any name``, key ``id``, full refresh, overwrite)."""

from __future__ import annotations

import copy
from typing import Any

from airbyte_dest_kit.cdk.models import ConfiguredAirbyteCatalog, ConfiguredAirbyteStream, SyncMode


class ConfiguredAirbyteStreamBuilder:
    def __init__(self) -> None:
        self._stream: dict[str, Any] = {
            "stream": {
                "name": "any name",
                "json_schema": {},
                "supported_sync_modes": ["full_refresh", "incremental"],
                "source_defined_primary_key": [["id"]],
            },
            "primary_key": [["id"]],
            "sync_mode": "full_refresh",
            "destination_sync_mode": "overwrite",
        }

    def with_name(self, name: str) -> ConfiguredAirbyteStreamBuilder:
        self._stream["stream"]["name"] = name
        return self

    def with_sync_mode(self, sync_mode: SyncMode) -> ConfiguredAirbyteStreamBuilder:
        self._stream["sync_mode"] = SyncMode(sync_mode).value
        return self

    def with_primary_key(self, pk: list[list[str]]) -> ConfiguredAirbyteStreamBuilder:
        self._stream["primary_key"] = pk
        self._stream["stream"]["source_defined_primary_key"] = pk
        return self

    def with_json_schema(self, json_schema: dict[str, Any]) -> ConfiguredAirbyteStreamBuilder:
        self._stream["stream"]["json_schema"] = json_schema
        return self

    def build(self) -> ConfiguredAirbyteStream:
        return ConfiguredAirbyteStream.model_validate(copy.deepcopy(self._stream))


class CatalogBuilder:
    def __init__(self) -> None:
        self._streams: list[ConfiguredAirbyteStreamBuilder] = []

    def with_stream(
        self, name: str | ConfiguredAirbyteStreamBuilder, sync_mode: SyncMode | None = None
    ) -> CatalogBuilder:
        """A stream: a builder, or (as older tests do) a name and a sync mode."""
        if isinstance(name, ConfiguredAirbyteStreamBuilder):
            self._streams.append(name)
        else:
            self._streams.append(
                ConfiguredAirbyteStreamBuilder().with_name(name).with_sync_mode(sync_mode or SyncMode.full_refresh)
            )
        return self

    def build(self) -> ConfiguredAirbyteCatalog:
        return ConfiguredAirbyteCatalog(streams=[builder.build() for builder in self._streams])
