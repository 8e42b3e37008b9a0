"""Where an airbyte-cdk style connector keeps its files, found the way airbyte-cdk finds them.

airbyte-cdk reads ``spec.yaml`` / ``spec.json`` and ``schemas/<stream>.json`` from the top-level package of
the connector's class (``destination_kvdb/spec.json`` for ``destination_kvdb.destination.DestinationKvdb``).
We look in the folder of the class's module first, then in that top-level package, so a single-file
connector next to its spec works as well.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from airbyte_dest_kit.cdk.logger import AirbyteLogger
from airbyte_dest_kit.cdk.models import ConnectorSpecification
from airbyte_dest_kit.cdk.models.airbyte_protocol_serializers import ConnectorSpecificationSerializer
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.config import read_json_file
from airbyte_dest_kit.runtime.spec_file import find_spec_file, read_spec_file


def resource_folders(cls: type) -> list[Path]:
    """The folder of ``cls``'s module, then the folder of its top-level package."""
    folders: list[Path] = []
    for module_name in (cls.__module__, cls.__module__.split(".")[0]):
        module_file = getattr(sys.modules.get(module_name), "__file__", None)
        if module_file and Path(module_file).parent not in folders:
            folders.append(Path(module_file).parent)
    return folders


def load_stream_schema(cls: type, stream_name: str) -> dict[str, Any]:
    """``schemas/<stream_name>.json`` next to the stream's module or in its package."""
    for folder in resource_folders(cls):
        path = folder / "schemas" / f"{stream_name}.json"
        if path.is_file():
            schema = read_json_file(str(path), f"stream {stream_name!r} schema")
            if not isinstance(schema, dict):
                raise ConfigError(f"schema file {path} must hold a JSON object")
            return schema
    where = " or ".join(str(folder / "schemas") for folder in resource_folders(cls))
    raise ConfigError(f"stream {stream_name!r}: no {stream_name}.json in {where}; add it or override get_json_schema()")


class SpecFromPackage:
    """``spec(logger)`` of airbyte-cdk's connectors: the spec file of the connector's package."""

    logger: logging.Logger | logging.LoggerAdapter = AirbyteLogger()  # type: ignore[type-arg]

    def spec(self, logger: Any = None) -> ConnectorSpecification:
        spec = read_spec_file(find_spec_file(resource_folders(type(self))))
        return ConnectorSpecification.model_validate(spec)


def spec_as_dict(spec: ConnectorSpecification | dict[str, Any]) -> dict[str, Any]:
    """What the kit's runtime reads: the spec as a plain object, as airbyte-cdk 6 and 7 print it (with the
    protocol's defaults, ``supportsNormalization`` and ``supportsDBT`` false); an override may return either
    form."""
    if isinstance(spec, dict):
        return spec
    return ConnectorSpecificationSerializer.dump(spec)
