"""Streams: what a source reads, one named collection of records at a time.

A full-refresh stream implements :meth:`Stream.json_schema` and :meth:`Stream.read`::

    class Products(Stream):
        name = "products"
        primary_key = [["id"]]

        def json_schema(self):
            return {"type": "object", "properties": {"id": {"type": "integer"}}}

        def read(self, stream_slice):
            yield from api.list_products()

An incremental stream also declares a cursor and a typed state (a pydantic model), starts from
``self.state`` and moves it forward as it yields; the runtime sets ``state`` from ``--state`` before reading
and saves it at every checkpoint::

    class UsersState(pydantic.BaseModel):
        updated_at: str | None = None

    class Users(IncrementalStream[UsersState]):
        name = "users"
        cursor_field = "updated_at"
        state_model = UsersState

        def read(self, stream_slice):
            for user in api.users(since=self.state.updated_at):   # sorted by updated_at
                self.state = UsersState(updated_at=user["updated_at"])
                yield user   # after the state: a checkpoint may follow as soon as the runtime has it

A record is a dict, or an :class:`orjson.Fragment` holding one JSON object already serialised (the fast
path for generated data); a stream that builds whole RECORD lines itself (from Arrow, say) overrides
:meth:`Stream.read_lines` instead. Checkpoints come at the end of every slice of :meth:`Stream.slices` and,
when ``checkpoint_interval`` is set, every that many records (so records must come in cursor order).

Slices that can be read at the same time (``concurrent_slices = True``) are read by a pool of workers when
the source's concurrency level is above 1 (:mod:`airbyte_dest_kit.sources.concurrent`). Such a stream's
``read`` must not move its state: :meth:`Stream.close_slice` does, called in slice order once every record
of that slice and of the slices before it is out, and the checkpoint that follows covers exactly them::

    class Orders(IncrementalStream[OrdersState]):
        concurrent_slices = True

        def slices(self):
            yield from day_windows(since=self.state.day)

        def read(self, stream_slice):
            yield from api.orders(day=stream_slice["day"])

        def close_slice(self, stream_slice):
            self.state = OrdersState(day=stream_slice["day"])
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar

import orjson
import pydantic

from airbyte_dest_kit.errors import ConfigError

Record: TypeAlias = "Mapping[str, Any] | orjson.Fragment"
StreamSlice: TypeAlias = "Mapping[str, Any] | None"
StateT = TypeVar("StateT", bound=pydantic.BaseModel)


@dataclass(frozen=True)
class RecordLines:
    """Records a stream serialised itself: ``count`` complete RECORD lines (each ending in a newline), every
    one starting with the ``prefix`` that :meth:`Stream.read_lines` was given."""

    block: bytes | memoryview
    count: int


class Stream(abc.ABC):
    """A full-refresh stream. Subclasses set ``name`` and implement ``json_schema`` and ``read``."""

    name: ClassVar[str]
    namespace: str | None = None
    primary_key: ClassVar[list[list[str]] | None] = None
    cursor_field: ClassVar[str | None] = None
    checkpoint_interval: ClassVar[int | None] = None
    concurrent_slices: ClassVar[bool] = False
    """Whether slices may be read at the same time by several workers (see the module docstring)."""
    min_seconds_between_states: ClassVar[float] = 0.0
    """Slice-end checkpoints closer together than this are merged into the next one (the last one always
    comes): a stream of many small slices with a large state (a file history) would flood the platform."""

    @abc.abstractmethod
    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of one record (a JSON object)."""

    def slices(self) -> Iterable[StreamSlice]:
        """The parts the stream is read in; a checkpoint follows each. One slice (``None``) by default."""
        return (None,)

    @abc.abstractmethod
    def read(self, stream_slice: StreamSlice) -> Iterable[Record]:
        """The records of one slice."""

    def read_lines(self, stream_slice: StreamSlice, prefix: bytes) -> Iterable[RecordLines] | None:
        """The records of one slice as complete lines, each ``prefix + <data JSON> + b"}}\\n"``: the bulk
        path for streams that serialise many records at once. ``None`` (the default): use :meth:`read`."""
        return None

    def interval_checkpoint_due(self) -> bool:
        """Whether the checkpoint that ``checkpoint_interval`` records call for is taken now; when not, the
        next one is due ``checkpoint_interval`` records later (airbyte-cdk style streams skip it while their
        state is still empty)."""
        return True

    def close_slice(self, stream_slice: StreamSlice) -> None:
        """Every record of ``stream_slice`` and of the slices before it is out: move the state past it.
        Called in slice order, on the thread that writes the output, before the checkpoint that follows."""

    def use_catalog_schema(self, json_schema: Mapping[str, Any]) -> None:
        """The schema the configured catalog gives this stream, before it is read (a stream that checks or
        types its records against it keeps it); ignored by default."""

    def load_state(self, stream_state: Mapping[str, Any] | None) -> None:
        """Resume from a saved state. Full-refresh streams keep none."""

    def dump_state(self) -> dict[str, Any]:
        """The state that covers every record yielded so far."""
        return {}

    def as_airbyte_stream(self) -> dict[str, Any]:
        """This stream as ``discover`` lists it; incremental is offered when there is a cursor."""
        stream: dict[str, Any] = {
            "name": self.name,
            "json_schema": self.json_schema(),
            "supported_sync_modes": ["full_refresh", "incremental"] if self.cursor_field else ["full_refresh"],
            "is_resumable": self.cursor_field is not None,
        }
        if self.cursor_field:
            stream["source_defined_cursor"] = True
            stream["default_cursor_field"] = [self.cursor_field]
        if self.primary_key:
            stream["source_defined_primary_key"] = self.primary_key
        if self.namespace is not None:
            stream["namespace"] = self.namespace
        return stream


class IncrementalStream(Stream, Generic[StateT]):
    """A stream that resumes from a typed state. Set ``cursor_field`` and ``state_model``.

    ``state`` starts as ``state_model()`` (read everything) unless a saved state is loaded; ``read`` must keep
    it covering exactly the records yielded so far.
    """

    cursor_field: ClassVar[str]
    state_model: type[StateT]

    def __init__(self) -> None:
        self.state: StateT = self.state_model()

    def load_state(self, stream_state: Mapping[str, Any] | None) -> None:
        if not stream_state:
            self.state = self.state_model()
            return
        try:
            self.state = self.state_model.model_validate(stream_state)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise ConfigError(
                f"stream {self.name!r}: saved state is invalid at {where}: {first['msg']}; "
                "fix or drop the state to read from the start",
                stream=self.name,
            ) from None

    def dump_state(self) -> dict[str, Any]:
        return self.state.model_dump(mode="json", exclude_none=True)
