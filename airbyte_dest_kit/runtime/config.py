"""Reading what a connector is given: config and catalog files, validated, with errors naming the file and key.

Config problems are :class:`ConfigError` naming the file and the key, so the user knows what to edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pydantic

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteCatalog, DestinationSyncMode


def read_json_file(path: str, what: str) -> Any:
    try:
        return orjson.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"{what} file {path!r} does not exist") from None
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{what} file {path!r} is not valid JSON: {exc}") from None


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        parts += missing[:1]
    return ".".join(parts) or "(top level)"


def validate_config(config: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Apply top-level defaults from the spec, then validate; the error names the config key."""
    if not isinstance(config, dict):
        raise ConfigError("Config validation error: the config must be a JSON object")
    schema = spec.get("connectionSpecification", {})
    merged = dict(config)
    for key, prop in schema.get("properties", {}).items():
        if key not in merged and isinstance(prop, dict) and "default" in prop:
            merged[key] = prop["default"]
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(merged), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        key = _key_path(first)
        raise ConfigError(f"Config validation error: key '{key}': {first.message}. Fix it in your config file.")
    return merged


UNSUPPORTED_MODES = {DestinationSyncMode.update, DestinationSyncMode.soft_delete}


def load_catalog(path: str) -> ConfiguredAirbyteCatalog:
    """Read and validate a configured catalog; errors name the file and the offending stream/key."""
    raw = read_json_file(path, "catalog")
    try:
        catalog = ConfiguredAirbyteCatalog.model_validate(raw)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"catalog file {path!r} is not a valid configured catalog: {where}: {first['msg']}") from None
    seen: set[tuple[str | None, str]] = set()
    for configured in catalog.streams:
        stream = configured.stream
        key = (stream.namespace, stream.name)
        if key in seen:
            raise ConfigError(f"catalog lists stream {stream.name!r} (namespace {stream.namespace!r}) twice")
        seen.add(key)
        if configured.destination_sync_mode in UNSUPPORTED_MODES:
            raise ConfigError(
                f"stream {stream.name!r}: destination_sync_mode {configured.destination_sync_mode.value!r} is for "
                "data-activation destinations and is not supported; use append, overwrite or append_dedup"
            )
    return catalog
