"""``airbyte_cdk.test.entrypoint_wrapper``: run a source's ``discover`` or ``read`` in-process, as the
platform would (config, catalog and state in JSON files, the kit's command line), and look at its output::

    output = read(SourceShop(), config, CatalogBuilder().with_stream("orders", SyncMode.incremental).build())
    assert len(output.records) == 3
    assert output.most_recent_state.stream_state == AirbyteStateBlob(updated_at="2024-01-02")

The output holds every message the command printed, LOG messages included; a failed command adds no
exception of its own: its TRACE ERROR is in ``errors``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from airbyte_dest_kit.cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    TraceType,
    Type,
)
from airbyte_dest_kit.cdk.models.airbyte_protocol_serializers import plain
from airbyte_dest_kit.cdk.sources.runtime import CdkSource, SourceRuntime
from airbyte_dest_kit.runtime.entrypoint import execute
from airbyte_dest_kit.sources.source import Source as KitSource


class AirbyteEntrypointException(Exception):
    """The errors of a run, raised by :meth:`EntrypointOutput.raise_if_errors`."""


class EntrypointOutput:
    def __init__(self, messages: Iterable[str], command: list[str] | None = None) -> None:
        self._command = command
        self._messages = [AirbyteMessage.model_validate_json(line) for line in messages if line.strip()]

    def get_message_by_types(self, message_types: list[Type], *, safe_iterator: bool = False) -> Any:
        found = (message for message in self._messages if message.type in message_types)
        return found if safe_iterator else list(found)

    def get_message_iterator(self) -> Iterator[AirbyteMessage]:
        return iter(self._messages)

    @property
    def records(self) -> list[AirbyteMessage]:
        return self.get_message_by_types([Type.RECORD])  # type: ignore[no-any-return]

    @property
    def records_iterator(self) -> Iterator[AirbyteMessage]:
        return self.get_message_by_types([Type.RECORD], safe_iterator=True)  # type: ignore[no-any-return]

    @property
    def state_messages(self) -> list[AirbyteMessage]:
        return self.get_message_by_types([Type.STATE])  # type: ignore[no-any-return]

    @property
    def records_and_state_messages(self) -> list[AirbyteMessage]:
        return self.get_message_by_types([Type.RECORD, Type.STATE])  # type: ignore[no-any-return]

    @property
    def spec_messages(self) -> list[AirbyteMessage]:
        return self.get_message_by_types([Type.SPEC])  # type: ignore[no-any-return]

    @property
    def connection_status_messages(self) -> list[AirbyteMessage]:
        return self.get_message_by_types([Type.CONNECTION_STATUS])  # type: ignore[no-any-return]

    @property
    def most_recent_state(self) -> Any:
        """The ``stream`` part (descriptor and state) of the last STATE message."""
        states = self.state_messages
        if not states:
            raise ValueError("Can't provide most recent state as there are no state messages.")
        return states[-1].state.stream

    @property
    def logs(self) -> list[AirbyteMessage]:
        return self.get_message_by_types([Type.LOG])  # type: ignore[no-any-return]

    @property
    def trace_messages(self) -> list[AirbyteMessage]:
        return self.get_message_by_types([Type.TRACE])  # type: ignore[no-any-return]

    def _traces(self, trace_type: TraceType) -> list[AirbyteMessage]:
        return [message for message in self.trace_messages if message.trace and message.trace.type == trace_type]

    @property
    def analytics_messages(self) -> list[AirbyteMessage]:
        return self._traces(TraceType.ANALYTICS)

    @property
    def errors(self) -> list[AirbyteMessage]:
        return self._traces(TraceType.ERROR)

    @property
    def catalog(self) -> AirbyteMessage:
        catalogs = self.get_message_by_types([Type.CATALOG])
        if len(catalogs) != 1:
            raise ValueError(f"Expected exactly one catalog but got {len(catalogs)}")
        return catalogs[0]

    def get_stream_statuses(self, stream_name: str) -> list[AirbyteStreamStatus]:
        return [
            message.trace.stream_status.status
            for message in self._traces(TraceType.STREAM_STATUS)
            if message.trace and message.trace.stream_status
            if message.trace.stream_status.stream_descriptor.name == stream_name
        ]

    def get_formatted_error_message(self) -> str:
        if not self.errors:
            return ""
        command = ": " + " ".join(self._command) if self._command else "."
        details = [str(error.trace.error) for error in self.errors if error.trace]
        return "\n".join([f"Failed to run airbyte command{command}", *details])

    def as_exception(self) -> AirbyteEntrypointException:
        return AirbyteEntrypointException(self.get_formatted_error_message())

    def raise_if_errors(self) -> None:
        if self.errors:
            raise self.as_exception()

    def is_in_logs(self, pattern: str) -> bool:
        return any(re.search(pattern, log.log.message, flags=re.IGNORECASE) for log in self.logs if log.log)

    def is_not_in_logs(self, pattern: str) -> bool:
        return not self.is_in_logs(pattern)


def _run_command(source: CdkSource | KitSource, args: list[str], *_: Any, **__: Any) -> EntrypointOutput:
    """Run one command of ``source`` (an ``AbstractSource`` or a kit source) and parse what it printed.
    airbyte-cdk's ``expecting_exception`` / ``expected_outcome`` are accepted: a failure is in the output."""
    connector = source if isinstance(source, KitSource) else SourceRuntime(source)
    airbyte_logger = logging.getLogger("airbyte")  # the run points it at its own output: put it back after
    saved = (airbyte_logger.handlers[:], airbyte_logger.level, airbyte_logger.propagate)
    stdout = io.BytesIO()
    try:
        execute(connector, args, stdout)
    finally:
        airbyte_logger.handlers[:], airbyte_logger.level, airbyte_logger.propagate = saved
    return EntrypointOutput(stdout.getvalue().decode().splitlines(), command=args)


def make_file(path: Path, file_contents: str | Mapping[str, Any] | list[Any]) -> str:
    path.write_text(file_contents if isinstance(file_contents, str) else json.dumps(plain(file_contents)))
    return str(path)


def discover(source: CdkSource | KitSource, config: Mapping[str, Any], *args: Any, **kwargs: Any) -> EntrypointOutput:
    with tempfile.TemporaryDirectory() as folder:
        config_file = make_file(Path(folder) / "config.json", config)
        return _run_command(source, ["discover", "--config", config_file])


def read(
    source: CdkSource | KitSource,
    config: Mapping[str, Any],
    catalog: ConfiguredAirbyteCatalog | Mapping[str, Any],
    state: list[AirbyteStateMessage] | list[Mapping[str, Any]] | None = None,
    *args: Any,
    **kwargs: Any,
) -> EntrypointOutput:
    with tempfile.TemporaryDirectory() as folder:
        argv = ["read", "--config", make_file(Path(folder) / "config.json", config)]
        argv += ["--catalog", make_file(Path(folder) / "catalog.json", plain(catalog))]
        if state is not None:
            argv += ["--state", make_file(Path(folder) / "state.json", plain(list(state)))]
        return _run_command(source, argv)
