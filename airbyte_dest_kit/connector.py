"""What destinations and sources share: the spec, config loading and validation, logging to stdout.

Config problems are :class:`ConfigError` naming the file and the key, so the user knows what to edit.
"""

from __future__ import annotations

import abc
import argparse
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import orjson

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.codec import MessageWriter


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


def secret_values(spec: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """Every config value whose schema property is marked ``airbyte_secret`` (at any depth)."""
    found: list[str] = []

    def walk(schema: Any, value: Any) -> None:
        if not isinstance(schema, dict):
            return
        if schema.get("airbyte_secret") and isinstance(value, (str, int, float)) and str(value):
            found.append(str(value))
        for variant in schema.get("oneOf", []) + schema.get("anyOf", []):
            walk(variant, value)
        if isinstance(value, dict):
            for key, sub in schema.get("properties", {}).items():
                if key in value:
                    walk(sub, value[key])

    walk(spec.get("connectionSpecification", {}), config)
    return found


class _StdoutLogHandler(logging.Handler):
    """Sends log records to stdout as LOG messages, with secrets masked."""

    LEVELS = {"CRITICAL": "FATAL", "WARNING": "WARN"}

    def __init__(self, out: MessageWriter) -> None:
        super().__init__()
        self.out = out
        self.secrets: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        for secret in self.secrets:
            text = text.replace(secret, "****")
        level = self.LEVELS.get(record.levelname, record.levelname)
        self.out.write({"type": "LOG", "log": {"level": level, "message": text}})


class Connector(abc.ABC):
    """Base of :class:`Destination` and :class:`Source`.

    ``spec()`` reads ``spec.json`` from the connector's folder (the folder of the module that defines the
    subclass, or ``spec_path`` when set), so a connector is a folder with ``main.py`` and ``spec.json``.
    """

    spec_path: Path | None = None

    def __init__(self) -> None:
        self.logger = logging.getLogger(f"airbyte.{type(self).__name__}")
        self._log_handler: _StdoutLogHandler | None = None

    def spec(self) -> dict[str, Any]:
        path = self.spec_path or Path(sys.modules[type(self).__module__].__file__ or ".").parent / "spec.json"
        spec = read_json_file(str(path), "spec")
        if not isinstance(spec, dict) or "connectionSpecification" not in spec:
            raise ConfigError(f"spec file {path} must hold an object with 'connectionSpecification'")
        return spec

    def check(self, config: Mapping[str, Any]) -> None:
        """Raise a :class:`ConnectorError` saying what to fix when ``config`` cannot be used."""

    def load_config(self, path: str) -> dict[str, Any]:
        spec = self.spec()
        config = validate_config(read_json_file(path, "config"), spec)
        if self._log_handler is not None:
            self._log_handler.secrets = secret_values(spec, config)
        return config

    @abc.abstractmethod
    def add_commands(self, commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        """Add this kind of connector's commands (``write`` or ``discover`` / ``read``)."""

    @abc.abstractmethod
    def run_command(self, args: argparse.Namespace, out: MessageWriter) -> None:
        """Run a command added by :meth:`add_commands`."""
