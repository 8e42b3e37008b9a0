"""What destinations and sources share: the spec, config loading and validation, logging to stdout.

Config problems are :class:`ConfigError` naming the file and the key, so the user knows what to edit.
"""

from __future__ import annotations

import abc
import argparse
import logging
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pydantic

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.models import AirbyteConnectionStatus, ConfiguredAirbyteCatalog, DestinationSyncMode


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


MASK = "****"
# A secret this short also occurs inside ordinary words and numbers: masking every occurrence would turn every
# log line into asterisks (a one-character password masks half the alphabet), so it is masked only where it
# stands alone, not inside a longer run of letters, digits and underscores, and the connector says so in a WARN.
SHORT_SECRET = 4


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= SHORT_SECRET:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return text


def mask_trace(message: dict[str, Any], secrets: Iterable[str]) -> dict[str, Any]:
    """Mask every text field of a TRACE ERROR message in place; returns it."""
    payload = message["trace"]["error"]
    for key in ("message", "internal_message", "stack_trace"):
        if isinstance(payload.get(key), str):
            payload[key] = mask_secrets(payload[key], secrets)
    return message


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


class _StdoutLogHandler(logging.Handler):
    """Sends log records to stdout as LOG messages, with secrets masked."""

    LEVELS = {"CRITICAL": "FATAL", "WARNING": "WARN"}

    def __init__(self, out: MessageWriter, secrets: Callable[[], Iterable[str]]) -> None:
        super().__init__()
        self.out = out
        self._secrets = secrets

    def emit(self, record: logging.LogRecord) -> None:
        level = self.LEVELS.get(record.levelname, record.levelname)
        text = mask_secrets(self.format(record), self._secrets())
        self.out.write({"type": "LOG", "log": {"level": level, "message": text}})


class Connector(abc.ABC):
    """Base of :class:`Destination` and :class:`Source`.

    ``spec()`` reads ``spec.json`` (or ``spec.yaml``) from the connector's folder (the folder of the module
    that defines the subclass), or ``spec_path`` when set; so a connector is a folder with ``main.py`` and
    its spec file.
    """

    spec_path: Path | None = None

    def __init__(self) -> None:
        self.logger = logging.getLogger(f"airbyte.{type(self).__name__}")
        self.secrets: list[str] = []  # masked in every log line, status and error the connector prints
        self.out: MessageWriter | None = None  # stdout, set by ``launch`` before any command runs

    def add_secret(self, value: str) -> None:
        """Mask ``value`` from now on (config secrets are added by :meth:`load_config`; tokens obtained
        during a run should be added too)."""
        if value and value not in self.secrets:
            self.secrets.append(value)
            if len(value) < SHORT_SECRET:
                self.logger.warning(
                    "a secret of %d character(s) is masked only where it stands alone in a log line (masked "
                    "everywhere it would hide every line); use a longer secret",
                    len(value),
                )

    def spec(self) -> dict[str, Any]:
        from airbyte_dest_kit.spec_file import find_spec_file, read_spec_file  # it imports this module

        folder = Path(sys.modules[type(self).__module__].__file__ or ".").parent
        return read_spec_file(self.spec_path or find_spec_file([folder]))

    def check(self, config: Mapping[str, Any]) -> AirbyteConnectionStatus | None:
        """Raise a :class:`ConnectorError` saying what to fix when ``config`` cannot be used (or return an
        ``AirbyteConnectionStatus``, as airbyte-cdk connectors do: a FAILED one is reported as FAILED)."""
        return None

    def load_config(self, path: str) -> dict[str, Any]:
        spec = self.spec()
        raw = read_json_file(path, "config")
        if isinstance(raw, dict):  # before validation: its errors may quote the values
            for secret in secret_values(spec, raw):
                self.add_secret(secret)
        return validate_config(raw, spec)

    @abc.abstractmethod
    def add_commands(self, commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        """Add this kind of connector's commands (``write`` or ``discover`` / ``read``)."""

    @abc.abstractmethod
    def run_command(self, args: argparse.Namespace, out: MessageWriter) -> None:
        """Run a command added by :meth:`add_commands`."""
