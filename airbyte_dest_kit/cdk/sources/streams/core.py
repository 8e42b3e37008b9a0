"""airbyte-cdk's ``Stream`` and ``IncrementalMixin``, read by the kit's reader through
:class:`~airbyte_dest_kit.cdk.sources.runtime.StreamRuntime`."""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TypeAlias

from airbyte_dest_kit.cdk.connector import load_stream_schema
from airbyte_dest_kit.cdk.logger import AirbyteLogger
from airbyte_dest_kit.cdk.models import AirbyteMessage, SyncMode
from airbyte_dest_kit.cdk.sources.utils.transform import TransformConfig, TypeTransformer
from airbyte_dest_kit.sources.events import SourceEvents

StreamData: TypeAlias = Mapping[str, Any] | AirbyteMessage


def camel_to_snake(name: str) -> str:
    """``CustomerOrders`` → ``customer_orders``, ``HTTPLogs`` → ``http_logs``: the default stream name."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Stream(abc.ABC):
    """A stream: implement ``primary_key`` and :meth:`read_records`; the name is the class name in snake_case
    and the schema ``schemas/<name>.json`` unless overridden."""

    namespace: str | None = None
    source_defined_cursor = True
    state_checkpoint_interval: int | None = None
    events: SourceEvents | None = None  # set by the runtime: where rate limits are reported
    transformer = TypeTransformer(TransformConfig.NoTransform)
    """Casts the records the stream yields as mappings to its schema's types (see ``sources.utils.transform``)."""

    @property
    def name(self) -> str:
        return camel_to_snake(type(self).__name__)

    @property
    def logger(self) -> AirbyteLogger:
        return AirbyteLogger(f"airbyte.streams.{self.name}")

    @property
    @abc.abstractmethod
    def primary_key(self) -> str | list[str] | list[list[str]] | None:
        """The primary key: a field, a list of fields, a list of field paths, or ``None``."""

    @property
    def cursor_field(self) -> str | list[str]:
        """The cursor of an incremental stream (a field or a path); none by default."""
        return []

    @property
    def supports_incremental(self) -> bool:
        return bool(self.cursor_field)

    def get_json_schema(self) -> Mapping[str, Any]:
        return load_stream_schema(type(self), self.name)

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any] | None]:
        return [None]

    @abc.abstractmethod
    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        """The records of one slice."""

    def get_updated_state(
        self, current_stream_state: MutableMapping[str, Any], latest_record: Mapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Deprecated in airbyte-cdk in favour of :class:`IncrementalMixin`: the state after ``latest_record``."""
        return current_stream_state


class CheckpointMixin(abc.ABC):
    """A stream that keeps its own ``state``: the runtime sets it before reading and saves it at checkpoints."""

    @property
    @abc.abstractmethod
    def state(self) -> MutableMapping[str, Any]:
        """The state covering every record read so far."""

    @state.setter
    @abc.abstractmethod
    def state(self, value: MutableMapping[str, Any]) -> None:
        """Resume from ``value``."""


class IncrementalMixin(CheckpointMixin, abc.ABC):
    """An incremental stream keeping its own ``state`` (a ``cursor_field`` and the ``state`` property)."""
