"""An HTTP source over the local shop API (:mod:`airbyte_dest_kit.testing.http_api`), one stream per
pagination style: ``customers`` (cursor, incremental on ``updated_at``), ``orders`` (page number) and
``events`` (offset).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, cast

import pydantic

from airbyte_dest_kit.sources import IncrementalStream, Record, Source, Stream, StreamSlice
from airbyte_dest_kit.sources.auth import BearerTokenAuth
from airbyte_dest_kit.sources.http import HttpClient, HttpStream, RetryPolicy
from airbyte_dest_kit.sources.pagination import CursorPagination, OffsetPagination, PageNumberPagination


def _schema(**properties: str) -> dict[str, Any]:
    return {"type": "object", "properties": {key: {"type": kind} for key, kind in properties.items()}}


class CustomersState(pydantic.BaseModel):
    updated_at: str | None = None


class Customers(HttpStream, IncrementalStream[CustomersState]):
    name = "customers"
    path = "/customers"
    records_path = ("data",)
    primary_key: ClassVar[list[list[str]] | None] = [["id"]]
    cursor_field: ClassVar[str] = "updated_at"
    state_model = CustomersState

    def __init__(self, client: HttpClient, page_size: int) -> None:
        super().__init__(client)
        self.paginator = CursorPagination(
            "cursor", cursor_path=("next_cursor",), page_size_param="limit", page_size=page_size
        )

    def json_schema(self) -> dict[str, Any]:
        return _schema(id="integer", name="string", email="string", updated_at="string")

    def request_params(self, stream_slice: StreamSlice) -> dict[str, Any]:
        return {"updated_after": self.state.updated_at} if self.state.updated_at else {}

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        for record in super().read(stream_slice):  # the API returns customers in updated_at order
            customer = cast(Mapping[str, Any], record)  # an HTTP stream's records are decoded JSON objects
            self.state = CustomersState(updated_at=customer["updated_at"])
            yield record


class Orders(HttpStream):
    name = "orders"
    path = "/orders"
    records_path = ("orders",)
    primary_key: ClassVar[list[list[str]] | None] = [["id"]]

    def __init__(self, client: HttpClient, page_size: int) -> None:
        super().__init__(client)
        self.paginator = PageNumberPagination(page_size, page_param="page", page_size_param="per_page")

    def json_schema(self) -> dict[str, Any]:
        return _schema(id="integer", customer_id="integer", amount="number")


class Events(HttpStream):
    name = "events"
    path = "/events"
    records_path = ("items",)
    primary_key: ClassVar[list[list[str]] | None] = [["id"]]

    def __init__(self, client: HttpClient, page_size: int) -> None:
        super().__init__(client)
        self.paginator = OffsetPagination(page_size)

    def json_schema(self) -> dict[str, Any]:
        return _schema(id="integer", kind="string", at="string")


class SourceHttpExample(Source):
    def _client(self, config: Mapping[str, Any]) -> HttpClient:
        retry = RetryPolicy(max_retries=config["max_retries"])
        return HttpClient(config["base_url"], auth=BearerTokenAuth(config["api_key"]), events=self.events, retry=retry)

    def streams(self, config: Mapping[str, Any]) -> Sequence[Stream]:
        client, size = self._client(config), config["page_size"]
        return [Customers(client, size), Orders(client, size), Events(client, size)]

    def check_connection(self, config: Mapping[str, Any]) -> None:
        self._client(config).request("GET", "/events", params={"limit": 1})
