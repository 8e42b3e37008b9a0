"""HTTP streams: :class:`HttpStream` over the kit's pooled, retrying client (:mod:`airbyte_dest_kit.runtime.http`).

The client's error policies, retries, waits and errors are described there; a source's client also
reports rate limiting (before waiting out a response its policy calls RATE_LIMITED, a 429 by default, it
sends STREAM_STATUS RUNNING with a RATE_LIMITED reason for the stream being read) and starts its errors
with that stream's name.

A stream over a paginated endpoint::

    class Customers(HttpStream):
        name = "customers"
        path = "/customers"
        records_path = ("data",)
        paginator = CursorPagination("cursor", cursor_path=("next_cursor",))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from airbyte_dest_kit.errors import SystemFailure
from airbyte_dest_kit.runtime import http
from airbyte_dest_kit.runtime.http import ErrorPolicy, ResponseAction, RetryPolicy, Verdict, retry_after_seconds
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.pagination import NoPagination, Paginator, value_at
from airbyte_dest_kit.sources.stream import Record, Stream, StreamSlice

# The client's policy names, here too: what a source author needs comes from one module.
__all__ = ["ErrorPolicy", "HttpClient", "HttpStream", "ResponseAction", "RetryPolicy", "Verdict", "retry_after_seconds"]


class HttpClient(http.HttpClient):
    """The kit's client reporting through the source's ``events``; one connection pool per source: share it
    between the source's streams."""

    def __init__(self, base_url: str, *, events: SourceEvents | None = None, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.events = events or SourceEvents()

    def retrying(self, wait: float, response: httpx.Response | None, action: ResponseAction) -> None:
        if action is ResponseAction.RATE_LIMITED:
            self.events.rate_limited(wait)

    def error_prefix(self) -> str:
        return f"stream {self.events.current_stream[0]!r}: " if self.events.current_stream else ""


class HttpStream(Stream):
    """A stream over one paginated JSON endpoint. Set ``name``, ``path``, ``records_path`` and ``paginator``.

    Override :meth:`request_params` to add query parameters (e.g. from the slice or the state) and
    :meth:`parse_response` when records are not a list at ``records_path`` in the JSON body.
    """

    path: ClassVar[str]
    records_path: ClassVar[Sequence[str]] = ()
    http_method: ClassVar[str] = "GET"
    paginator: Paginator = NoPagination()

    def __init__(self, client: HttpClient) -> None:
        super().__init__()
        self.client = client

    def request_params(self, stream_slice: StreamSlice) -> dict[str, Any]:
        return {}

    def parse_response(self, response: httpx.Response) -> list[Mapping[str, Any]]:
        records = value_at(response.json(), self.records_path)
        if not isinstance(records, list):
            where = ".".join(self.records_path) or "the top level"
            raise SystemFailure(f"stream {self.name!r}: expected a list of records at {where} of the response")
        return records

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        page = self.paginator.first_page()
        while True:
            if page.url is not None:
                response = self.client.request(self.http_method, page.url)  # the link carries its query
            else:
                params = {**self.request_params(stream_slice), **page.params}
                response = self.client.request(self.http_method, self.path, params=params)
            records = self.parse_response(response)
            yield from records
            next_page = self.paginator.next_page(page, response, records)
            if next_page is None:
                return
            page = next_page
