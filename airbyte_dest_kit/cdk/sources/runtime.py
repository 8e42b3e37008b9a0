"""The adapters that run airbyte-cdk style sources on the kit's runtime: :class:`SourceRuntime` wraps an
``AbstractSource`` in the kit's :class:`~airbyte_dest_kit.sources.source.Source`, and :class:`StreamRuntime`
each of its streams, so the kit's reader does the work: config validation naming the key, secrets masked,
stream statuses, states after the records they cover, ``sourceStats``, per-stream failures, a non-zero exit
when a command fails.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, cast

from airbyte_dest_kit.cdk.connector import spec_as_dict
from airbyte_dest_kit.cdk.logger import AirbyteLogger
from airbyte_dest_kit.cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    FailureType,
    SyncMode,
    Type,
)
from airbyte_dest_kit.cdk.models.airbyte_protocol_serializers import plain
from airbyte_dest_kit.cdk.sources.streams.core import IncrementalMixin, Stream, StreamData
from airbyte_dest_kit.cdk.utils.traced_exception import AirbyteTracedException
from airbyte_dest_kit.errors import ConnectorError
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.stream_keys import StreamKey
from airbyte_dest_kit.runtime.secrets import mask_secrets
from airbyte_dest_kit.sources.source import Source as KitSource
from airbyte_dest_kit.sources.state import SavedState, parse_state
from airbyte_dest_kit.sources.stream import Record, StreamSlice
from airbyte_dest_kit.sources.stream import Stream as KitStream


class CdkSource(Protocol):
    """What the runtime uses of an airbyte-cdk style ``AbstractSource``."""

    def spec(self, logger: Any = None) -> ConnectorSpecification | dict[str, Any]: ...

    def check(self, logger: Any, config: Mapping[str, Any]) -> AirbyteConnectionStatus: ...

    def streams(self, config: Mapping[str, Any]) -> list[Stream]: ...


class SourceRuntime(KitSource):
    """A kit source whose spec, check and streams are the airbyte-cdk style ``AbstractSource``'s."""

    def __init__(self, connector: CdkSource) -> None:
        super().__init__()
        self.connector = connector
        self.sync_modes: dict[StreamKey, SyncMode] = {}

    def spec(self) -> dict[str, Any]:
        return spec_as_dict(self.connector.spec(AirbyteLogger()))

    def check(self, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        return self.connector.check(AirbyteLogger(), config)

    def streams(self, config: Mapping[str, Any]) -> Sequence[KitStream]:
        streams = self.connector.streams(config)
        for stream in streams:
            stream.events = self.events  # HTTP streams report rate limits through the kit's events
        return [StreamRuntime(stream, self.sync_modes, self.masked) for stream in streams]

    def masked(self, text: str) -> str:
        return mask_secrets(text, self.secrets)

    def concurrency_level(self, config: Mapping[str, Any]) -> int:
        """The connector's ``concurrency_level`` attribute (a kit extension: airbyte-cdk has no such hook
        on ``AbstractSource``); 1, sequential, when it has none. Only full-refresh reads use it."""
        level: int = getattr(self.connector, "concurrency_level", 1)
        return level

    def read_catalog(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, saved: SavedState, out: MessageWriter
    ) -> None:
        for configured in catalog.streams:  # airbyte-cdk streams are told their sync mode; the kit's are not
            self.sync_modes[(configured.stream.namespace, configured.stream.name)] = configured.sync_mode
        super().read_catalog(config, catalog, saved, out)

    def catalog(self, config: Mapping[str, Any]) -> AirbyteCatalog:
        """What ``discover`` prints, as airbyte-cdk's ``AbstractSource.discover`` returns it."""
        streams = [stream.as_airbyte_stream() for stream in self.streams(config)]
        return AirbyteCatalog.model_validate({"streams": streams})

    def messages(
        self,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog | Mapping[str, Any],
        state: Iterable[Any] | Mapping[str, Any] | None,
    ) -> Iterator[AirbyteMessage]:
        """What ``read`` prints, as airbyte-cdk's ``AbstractSource.read`` yields it: the messages, once the read
        is over; then, if a stream failed, an ``AirbyteTracedException`` saying which."""
        configured = ConfiguredAirbyteCatalog.model_validate(plain(catalog))
        saved = parse_state(plain(list(state) if not isinstance(state, Mapping) else state)) if state else SavedState()
        output = io.BytesIO()
        failure: ConnectorError | None = None
        try:
            self.read_catalog(config, configured, saved, MessageWriter(output))
        except ConnectorError as exc:
            failure = exc
        for line in output.getvalue().splitlines():
            yield AirbyteMessage.model_validate_json(line)
        if failure is not None:  # as airbyte-cdk raises it, once every stream had its turn
            raise AirbyteTracedException(
                message=failure.message, failure_type=FailureType(failure.failure_type)
            ) from failure


def wrapped_key(key: str | Sequence[str] | Sequence[Sequence[str]] | None) -> list[list[str]] | None:
    """airbyte-cdk's primary key forms (``"id"``, ``["a", "b"]``, ``[["a"], ["b", "c"]]``) as paths."""
    if not key:
        return None
    if isinstance(key, str):
        return [[key]]
    return [[part] if isinstance(part, str) else list(part) for part in key]


class StreamRuntime(KitStream):
    """An airbyte-cdk style stream read by the kit's reader.

    Its state is the stream's ``state`` property when it has one (``IncrementalMixin``), else the running
    result of the deprecated ``get_updated_state(state, record)``.
    """

    def __init__(
        self, stream: Stream, sync_modes: Mapping[StreamKey, SyncMode], masked: Callable[[str], str] = str
    ) -> None:
        super().__init__()
        self.stream = stream
        self._masked = masked  # what a LOG message the stream yields may show
        self._sync_modes = sync_modes
        self._legacy_state: dict[str, Any] = {}
        self._has_state_property = isinstance(getattr(type(stream), "state", None), property)
        self._transform: Callable[[dict[str, Any]], None] | None = None

    # The kit's streams declare these on the class; here they are read from the wrapped stream.
    @property
    def name(self) -> str:  # type: ignore[override]
        return str(self.stream.name)

    @property
    def namespace(self) -> str | None:  # type: ignore[override]
        namespace: str | None = self.stream.namespace
        return namespace

    @property
    def primary_key(self) -> list[list[str]] | None:  # type: ignore[override]
        return wrapped_key(self.stream.primary_key)

    @property
    def cursor_path(self) -> list[str]:
        cursor = self.stream.cursor_field
        return [cursor] if isinstance(cursor, str) else list(cursor or [])

    @property
    def cursor_field(self) -> str | None:  # type: ignore[override]
        return ".".join(self.cursor_path) or None

    @property
    def checkpoint_interval(self) -> int | None:  # type: ignore[override]
        interval: int | None = self.stream.state_checkpoint_interval
        return interval

    def json_schema(self) -> dict[str, Any]:
        return dict(self.stream.get_json_schema())

    def as_airbyte_stream(self) -> dict[str, Any]:
        stream = super().as_airbyte_stream()
        if self.cursor_path:
            stream["default_cursor_field"] = self.cursor_path
            stream["source_defined_cursor"] = bool(self.stream.source_defined_cursor)
        return stream

    @property
    def concurrent_slices(self) -> bool:  # type: ignore[override]
        # A full refresh keeps no state, so its slices can be read at once; an incremental airbyte-cdk stream
        # moves its state while it reads (get_updated_state, IncrementalMixin) and is read in order.
        return bool(self.sync_mode == SyncMode.full_refresh)

    @property
    def sync_mode(self) -> SyncMode:
        return self._sync_modes.get((self.namespace, self.name), SyncMode.full_refresh)

    def current_state(self) -> dict[str, Any]:
        return dict(cast(IncrementalMixin, self.stream).state) if self._has_state_property else self._legacy_state

    def load_state(self, stream_state: Mapping[str, Any] | None) -> None:
        if self._has_state_property:
            cast(IncrementalMixin, self.stream).state = dict(stream_state or {})
        else:
            self._legacy_state = dict(stream_state or {})

    def dump_state(self) -> dict[str, Any]:
        return self.current_state()

    def slices(self) -> Iterable[StreamSlice]:
        return self.stream.stream_slices(
            sync_mode=self.sync_mode, cursor_field=self.cursor_path, stream_state=self.current_state()
        )

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        records = self.stream.read_records(
            sync_mode=self.sync_mode,
            cursor_field=self.cursor_path,
            stream_slice=stream_slice,
            stream_state=self.current_state(),
        )
        transformer = self.stream.transformer
        if not transformer.does_nothing:  # the stream's own schema, as airbyte-cdk casts by it
            self._transform = functools.partial(transformer.transform, schema=self.json_schema())
        for item in records:
            data = self._record_data(item)
            if data is None:
                continue
            if not self._has_state_property and self.sync_mode == SyncMode.incremental:
                self._legacy_state = dict(self.stream.get_updated_state(self._legacy_state, data))
            yield data

    def _record_data(self, item: StreamData | AirbyteTraceMessage | AirbyteLogMessage) -> dict[str, Any] | None:
        """A record's data. What else a stream may yield goes out as airbyte-cdk sends it: a bare trace
        (an estimate) as a TRACE, a bare log as a LOG (secrets masked), any other message as it is."""
        if isinstance(item, AirbyteTraceMessage):
            item = AirbyteMessage(type=Type.TRACE, trace=item)
        elif isinstance(item, AirbyteLogMessage):
            item = AirbyteMessage(type=Type.LOG, log=item)
        if not isinstance(item, AirbyteMessage):  # a mapping: the stream's transformer casts it
            data = dict(item)
            if self._transform is not None:
                self._transform(data)
            return data
        if item.type == Type.RECORD and item.record is not None:
            return dict(item.record.data)
        if item.type == Type.LOG and item.log is not None:
            log = AirbyteLogMessage(level=item.log.level, message=self._masked(item.log.message))
            item = AirbyteMessage(type=Type.LOG, log=log)
        if self.stream.events is not None:  # in order with the records around it
            self.stream.events.message(plain(item))
        return None

    def interval_checkpoint_due(self) -> bool:
        # airbyte-cdk skips a checkpoint while the state is still empty
        return bool(self.current_state())
