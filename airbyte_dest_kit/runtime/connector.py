"""What destinations and sources share: the spec, config loading and validation, logging to stdout.

Config problems are :class:`ConfigError` naming the file and the key, so the user knows what to edit.
"""

from __future__ import annotations

import abc
import argparse
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.models import AirbyteConnectionStatus
from airbyte_dest_kit.runtime.config import read_json_file, validate_config
from airbyte_dest_kit.runtime.secrets import SHORT_SECRET, mask_secrets, secret_values
from airbyte_dest_kit.runtime.spec_file import find_spec_file, read_spec_file


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
