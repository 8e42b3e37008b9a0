"""Small in-memory streams, a source around them, and the configured catalogs to read them with."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pydantic

from airbyte_dest_kit.sources import IncrementalStream, Record, Source, Stream, StreamSlice

SPEC = {
    "connectionSpecification": {
        "type": "object",
        "required": ["api_key"],
        "properties": {
            "api_key": {"type": "string", "airbyte_secret": True, "pattern": "^sk-"},
            "nested": {"type": "object", "properties": {"password": {"type": "string", "airbyte_secret": True}}},
        },
    }
}


class CounterState(pydantic.BaseModel):
    last_id: int = 0


class Numbers(IncrementalStream[CounterState]):
    """Ids ``last_id+1..total`` in slices of ``per_slice``; fails at ``fail_at`` when set."""

    cursor_field: ClassVar[str] = "id"
    primary_key: ClassVar[list[list[str]] | None] = [["id"]]
    state_model = CounterState

    def __init__(
        self, name: str, total: int, per_slice: int, *, fail_at: int | None = None, namespace: str | None = None
    ) -> None:
        super().__init__()
        self.name, self.total, self.per_slice, self.fail_at, self.namespace = name, total, per_slice, fail_at, namespace  # type: ignore[misc]

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {"id": {"type": "integer"}}}

    def slices(self) -> Iterator[StreamSlice]:
        for start in range(self.state.last_id + 1, self.total + 1, self.per_slice):
            yield {"start": start, "end": min(start + self.per_slice, self.total + 1)}

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        assert stream_slice is not None
        for i in range(stream_slice["start"], stream_slice["end"]):
            if i == self.fail_at:
                raise RuntimeError(f"boom at {i}")
            self.state = CounterState(last_id=i)
            yield {"id": i}


class Letters(Stream):
    name = "letters"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {"letter": {"type": "string"}}}

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        yield from ({"letter": letter} for letter in "abc")


def write_spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    return path


class FakeSource(Source):
    def __init__(self, spec_path: Path, make_streams: Callable[[Mapping[str, Any]], Sequence[Stream]]) -> None:
        super().__init__()
        self.spec_path = spec_path
        self.make_streams = make_streams

    def streams(self, config: Mapping[str, Any]) -> Sequence[Stream]:
        return self.make_streams(config)


def configured_catalog(streams: Sequence[tuple[str, str]], namespace: str | None = None) -> dict[str, Any]:
    """``[(name, sync_mode), ...]`` as a configured catalog."""
    entries = []
    for name, sync_mode in streams:
        stream: dict[str, Any] = {
            "name": name,
            "json_schema": {"type": "object"},
            "supported_sync_modes": ["full_refresh", "incremental"],
        }
        if namespace is not None:
            stream["namespace"] = namespace
        entries.append({"stream": stream, "sync_mode": sync_mode, "destination_sync_mode": "append"})
    return {"streams": entries}
