"""A source of generated shop data: ``users`` (the main stream), ``purchases`` and ``products``.

Same config, same bytes (``emitted_at`` aside, or pinned with ``emitted_at_ms``). ``users`` and
``purchases`` have ``count`` records with ids ``1..count`` whose ``updated_at`` grows with the id, so an
incremental read resumed from a saved state returns exactly the ids added since (raise ``count`` to add
some). Used by the demo and the benchmarks::

    python sources/source-sample/main.py read --config sample_files/config.json \\
        --catalog sample_files/configured_catalog.json > messages.jsonl
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import pydantic

from airbyte_dest_kit.connectors.source_sample.sample_data import SampleData
from airbyte_dest_kit.sources import IncrementalStream, Record, Source, StreamSlice

TIMESTAMP = {"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"}
ADDRESS = {
    "type": ["null", "object"],
    "properties": {
        key: {"type": ["null", "string"]}
        for key in ("street_number", "street_name", "city", "postal_code", "country_code")
    },
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "users": {
        "id": {"type": "integer"},
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "name": {"type": ["null", "string"]},
        "title": {"type": ["null", "string"]},
        "age": {"type": ["null", "integer"]},
        "email": {"type": ["null", "string"]},
        "telephone": {"type": ["null", "string"]},
        "language": {"type": ["null", "string"]},
        "occupation": {"type": ["null", "string"]},
        "height": {"type": ["null", "number"]},
        "address": ADDRESS,
        "tags": {"type": ["null", "array"], "items": {"type": "string"}},
    },
    "purchases": {
        "id": {"type": "integer"},
        "user_id": {"type": "integer"},
        "product_id": {"type": "integer"},
        "quantity": {"type": "integer"},
        "unit_price": {"type": "number"},
        "total": {"type": "number"},
        "currency": {"type": "string"},
        "status": {"type": "string"},
        "purchased_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "products": {
        "id": {"type": "integer"},
        "make": {"type": "string"},
        "model": {"type": "string"},
        "name": {"type": "string"},
        "category": {"type": "string"},
        "price": {"type": "number"},
        "sku": {"type": "string"},
        "in_stock": {"type": "boolean"},
        "updated_at": TIMESTAMP,
    },
}


class CursorState(pydantic.BaseModel):
    updated_at: str | None = None


class GeneratedStream(IncrementalStream[CursorState]):
    """Ids ``1..count`` read in slices of ``records_per_slice``; the state is the last ``updated_at`` read."""

    primary_key: ClassVar[list[list[str]] | None] = [["id"]]
    cursor_field: ClassVar[str] = "updated_at"
    state_model = CursorState

    def __init__(self, data: SampleData, count: int, records_per_slice: int) -> None:
        super().__init__()
        self.data, self.count, self.records_per_slice = data, count, records_per_slice

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": SCHEMAS[self.name]}

    def slices(self) -> Iterator[StreamSlice]:
        first = 1 + (SampleData.last_id_at(self.state.updated_at) if self.state.updated_at else 0)
        for start in range(first, self.count + 1, self.records_per_slice):
            yield {"first_id": start, "end_id": min(start + self.records_per_slice, self.count + 1)}

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        assert stream_slice is not None
        yield from self.generate(stream_slice["first_id"], stream_slice["end_id"])
        self.state = CursorState(updated_at=self.data.timestamp(stream_slice["end_id"] - 1))

    @abc.abstractmethod
    def generate(self, first_id: int, end_id: int) -> Iterator[Record]:
        """Records ``first_id`` ≤ id < ``end_id``, in id order."""


class Users(GeneratedStream):
    name = "users"

    def generate(self, first_id: int, end_id: int) -> Iterator[Record]:
        return self.data.users(first_id, end_id)


class Purchases(GeneratedStream):
    name = "purchases"

    def generate(self, first_id: int, end_id: int) -> Iterator[Record]:
        return self.data.purchases(first_id, end_id)


class Products(IncrementalStream[CursorState]):
    """A fixed catalogue per seed; incremental reads after the first return nothing."""

    name = "products"
    primary_key: ClassVar[list[list[str]] | None] = [["id"]]
    cursor_field: ClassVar[str] = "updated_at"
    state_model = CursorState

    def __init__(self, data: SampleData) -> None:
        super().__init__()
        self.data = data

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": SCHEMAS[self.name]}

    def read(self, stream_slice: StreamSlice) -> Iterable[Record]:
        since = self.state.updated_at
        # ISO timestamps in one format and zone compare correctly as strings.
        fresh = [p for p in self.data.products if since is None or p["updated_at"] > since]
        yield from sorted(fresh, key=lambda product: product["updated_at"])
        if fresh:
            self.state = CursorState(updated_at=max(p["updated_at"] for p in fresh))


class SourceSample(Source):
    def streams(self, config: Mapping[str, Any]) -> Sequence[IncrementalStream[CursorState]]:
        count, per_slice = config["count"], config["records_per_slice"]
        data = SampleData(config["seed"], max_id=count)
        return [Users(data, count, per_slice), Purchases(data, count, per_slice), Products(data)]

    def emitted_at(self, config: Mapping[str, Any]) -> int | None:
        pinned = config.get("emitted_at_ms")
        return int(pinned) if pinned is not None else None
